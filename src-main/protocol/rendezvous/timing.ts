// Time for the rendezvous clients: the injectable clock and sleep, the poll schedules the flows choose from, the
// request-rate ceiling, and the backoff for transient failures. Every duration is data, so tests pass small values
// or a fake clock instead of waiting (TESTING.md "Time budget").

/** Milliseconds since the epoch, as the client sees them. */
export type Now = () => number;

/** Resolves after `ms`, or rejects with `signal.reason` as soon as the signal aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal.addEventListener("abort", onAbort, { once: true });
  });

/** One stretch of a poll schedule: a GET every `everyMs`, for `forMs` (the last phase lasts forever). */
export interface PollPhase {
  readonly everyMs: number;
  readonly forMs?: number;
}

/** Phases in order, counted from the first GET of a `receive()`. */
export type PollSchedule = readonly PollPhase[];

/**
 * The peer is a program about to answer (LoginOk after INITIATE, the next message of a ping-pong): look often at
 * first, then settle at the 1 s both SDKs use (PROTOCOL.md §2.1).
 */
export const MACHINE_REPLY_DUE: PollSchedule = [{ everyMs: 250, forMs: 10_000 }, { everyMs: 1_000 }];

/** The peer waits for a person (scanning the QR, typing the check code, consenting in a browser). */
export const PERSON_ACTING: PollSchedule = [{ everyMs: 2_000 }];

/** The ceiling on request rate, whatever a schedule or a retry says: at most 4 requests a second per session. */
export const MIN_REQUEST_SPACING_MS = 250;

/** Throws TypeError for a schedule our own code got wrong (empty, or a non-positive duration). */
export function checkPollSchedule(schedule: PollSchedule): void {
  if (schedule.length === 0) throw new TypeError("a poll schedule needs at least one phase");
  for (const phase of schedule) {
    if (!Number.isFinite(phase.everyMs) || phase.everyMs <= 0) {
      throw new TypeError(`poll interval must be a positive number, got ${phase.everyMs}`);
    }
    if (phase.forMs !== undefined && !(phase.forMs >= 0)) {
      throw new TypeError(`poll phase length must be a non-negative number, got ${phase.forMs}`);
    }
  }
}

/** The wait after a GET made `elapsedMs` into a receive, never under the request-rate ceiling. */
export function pollIntervalAt(schedule: PollSchedule, elapsedMs: number): number {
  let phaseStart = 0;
  for (const [index, phase] of schedule.entries()) {
    const last = index === schedule.length - 1;
    if (last || phase.forMs === undefined || elapsedMs < phaseStart + phase.forMs) {
      return Math.max(phase.everyMs, MIN_REQUEST_SPACING_MS);
    }
    phaseStart += phase.forMs;
  }
  // Unreachable for a checked schedule: the last phase always answers.
  throw new TypeError("empty poll schedule");
}

/** How long a `cancel()` may spend on its DELETE: it is best effort, and the flow is ending. */
export const DEFAULT_CANCEL_TIMEOUT_MS = 5_000;

/** Exponential backoff for 5xx and network failures (429 waits what the server asks instead). */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 5_000 };

/** The wait before retry number `failures + 1`: initial, doubling, capped. */
export function backoffDelay(options: BackoffOptions, failures: number): number {
  return Math.min(options.maxMs, options.initialMs * 2 ** Math.min(failures, 30));
}
