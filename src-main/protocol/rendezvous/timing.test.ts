// The poll schedules, the request-rate ceiling and the backoff, as numbers.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_BACKOFF,
  MACHINE_REPLY_DUE,
  PERSON_ACTING,
  REQUEST_RATE_LIMIT,
  RequestPacer,
  SESSION_WATCH,
  backoffDelay,
  checkPollSchedule,
  pollIntervalAt,
  realSleep,
  type PollSchedule,
} from "./timing";

/** The times of the GETs a schedule asks for, counted from the session's last turn, up to `untilMs`. */
function lookTimes(schedule: PollSchedule, untilMs: number): number[] {
  const times: number[] = [];
  for (let at = pollIntervalAt(schedule, 0); at <= untilMs; at += pollIntervalAt(schedule, at))
    times.push(at);
  return times;
}

describe("poll schedules", () => {
  // Replaces "every 250 ms for the first 10 s, then every second", the schedule before the rate ceiling allowed a
  // burst: a reply that is due is looked for soon after our own write, then less and less often.
  it("machine reply due: first look 25 ms after our write, then 100, 200, 400, 800 ms, then every second", () => {
    expect(lookTimes(MACHINE_REPLY_DUE, 5_000)).toEqual([25, 125, 325, 725, 1_525, 2_525, 3_525, 4_525]);
    expect(pollIntervalAt(MACHINE_REPLY_DUE, 3_600_000)).toBe(1_000);
  });

  // Replaces "every 2 s throughout": a person who answers at once is seen within 250 ms, one who takes 20 s costs
  // 7 GETs (a poll a second would cost 20), and one who acts at any time is seen within 5 s.
  it("person acting: looks at 250, 750 and 1250 ms after our turn, then waits doubling from 1.5 s up to 5 s", () => {
    expect(lookTimes(PERSON_ACTING, 20_000)).toEqual([250, 750, 1_250, 2_750, 5_750, 10_750, 15_750]);
    const looks = lookTimes(PERSON_ACTING, 3_600_000);
    const gaps = looks.slice(1).map((at, index) => at - (looks[index] ?? 0));
    expect(Math.max(...gaps)).toBe(5_000);
    expect(pollIntervalAt(PERSON_ACTING, 3_600_000)).toBe(5_000);
  });

  it("session watch: every 15 s, since nothing is due from the peer", () => {
    expect(lookTimes(SESSION_WATCH, 30_000)).toEqual([15_000, 30_000]);
  });

  // Replaces "never polls faster than 4 requests a second" (MIN_REQUEST_SPACING_MS, 250 ms): the schedule is now
  // taken as written, and the transport's rate ceiling (below, and rate-ceiling.property.test.ts) bounds it.
  it("is taken as written: the rate ceiling is the transport's, not the schedule's", () => {
    expect(pollIntervalAt([{ everyMs: 10 }], 0)).toBe(10);
  });

  it("backs off within a growing phase from the time spent in it, up to its longest wait", () => {
    const schedule = [
      { everyMs: 50, forMs: 50 },
      { everyMs: 10, growth: 3, maxEveryMs: 500 },
    ];
    expect(lookTimes(schedule, 2_000)).toEqual([50, 60, 90, 180, 450, 950, 1_450, 1_950]);
  });

  it("keeps the last phase going whatever its length says", () => {
    const schedule = [
      { everyMs: 300, forMs: 1_000 },
      { everyMs: 700, forMs: 1_000 },
    ];
    expect(pollIntervalAt(schedule, 999)).toBe(300);
    expect(pollIntervalAt(schedule, 1_500)).toBe(700);
    expect(pollIntervalAt(schedule, 50_000)).toBe(700);
  });

  it.each([
    ["no phase", []],
    ["a zero interval", [{ everyMs: 0 }]],
    ["a negative phase length", [{ everyMs: 500, forMs: -1 }, { everyMs: 500 }]],
    ["a NaN interval", [{ everyMs: Number.NaN }]],
    ["a shrinking phase", [{ everyMs: 100, growth: 0.5 }]],
    ["a longest wait under the first", [{ everyMs: 100, growth: 2, maxEveryMs: 50 }]],
  ])("refuses %s as a programming error", (_label, schedule) => {
    expect(() => {
      checkPollSchedule(schedule);
    }).toThrow(TypeError);
  });
});

describe("the request-rate ceiling", () => {
  it("lets a burst of 8 go at once, then one request every 250 ms", () => {
    const pacer = new RequestPacer();
    for (let request = 0; request < 8; request++) {
      expect(pacer.earliestStart()).toBeLessThanOrEqual(0);
      pacer.take(0);
    }
    expect(pacer.earliestStart()).toBe(250);
    pacer.take(250);
    expect(pacer.earliestStart()).toBe(500);
  });

  it("refills the burst at 4 a second", () => {
    const pacer = new RequestPacer();
    for (let request = 0; request < 8; request++) pacer.take(0);
    // After 1 s of quiet, four requests' worth is back.
    for (let request = 0; request < 4; request++) pacer.take(1_000);
    expect(pacer.earliestStart()).toBe(1_250);
  });

  it("never lets a 21st request into any 5 s, though the bucket would", () => {
    const pacer = new RequestPacer();
    const starts: number[] = [];
    for (let request = 0; request < 40; request++) {
      const at = Math.max(0, pacer.earliestStart());
      pacer.take(at);
      starts.push(at);
    }
    // The bucket alone would allow 8 + 4 a second: 28 in the first 5 s.
    expect(starts.filter((at) => at < 5_000)).toHaveLength(20);
    for (let index = 0; index + 20 < starts.length; index++) {
      expect((starts[index + 20] ?? 0) - (starts[index] ?? 0)).toBeGreaterThanOrEqual(5_000);
    }
  });

  it("refuses a request the ceiling does not allow yet, as our own bug", () => {
    const pacer = new RequestPacer({ burst: 1, perSecond: 4, windowMs: 5_000 });
    pacer.take(0);
    expect(() => {
      pacer.take(100);
    }).toThrow(TypeError);
  });

  it("is a burst of 8, 4 a second, over 5 s", () => {
    expect(REQUEST_RATE_LIMIT).toEqual({ burst: 8, perSecond: 4, windowMs: 5_000 });
  });
});

describe("backoff", () => {
  it("doubles from 500 ms and stops at 5 s", () => {
    expect([0, 1, 2, 3, 4, 5, 60].map((failures) => backoffDelay(DEFAULT_BACKOFF, failures))).toEqual([
      500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000,
    ]);
  });
});

describe("the real sleep", () => {
  it("rejects with the signal's reason when aborted, already or while sleeping", async () => {
    const reason = new Error("stop");
    await expect(realSleep(10, AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const sleeping = realSleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
  });

  it("resolves after the time has passed", async () => {
    await expect(realSleep(1, new AbortController().signal)).resolves.toBeUndefined();
  });

  describe("longer than a timer can wait (2^31 - 1 ms, which a timer turns into 1 ms)", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** Whether `sleeping` has resolved once the fake clock moved `ms` on. */
    async function doneAfter(sleeping: { done: boolean }, ms: number): Promise<boolean> {
      await vi.advanceTimersByTimeAsync(ms);
      return sleeping.done;
    }

    function sleep(ms: number): { done: boolean } {
      const state = { done: false };
      void realSleep(ms, new AbortController().signal).then(() => {
        state.done = true;
      });
      return state;
    }

    it("waits the whole of a 30-day sleep, not 1 ms", async () => {
      vi.useFakeTimers();
      const days30 = 30 * 24 * 3_600_000;
      const sleeping = sleep(days30);
      expect(await doneAfter(sleeping, 1_000)).toBe(false);
      expect(await doneAfter(sleeping, days30 - 2_000)).toBe(false);
      expect(await doneAfter(sleeping, 1_000)).toBe(true);
    });

    it("an infinite sleep ends only by its signal", async () => {
      vi.useFakeTimers();
      const controller = new AbortController();
      const sleeping = realSleep(Number.POSITIVE_INFINITY, controller.signal);
      const state = { settled: false };
      sleeping.then(
        () => (state.settled = true),
        () => (state.settled = true),
      );
      await vi.advanceTimersByTimeAsync(10 * 2 ** 31);
      expect(state.settled).toBe(false);
      const reason = new Error("cancelled");
      controller.abort(reason);
      await expect(sleeping).rejects.toBe(reason);
    });
  });
});
