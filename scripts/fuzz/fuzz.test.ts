// The fuzz run as a Vitest lane (`fuzz`): every target of targets/index.ts, the total runs split by weight, one
// fixed seed that it prints. `npm test` runs FUZZ_RUNS (default 50,000) inputs; `npm run fuzz` runs 1,000,000 and
// takes `--runs`, `--seed` and `--target` (scripts/fuzz/run.mjs). The table (inputs, typed errors, slowest input)
// is printed and written to test-results/fuzz-report.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { formatReports, fuzzTarget, runsByWeight, targetSeed, type TargetReport } from "./harness";
import { FUZZ_TARGETS } from "./targets";

/** The seed every run uses unless told otherwise: the number and the year. */
export const DEFAULT_SEED = 192026;
const DEFAULT_RUNS = 50_000;

function numberFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer, got ${text}`);
  return value;
}

const seed = numberFromEnv("FUZZ_SEED", DEFAULT_SEED);
const total = numberFromEnv("FUZZ_RUNS", DEFAULT_RUNS);
const only = process.env.FUZZ_TARGET;
const targets = FUZZ_TARGETS.filter((target) => only === undefined || only === "" || target.name === only);
const runs = runsByWeight(targets, total);
const reports: TargetReport[] = [];

console.log(
  `fuzz: seed ${seed}, ${total} inputs over ${targets.length} targets (FUZZ_SEED=${seed} to replay)`,
);

afterAll(() => {
  const text = formatReports(reports, seed);
  console.log(text);
  mkdirSync("test-results", { recursive: true });
  writeFileSync("test-results/fuzz-report.json", `${JSON.stringify({ seed, total, reports }, null, 2)}\n`);
});

describe(`fuzz (seed ${seed})`, () => {
  it("has the targets asked for", () => {
    expect(targets.length).toBeGreaterThan(0);
  });

  for (const target of targets) {
    const count = runs.get(target.name) ?? 1;
    // Generous: a busy machine may be ten times slower than the bounds assume; the bounds are checked per input.
    const timeout = 60_000 + count * 5 * (target.boundMs / 10);
    it(
      `${target.name}: ${count} inputs, only typed errors, each within ${target.boundMs} ms`,
      async () => {
        const report = await fuzzTarget(target, count, targetSeed(seed, target.name));
        reports.push(report);
        if (report.failure !== undefined) {
          throw new Error(formatReports([report], seed));
        }
      },
      timeout,
    );
  }
});
