// What both session classes share: one send or receive at a time, nothing after cancel, the poll loop that
// follows the caller's schedule, the cancel's DELETE, and what a 404 on the session means.
import { RendezvousError, isRendezvousError } from "./errors";
import { commonStatusError, unexpectedStatus, type HttpResponse, type Transport } from "./transport";
import { DEFAULT_CANCEL_TIMEOUT_MS, checkPollSchedule, pollIntervalAt, type PollSchedule } from "./timing";
import type { CancelOptions } from "./types";

export class OperationGuard {
  private busy = false;
  private cancelled = false;
  private turn: number;

  /** `now` is the session's clock; the session's first turn is its creation (the create or the join). */
  constructor(private readonly now: () => number) {
    this.turn = now();
  }

  /**
   * When the session last took a turn: the end of its last send or receive, or its creation. Poll schedules count
   * from here (`pollUntil`).
   */
  get lastTurn(): number {
    return this.turn;
  }

  /** Runs one send or receive; overlapping them, or using a cancelled session, is our own code's bug. */
  async run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    if (this.cancelled) throw new TypeError(`rendezvous ${what} after cancel()`);
    if (this.busy) throw new TypeError(`rendezvous ${what} while another send or receive is running`);
    this.busy = true;
    try {
      const result = await operation();
      this.turn = this.now();
      return result;
    } finally {
      this.busy = false;
    }
  }

  markCancelled(): void {
    this.cancelled = true;
  }
}

/** The session's end as the error a call meets there. */
export function sessionEnded(what: string): RendezvousError {
  return new RendezvousError("expired", `${what}: the rendezvous session's lifetime ran out`);
}

/**
 * Calls `poll` on the schedule until it returns a value, or until the session ends (`expired`: polling a session
 * the server has forgotten is pointless, and a server that answers "no change" past it must not keep us here).
 * The schedule counts from `lastTurn`, the session's last turn (our own write, the message we last received, the
 * create or join): the first GET goes one wait after it, at once if that has passed, and each later one a wait
 * after the one before. The transport keeps any schedule under the session's rate ceiling.
 */
export async function pollUntil<T>(
  transport: Transport,
  schedule: PollSchedule,
  signal: AbortSignal,
  sessionEnd: () => number,
  lastTurn: number,
  poll: () => Promise<T | undefined>,
): Promise<T> {
  checkPollSchedule(schedule);
  let next = lastTurn + pollIntervalAt(schedule, 0);
  for (;;) {
    await transport.sleepUntil(Math.min(next, sessionEnd()), signal);
    // Timed from when the GET can actually go out, so the rate ceiling never shifts the schedule.
    await transport.readyForRequest(signal);
    const pollStart = transport.now();
    if (pollStart >= sessionEnd()) throw sessionEnded("receive");
    const result = await poll();
    if (result !== undefined) return result;
    next = pollStart + pollIntervalAt(schedule, pollStart - lastTurn);
  }
}

/**
 * A cancel's DELETE, never under the flow's signal: that has usually aborted already (that is why it cancels), and
 * a best-effort DELETE must neither be skipped nor hang a flow that is ending. It is cut off (and transient
 * failures are no longer retried) at the timeout or the session's end, whichever is first, on the runtime's clock.
 * A session past its end is gone already, which is what the DELETE is for: nothing is sent.
 */
export async function deleteSession(
  transport: Transport,
  url: string,
  expiresAt: number,
  options: CancelOptions,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CANCEL_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`cancel timeout must be a positive number, got ${timeoutMs}`);
  }
  const never = new AbortController().signal;
  // The timeout counts from when the request-rate ceiling lets the DELETE go out (after a burst of requests, up to
  // a window's length later): a cancel right after a poll must still send it.
  await transport.readyForRequest(never);
  const now = transport.now();
  if (now >= expiresAt) return;
  const deadline = { at: Math.min(expiresAt, now + timeoutMs), sessionEnds: expiresAt <= now + timeoutMs };
  let response: HttpResponse;
  try {
    response = await transport.request({ method: "DELETE", url }, never, () => deadline);
  } catch (error) {
    // Cut off at the session's end: the server has forgotten the session by now, as the DELETE wanted.
    if (isRendezvousError(error, "expired")) return;
    if (isRendezvousError(error, "network")) {
      throw new RendezvousError("network", `DELETE did not finish within ${timeoutMs} ms`, { cause: error });
    }
    throw error;
  }
  // Any body on success (Synapse 1.160 answers a v2025 DELETE with `[]`); 404: the session is gone already
  // (expired, or the peer cancelled first), which is what we wanted.
  if (response.status === 200 || response.status === 204 || response.status === 404) return;
  throw commonStatusError(response, "DELETE") ?? unexpectedStatus(response, "DELETE");
}

/** How a session call reads a status it has no rule of its own for: 404 is the session gone. */
export function sessionStatusError(response: HttpResponse, what: string): RendezvousError {
  if (response.status === 404) {
    return new RendezvousError("expired", `${what}: the rendezvous session is gone (404)`, { status: 404 });
  }
  return commonStatusError(response, what) ?? unexpectedStatus(response, what);
}
