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

/**
 * One stretch of a poll schedule. At `everyMs` the GETs come at a steady pace; with `growth` they back off: each
 * wait is `growth` times the one before, up to `maxEveryMs`. The wait after a GET made `t` ms into the phase is
 * `everyMs + (growth - 1) * t`, so the backoff needs no count of earlier GETs and a GET the rate ceiling delayed
 * still lands on the curve.
 */
export interface PollPhase {
  readonly everyMs: number;
  /** How long the phase lasts (the last phase lasts forever). */
  readonly forMs?: number;
  /** Default 1: a steady pace. */
  readonly growth?: number;
  /** The longest wait a growing phase reaches. */
  readonly maxEveryMs?: number;
}

/**
 * Phases in order, counted from the session's last turn: our own last write (or the message we last received, or
 * the create or join). The first GET goes out one wait after that turn, or at once when that moment has passed.
 */
export type PollSchedule = readonly PollPhase[];

/**
 * The peer is a program about to answer (LoginOk after the initiate message, the next message of a ping-pong): the
 * first look 25 ms after our own write, then backing off, 100, 200, 400, 800 ms, to the 1 s both SDKs poll at
 * (docs/protocol.md §2.3). A peer that answers at once is seen within a few tens of milliseconds, and one that
 * does not costs no more than a request a second after the first 1.5 s.
 */
export const MACHINE_REPLY_DUE: PollSchedule = [
  { everyMs: 25, forMs: 25 },
  { everyMs: 100, growth: 2, maxEveryMs: 1_000 },
];

/**
 * The peer waits for a person (scanning the QR, typing the check code, consenting in a browser). The first looks
 * come 250, 750 and 1250 ms after our own turn, for the person who answers at once (the device in their hand, the
 * consent a click away, then a device grant's first token poll a second later), then the waits grow from 1.5 s,
 * doubling, to 5 s: 2750, 5750, 10750, 15750 ms. A person who takes 20 s costs 7 requests, a third of what a poll
 * a second costs (with the 15 s session watch on the other device, under half per device), and is seen within
 * 5 s of acting.
 */
export const PERSON_ACTING: PollSchedule = [
  { everyMs: 250, forMs: 250 },
  { everyMs: 500, forMs: 1_000 },
  { everyMs: 1_500, growth: 2, maxEveryMs: 5_000 },
];

/**
 * Nothing is due from the peer; we only watch for the session ending (cancelled there, or expired) while our own
 * user acts: the showing device while its user types the check code, the new device while it polls the token
 * endpoint. What the peer writes meanwhile is read at the next receive, which looks at once, so a cancel there
 * is seen at the latest when our user has typed the code (or when the watch looks).
 */
export const SESSION_WATCH: PollSchedule = [{ everyMs: 15_000 }];

/**
 * The ceiling on request rate per session, whatever a schedule or a retry says (docs/protocol.md §2.3): a token
 * bucket of `burst` requests refilled at `perSecond`, and at most `perSecond * windowMs / 1000` requests in any
 * `windowMs`. The window is the promise (an average of at most 4 requests a second over any 5 s); the bucket alone
 * would exceed it by `burst`, and it keeps a burst short.
 *
 * Why a burst of 8: in a run of machine turns each side makes one request per message (a write, or the read that
 * finds the peer's answer), so a burst of 8 lets about 7 messages in a row travel at network speed before the pace
 * falls to 4 a second, while the window still caps any 5 s at 20. Two sessions on one machine (both devices of a
 * demo) then stay at 16 at once and 8 a second, inside the strictest per-address limit we know (Tuwunel: 10 a
 * second, bursts of 20).
 */
export interface RequestRateLimit {
  readonly burst: number;
  readonly perSecond: number;
  readonly windowMs: number;
}

export const REQUEST_RATE_LIMIT: RequestRateLimit = { burst: 8, perSecond: 4, windowMs: 5_000 };

/**
 * When the next request of one session may start under a RequestRateLimit. The bucket is kept as the generic cell
 * rate algorithm (a theoretical arrival time), the window as the start times of the last requests it admits.
 */
export class RequestPacer {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly perWindow: number;
  private readonly windowMs: number;
  /** When the bucket would next be empty at the steady rate (GCRA's theoretical arrival time). */
  private arrival = Number.NEGATIVE_INFINITY;
  /** Start times of the last `perWindow` requests, oldest first. */
  private readonly starts: number[] = [];

  constructor(limit: RequestRateLimit = REQUEST_RATE_LIMIT) {
    if (!(limit.burst >= 1) || !(limit.perSecond > 0) || !(limit.windowMs > 0)) {
      throw new TypeError("a request rate limit needs burst >= 1, perSecond > 0 and windowMs > 0");
    }
    this.intervalMs = 1000 / limit.perSecond;
    this.toleranceMs = (Math.floor(limit.burst) - 1) * this.intervalMs;
    this.perWindow = Math.max(1, Math.floor((limit.perSecond * limit.windowMs) / 1000));
    this.windowMs = limit.windowMs;
  }

  /** The earliest local time at which the next request may start (any time at or before now: at once). */
  earliestStart(): number {
    const bucket = this.arrival - this.toleranceMs;
    const oldest = this.starts.length >= this.perWindow ? this.starts[0] : undefined;
    return Math.max(bucket, oldest === undefined ? Number.NEGATIVE_INFINITY : oldest + this.windowMs);
  }

  /** Records a request starting at `now`; our own bug if the ceiling does not allow it yet. */
  take(now: number): void {
    if (this.earliestStart() > now) throw new TypeError("request started before the rate ceiling allowed it");
    this.arrival = Math.max(this.arrival, now) + this.intervalMs;
    this.starts.push(now);
    if (this.starts.length > this.perWindow) this.starts.shift();
  }
}

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
    if (phase.growth !== undefined && !(phase.growth >= 1 && Number.isFinite(phase.growth))) {
      throw new TypeError(`poll growth must be a finite number of at least 1, got ${phase.growth}`);
    }
    if (phase.maxEveryMs !== undefined && !(phase.maxEveryMs >= phase.everyMs)) {
      throw new TypeError(`poll maxEveryMs must be at least everyMs, got ${phase.maxEveryMs}`);
    }
  }
}

/** The wait after a GET made `elapsedMs` after the session's last turn. The rate ceiling is the transport's. */
export function pollIntervalAt(schedule: PollSchedule, elapsedMs: number): number {
  let phaseStart = 0;
  for (const [index, phase] of schedule.entries()) {
    const last = index === schedule.length - 1;
    if (last || phase.forMs === undefined || elapsedMs < phaseStart + phase.forMs) {
      const into = Math.max(0, elapsedMs - phaseStart);
      const wait = phase.everyMs + ((phase.growth ?? 1) - 1) * into;
      return Math.min(wait, phase.maxEveryMs ?? Number.POSITIVE_INFINITY);
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
