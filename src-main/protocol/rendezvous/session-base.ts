// What both session classes share: one send or receive at a time, nothing after cancel, the poll loop that
// follows the caller's schedule, the cancel's DELETE, and what a 404 on the session means.
import { RendezvousError } from "./errors";
import { commonStatusError, unexpectedStatus, type HttpResponse, type Transport } from "./transport";
import { DEFAULT_CANCEL_TIMEOUT_MS, checkPollSchedule, pollIntervalAt, type PollSchedule } from "./timing";
import type { CancelOptions } from "./types";

export class OperationGuard {
  private busy = false;
  private cancelled = false;

  /** Runs one send or receive; overlapping them, or using a cancelled session, is our own code's bug. */
  async run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    if (this.cancelled) throw new TypeError(`rendezvous ${what} after cancel()`);
    if (this.busy) throw new TypeError(`rendezvous ${what} while another send or receive is running`);
    this.busy = true;
    try {
      return await operation();
    } finally {
      this.busy = false;
    }
  }

  markCancelled(): void {
    this.cancelled = true;
  }
}

/**
 * Calls `poll` on the schedule until it returns a value. Intervals run from the start of one poll to the start of
 * the next, timed from the first poll; the transport keeps any schedule under 4 requests/s.
 */
export async function pollUntil<T>(
  transport: Transport,
  schedule: PollSchedule,
  signal: AbortSignal,
  poll: () => Promise<T | undefined>,
): Promise<T> {
  checkPollSchedule(schedule);
  let start: number | undefined;
  for (;;) {
    // Timed from when the GET can actually go out, so the rate ceiling never shifts the schedule.
    await transport.readyForRequest(signal);
    const pollStart = transport.now();
    start ??= pollStart;
    const result = await poll();
    if (result !== undefined) return result;
    await transport.sleepUntil(pollStart + pollIntervalAt(schedule, pollStart - start), signal);
  }
}

/**
 * A cancel's DELETE, under a signal of its own that aborts after the timeout: the flow's signal has usually
 * aborted already (that is why it cancels), and a best-effort DELETE must neither be skipped nor hang a flow that
 * is ending. Transient failures are retried until the timeout or the session's expiry, whichever is first.
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
  const signal = AbortSignal.timeout(timeoutMs);
  const deadline = Math.min(expiresAt, transport.now() + timeoutMs);
  let response: HttpResponse;
  try {
    response = await transport.request({ method: "DELETE", url }, signal, () => deadline);
  } catch (error) {
    if (signal.aborted && error === signal.reason) {
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
