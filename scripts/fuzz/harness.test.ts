// The harness's own verdicts: an input that costs more CPU than its bound fails as `too_slow` whatever the
// clock says, and an input that only waits is not charged for the wait (`hang` catches waiting, at HANG_MS).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineTarget, fuzzTarget } from "./harness";

/** Keeps this process's CPU busy for `ms` of CPU time. */
function spin(ms: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return;
  }
}

const costly = defineTarget<number>({
  name: "harness.costly",
  area: "QR decoder",
  weight: 1,
  boundMs: 5,
  input: fc.integer({ min: 0, max: 9 }),
  run(n) {
    if (n === 9) spin(20);
    return "ok";
  },
});

// Waits three times its bound: charged by the clock it would fail; its CPU cost is far below the bound (the
// bound leaves room for what else this process does meanwhile, its GC and the test runner).
const waiting = defineTarget<number>({
  name: "harness.waiting",
  area: "QR decoder",
  weight: 1,
  boundMs: 100,
  input: fc.integer({ min: 0, max: 9 }),
  async run() {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return "ok";
  },
});

describe("the fuzz harness", () => {
  it("fails an input that costs more CPU than its bound, at best of three", async () => {
    const report = await fuzzTarget(costly, 200, 7);
    expect(report.failure?.kind).toBe("too_slow");
    expect(report.failure?.message).toMatch(/ms of CPU at best of three \(bound 5 ms\)/);
    expect(report.failure?.counterexample).toBe("9");
  });

  it("does not charge an input for time spent waiting", async () => {
    const report = await fuzzTarget(waiting, 3, 7);
    expect(report.failure).toBeUndefined();
    expect(report.runs).toBe(3);
    expect(report.slowestMs).toBeLessThan(100);
  });
});
