// The poll schedules, the request-rate ceiling and the backoff, as numbers.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_BACKOFF,
  MACHINE_REPLY_DUE,
  MIN_REQUEST_SPACING_MS,
  PERSON_ACTING,
  backoffDelay,
  checkPollSchedule,
  pollIntervalAt,
  realSleep,
} from "./timing";

describe("poll schedules", () => {
  it("machine reply due: every 250 ms for the first 10 s, then every second", () => {
    expect(pollIntervalAt(MACHINE_REPLY_DUE, 0)).toBe(250);
    expect(pollIntervalAt(MACHINE_REPLY_DUE, 9_999)).toBe(250);
    expect(pollIntervalAt(MACHINE_REPLY_DUE, 10_000)).toBe(1_000);
    expect(pollIntervalAt(MACHINE_REPLY_DUE, 3_600_000)).toBe(1_000);
  });

  it("person acting: every 2 s throughout", () => {
    expect(pollIntervalAt(PERSON_ACTING, 0)).toBe(2_000);
    expect(pollIntervalAt(PERSON_ACTING, 100_000)).toBe(2_000);
  });

  it("never polls faster than 4 requests a second, whatever the schedule says", () => {
    expect(MIN_REQUEST_SPACING_MS).toBe(250);
    expect(pollIntervalAt([{ everyMs: 10 }], 0)).toBe(250);
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
  ])("refuses %s as a programming error", (_label, schedule) => {
    expect(() => {
      checkPollSchedule(schedule);
    }).toThrow(TypeError);
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
