// A virtual clock for tests of code that takes a Runtime (`now` and `sleep`), so that no test waits on a real
// timer. Sleeps are timers on a queue; the clock moves to the earliest one only once everything else has settled
// (no pending promise work, and no outside work the test asked it to wait for, such as a real HTTP request). So a
// request's deadline, which sleeps beside the request, fires only if the request is still pending when nothing else
// can happen: a scripted answer or a local server's answer always wins, a hanging one is cut off at once.
//
//   const clock = new VirtualClock();
//   const runtime = createRuntime({ fetch: clock.holding(fetch), now: clock.now, sleep: clock.sleep });
import type { FetchFunction, Sleep } from "../../src-main/protocol/index";

/** Where every virtual clock starts unless told otherwise: 2026-11-27T12:00:00Z. */
export const VIRTUAL_START = Date.parse("2026-11-27T12:00:00Z");

/** A virtual hour of sleeping means the scenario is stuck, not slow. */
const DEFAULT_LIMIT_MS = 3_600_000;

/** Statuses whose responses carry no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

interface Timer {
  readonly at: number;
  readonly order: number;
  /** Ends the sleep: resolves it, or rejects it with `error`. Does nothing once the sleep has ended. */
  settle(error?: Error): void;
}

export interface VirtualClockOptions {
  readonly start?: number;
  /** Sleeping past this much virtual time rejects the sleep. Default one hour. */
  readonly limitMs?: number;
}

export class VirtualClock {
  /** The durations of the sleeps that ran to their end, in that order (an aborted sleep is not a wait). */
  readonly sleeps: number[] = [];
  private time: number;
  private readonly start: number;
  private readonly limitMs: number;
  private readonly timers: Timer[] = [];
  private readonly alarms: { at: number; action: () => Promise<void> | void }[] = [];
  private readonly beforeNextTimer: (() => Promise<void> | void)[] = [];
  private order = 0;
  private holds = 0;
  private advanceQueued = false;
  private advancing = false;

  constructor(options: VirtualClockOptions = {}) {
    this.start = options.start ?? VIRTUAL_START;
    this.time = this.start;
    this.limitMs = options.limitMs ?? DEFAULT_LIMIT_MS;
  }

  readonly now = (): number => this.time;

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      let ended = false;
      const onAbort = (): void => {
        remove(this.timers, timer);
        timer.settle(signal.reason as Error);
      };
      const timer: Timer = {
        at: this.time + Math.max(0, ms),
        order: this.order++,
        settle: (error) => {
          if (ended) return;
          ended = true;
          signal.removeEventListener("abort", onAbort);
          if (error !== undefined) {
            reject(error);
            return;
          }
          this.sleeps.push(ms);
          resolve();
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.timers.push(timer);
      this.queueAdvance();
    });

  /** Runs `action` when the clock first reaches `elapsedMs` from now, before the sleep that got there ends. */
  after(elapsedMs: number, action: () => Promise<void> | void): void {
    this.alarms.push({ at: this.time + elapsedMs, action });
  }

  /** Runs `action` before the next sleep ends. */
  onNextSleep(action: () => Promise<void> | void): void {
    this.beforeNextTimer.push(action);
  }

  /** Runs outside work (a real request, another process) with the clock standing still until it is done. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.holds++;
    try {
      return await work();
    } finally {
      this.holds--;
      this.queueAdvance();
    }
  }

  /** `fetch` whose requests hold the clock still until the whole answer, body included, has arrived. */
  holding(fetch: FetchFunction): FetchFunction {
    return (url, init) =>
      this.hold(async () => {
        const response = await fetch(url, init);
        const body = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer();
        return new Response(body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      });
  }

  // After a macrotask: every promise chain that can run without the clock has run by then.
  private queueAdvance(): void {
    if (this.advanceQueued) return;
    this.advanceQueued = true;
    setImmediate(() => {
      this.advanceQueued = false;
      void this.advance();
    });
  }

  private async advance(): Promise<void> {
    if (this.advancing || this.holds > 0) return;
    const next = this.timers.reduce<Timer | undefined>(
      (earliest, timer) =>
        earliest === undefined ||
        timer.at < earliest.at ||
        (timer.at === earliest.at && timer.order < earliest.order)
          ? timer
          : earliest,
      undefined,
    );
    if (next === undefined) return;
    remove(this.timers, next);
    this.advancing = true;
    try {
      this.time = Math.max(this.time, next.at);
      if (this.time - this.start > this.limitMs) {
        next.settle(new Error("virtual time ran out"));
        return;
      }
      try {
        for (const action of this.beforeNextTimer.splice(0)) await action();
        for (const alarm of this.alarms.filter((entry) => entry.at <= this.time)) {
          remove(this.alarms, alarm);
          await alarm.action();
        }
      } catch (error) {
        // The sleeping code is the test's scenario: it fails with the action's error.
        next.settle(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      next.settle();
    } finally {
      this.advancing = false;
      this.queueAdvance();
    }
  }
}

function remove<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index !== -1) list.splice(index, 1);
}
