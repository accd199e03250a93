// `npm run fuzz`: the fuzz lane (scripts/fuzz/fuzz.test.ts) with 1,000,000 inputs by default.
//   npm run fuzz -- [--runs N] [--seed S] [--target NAME]
// The seed is printed first; the table (inputs, typed errors, slowest input) last, and written to
// test-results/fuzz-report.json. Exits non-zero when any target failed.
import { spawnSync } from "node:child_process";

const options = { runs: "1000000", seed: "", target: "" };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const name = args[i]?.replace(/^--/, "");
  const value = args[i + 1];
  if (!(name in options) || value === undefined) {
    console.error(`usage: npm run fuzz -- [--runs N] [--seed S] [--target NAME] (got ${args[i]})`);
    process.exit(2);
  }
  options[name] = value;
  i++;
}

const env = { ...process.env, FUZZ_RUNS: options.runs };
if (options.seed !== "") env.FUZZ_SEED = options.seed;
if (options.target !== "") env.FUZZ_TARGET = options.target;
const result = spawnSync("npx", ["vitest", "run", "--project", "fuzz"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
