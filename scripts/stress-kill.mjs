// `npm run stress:kill`: the Matrix device killed (SIGKILL) at the moment the devserver receives its keys, many
// times (default 50; MATRIX_KILL_RUNS=n for another count), alternating `keys/upload` and
// `keys/device_signing/upload`; each run restarts the device and checks that its keys are the server's. Prints
// one line per kill and a summary; exits non-zero if any run failed. CI runs a few of these in the matrix lane.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const runs = Number(process.env.MATRIX_KILL_RUNS ?? 50);
if (!Number.isSafeInteger(runs) || runs < 1) {
  console.error("MATRIX_KILL_RUNS must be a positive integer");
  process.exit(2);
}
const resultsFile = join(tmpdir(), `mql-kill-results-${process.pid}.jsonl`);
rmSync(resultsFile, { force: true });

const started = Date.now();
const vitest = spawnSync(
  "npx",
  ["vitest", "run", "--project", "matrix", "test/matrix/processes.test.ts", "-t", "killed at"],
  {
    stdio: "inherit",
    env: { ...process.env, MATRIX_KILL_RUNS: String(runs), MATRIX_KILL_RESULTS: resultsFile },
  },
);

let results = [];
try {
  results = readFileSync(resultsFile, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));
} catch {
  // No run got as far as writing its result: the summary says so.
}
rmSync(resultsFile, { force: true });

console.log("\nrun  killed at                     keys reached the server  time");
for (const { run, point, keysReachedServer, ms } of results) {
  console.log(
    `${String(run).padStart(3)}  ${point.padEnd(28)}  ${(keysReachedServer ? "yes" : "no").padEnd(23)}  ${(ms / 1000).toFixed(1)} s`,
  );
}
const byPoint = new Map();
for (const { point } of results) byPoint.set(point, (byPoint.get(point) ?? 0) + 1);
const points = [...byPoint].map(([point, count]) => `${count} at ${point}`).join(", ");
console.log(
  `\n${results.length} of ${runs} kills restarted with the server's keys (${points || "none"}); ` +
    `${runs - results.length} failed; ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(vitest.status === 0 && results.length === runs ? 0 : 1);
