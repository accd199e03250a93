// `npm run stress:flows [-- --runs N] [-- --seed S] [-- --path P]`: the model-based sequences of
// test/flows/model.test.ts (a real flow against a scripted peer that misbehaves, a faulty network, a user who
// cancels or types wrong codes), as many as asked (default 1000) from seed S (default: a fresh one, printed).
// `--path P` replays one failing sequence (fast-check's path, printed with its seed). Prints a summary; on a
// failure, the seed and path that replay it, and exits non-zero. CI runs a fixed-seed sample in the flows lane.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1000" },
    seed: { type: "string" },
    path: { type: "string" },
  },
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(runs) || runs < 1) {
  console.error("--runs must be a positive integer");
  process.exit(2);
}
if (!Number.isSafeInteger(seed)) {
  console.error("--seed must be an integer");
  process.exit(2);
}
const resultsFile = join(tmpdir(), `mql-model-results-${process.pid}.json`);
rmSync(resultsFile, { force: true });

console.log(
  values.path === undefined
    ? `stress:flows: ${runs} sequences from seed ${seed}`
    : `stress:flows: replaying path ${values.path} of seed ${seed}`,
);
const started = Date.now();
const vitest = spawnSync("npx", ["vitest", "run", "--project", "flows", "test/flows/model.test.ts"], {
  stdio: "inherit",
  env: {
    ...process.env,
    MODEL_RUNS: String(runs),
    MODEL_SEED: String(seed),
    MODEL_RESULTS: resultsFile,
    ...(values.path === undefined ? {} : { MODEL_PATH: values.path }),
  },
});
const seconds = ((Date.now() - started) / 1000).toFixed(0);

let result;
try {
  result = JSON.parse(readFileSync(resultsFile, "utf8"));
} catch {
  // The test never got to write its result (it did not load, or was killed): said below.
}
rmSync(resultsFile, { force: true });

if (result === undefined) {
  console.log(`\nstress:flows: no result (vitest exit ${vitest.status}); seed ${seed}; ${seconds} s`);
  process.exit(1);
}
const endings = Object.entries(result.endings)
  .sort(([, a], [, b]) => b - a)
  .map(([pair, count]) => `${count} ${pair}`)
  .join(", ");
console.log(`\nendings (real flow / scripted peer): ${endings}`);
if (result.failed) {
  console.log(
    `\nstress:flows: FAILED after ${result.numRuns} sequences: seed ${result.seed}, path ${result.counterexamplePath}\n` +
      `replay: npm run stress:flows -- --seed ${result.seed} --path ${result.counterexamplePath}\n${result.error}`,
  );
  process.exit(1);
}
console.log(
  `\nstress:flows: ${result.numRuns} sequences from seed ${result.seed} kept every invariant; ${seconds} s`,
);
process.exit(vitest.status === 0 ? 0 : 1);
