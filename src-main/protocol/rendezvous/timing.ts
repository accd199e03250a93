// Time for the rendezvous clients: the injectable clock and sleep, the poll schedules the flows choose from, the
// request-rate ceiling, and the backoff for transient failures. Every duration is data, so tests pass small values
// or a virtual clock instead of waiting (docs/testing.md "Time budget").

/** Milliseconds since the epoch, as the client sees them. */
export type Now = () => number;

/** Resolves after `ms`, or rejects with `signal.reason` as soon as the signal aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/**
 * The longest delay a timer takes (2^31 - 1 ms, about 24.8 days): a longer one, Infinity included, fires at once
 * (Node: after 1 ms, with a TimeoutOverflowWarning). Waits a server can stretch (a device grant's `interval`) get
 * that long, so a long sleep is taken in steps of at most this.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    // NaN (a broken computation) waits no time rather than forever.
    let left = Number.isNaN(ms) ? 0 : Math.max(0, ms);
    const wait = (): void => {
      const step = Math.min(left, MAX_TIMER_MS);
      left -= step;
      timer = setTimeout(() => {
        if (left > 0) {
          wait();
          return;
        }
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, step);
    };
    wait();
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
 * first, then settle at the 1 s both SDKs use (docs/protocol.md §2).
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

/**
 * How long one request may take, from sending it to the last byte of the answer, unless the session ends first.
 * A server (or anything in between) that sends headers and then holds the body back, or trickles it, would
 * otherwise keep a `receive()` pending forever; 15 s is far beyond any healthy answer of a few hundred bytes.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** A signal that ends a wait at a deadline on the injected clock, and tells whether the deadline is what ended it. */
export interface DeadlineSignal {
  readonly signal: AbortSignal;
  /** True once the deadline passed (rather than `parent` aborting). */
  timedOut(): boolean;
  /** Stops the timer and lets go of `parent`; call it when the guarded work is over. */
  dispose(): void;
}

/**
 * A signal that aborts `ms` from now on the clock `sleep` runs on, or as soon as `parent` aborts (with its reason).
 * `AbortSignal.timeout` would count real milliseconds even where the rest of the client runs on a virtual clock.
 */
export function deadlineSignal(sleep: Sleep, ms: number, parent?: AbortSignal): DeadlineSignal {
  const controller = new AbortController();
  const timer = new AbortController();
  let timedOut = false;
  const onParentAbort = (): void => {
    controller.abort(parent?.reason);
  };
  if (parent?.aborted === true) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  sleep(ms, timer.signal).then(
    () => {
      timedOut = !controller.signal.aborted;
      controller.abort(new DOMException(`no answer within ${ms} ms`, "TimeoutError"));
    },
    (error: unknown) => {
      // Our own dispose() ends the sleep this way; a sleep that failed by itself ends the guarded wait with its error.
      if (!timer.signal.aborted) controller.abort(error);
    },
  );
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      timer.abort();
      parent?.removeEventListener("abort", onParentAbort);
    },
  };
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
