// `npm run stress:kill [-- --runs N] [-- --seed S] [-- --only flows|points]`: kill -9 at random and at chosen
// moments, many times (default 50 of each), and check that every profile survives. Two parts:
// - flows (test/cli/kill.test.ts): a sign-in between two command-line processes, one of them (the new device or
//   the existing one, in turn) killed at a seeded random moment of the flow; its profile must reopen, signed in
//   and whole (its device's keys the server's) or not signed in, never half. S seeds the kill points (default: a
//   fresh seed, printed; the run that failed prints its plan, and the seed replays it).
// - points (test/matrix/processes.test.ts): the Matrix device killed the moment the server receives its keys,
//   alternating `keys/upload` and `keys/device_signing/upload`; restarted, its keys are the server's.
// Prints one line per kill and a summary; exits non-zero if any run failed. CI runs 3 of each (cli and matrix
// lanes).
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: process.env.MATRIX_KILL_RUNS ?? "50" },
    seed: { type: "string" },
    only: { type: "string" },
  },
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(runs) || runs < 1) {
  console.error("--runs must be a positive integer");
  process.exit(2);
}
if (!Number.isSafeInteger(seed) || seed < 0) {
  console.error("--seed must be a non-negative integer");
  process.exit(2);
}
if (values.only !== undefined && values.only !== "flows" && values.only !== "points") {
  console.error("--only is flows or points");
  process.exit(2);
}

function readResults(file) {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line));
  } catch {
    // No run got as far as writing its result: the summary says so.
    return [];
  }
}

/** Runs one vitest file with the result file in `resultsVar`; returns its status and the results. */
function runPart(args, env, resultsVar) {
  const file = join(tmpdir(), `mql-kill-${resultsVar.toLowerCase()}-${process.pid}.jsonl`);
  rmSync(file, { force: true });
  // A busy machine is no failure here: each kill may take minutes of real time.
  const vitest = spawnSync("npx", ["vitest", "run", "--testTimeout", "180000", ...args], {
    stdio: "inherit",
    env: { ...process.env, ...env, [resultsVar]: file },
  });
  const results = readResults(file);
  rmSync(file, { force: true });
  return { ok: vitest.status === 0 && results.length === runs, results };
}

const started = Date.now();
const summaries = [];
let ok = true;

if (values.only !== "points") {
  console.log(`stress:kill flows: ${runs} sign-ins killed at random moments, seed ${seed}`);
  const part = runPart(
    ["--project", "cli", "test/cli/kill.test.ts"],
    { FLOW_KILL_RUNS: String(runs), FLOW_KILL_SEED: String(seed) },
    "FLOW_KILL_RESULTS",
  );
  console.log(
    "\nrun  killed        shows     version  after lines+ms  got to (lines)                   reopened",
  );
  for (const r of part.results) {
    console.log(
      `${String(r.run).padStart(3)}  ${r.victim.padEnd(12)}  ${r.shows.padEnd(8)}  ${r.version.padEnd(7)}  ${`${r.afterLines}+${r.afterMs}`.padEnd(14)}  ${`${r.phase} (${r.lines})`.padEnd(31)}  ${r.signedIn ? "signed in, whole" : "not signed in"}`,
    );
  }
  const signedIn = part.results.filter((r) => r.signedIn).length;
  summaries.push(
    `flows: ${part.results.length} of ${runs} kills reopened whole (${signedIn} signed in, ${part.results.length - signedIn} not signed in); seed ${seed}` +
      (part.ok
        ? ""
        : ` — FAILED: replay with npm run stress:kill -- --only flows --seed ${seed} --runs ${runs}`),
  );
  ok &&= part.ok;
}

if (values.only !== "flows") {
  const part = runPart(
    ["--project", "matrix", "test/matrix/processes.test.ts", "-t", "killed at"],
    { MATRIX_KILL_RUNS: String(runs) },
    "MATRIX_KILL_RESULTS",
  );
  console.log("\nrun  killed at                     keys reached the server  time");
  for (const { run, point, keysReachedServer, ms } of part.results) {
    console.log(
      `${String(run).padStart(3)}  ${point.padEnd(28)}  ${(keysReachedServer ? "yes" : "no").padEnd(23)}  ${(ms / 1000).toFixed(1)} s`,
    );
  }
  const byPoint = new Map();
  for (const { point } of part.results) byPoint.set(point, (byPoint.get(point) ?? 0) + 1);
  const points = [...byPoint].map(([point, count]) => `${count} at ${point}`).join(", ");
  summaries.push(
    `points: ${part.results.length} of ${runs} kills restarted with the server's keys (${points || "none"}); ` +
      `${runs - part.results.length} failed`,
  );
  ok &&= part.ok;
}

console.log(`\n${summaries.join("\n")}\n${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(ok ? 0 : 1);
