// `npm test`: lint, typecheck, the Node and Electron builds, the flow benchmark once (quick), then every test
// suite, then the real-Synapse lane; ends with one summary line "N passed, N failed, N skipped" summed over all
// suites (a check such as lint counts as one test).
// Exits non-zero if anything failed. A lane that cannot run here (the Synapse sandbox exits 77: not root, no
// debootstrap, sid broken today) counts as one skipped, with its reason printed; never as passed.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function run(label, command, args, env = {}) {
  console.log(`\n=== ${label}: ${command} ${args.join(" ")}`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, ...env } });
  console.log(`=== ${label}: exit ${result.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result.status ?? 1;
}

function check(label, command, args) {
  if (run(label, command, args) === 0) totals.passed += 1;
  else {
    totals.failed += 1;
    failures.push(label);
  }
}

check("lint", "npx", ["eslint", "--max-warnings", "0", "."]);
check("format", "npx", ["prettier", "--check", "."]);
check("typecheck", "npm", ["run", "-s", "typecheck"]);
check("build", "npm", ["run", "-s", "build:node"]);
// The Electron app's bundles (out/main, out/preload, out/renderer): built here even where no Electron binary runs.
check("electron build", "npx", ["electron-vite", "build", "--logLevel", "warn"]);
// The flow benchmark once, quick: it asserts no timing, so it counts as passed when it runs to its end.
check("bench:flow --quick", "node", ["out/node/bench-flow.js", "--quick"]);

/**
 * Adds one Vitest run's JSON report to the totals: failed tests, else failed files (one that did not load), else
 * one failure for a non-zero exit with neither; a missing report is one failure (the run never got to its tests).
 */
function tallyVitest(label, reportPath, exitStatus) {
  let json;
  try {
    json = JSON.parse(readFileSync(reportPath, "utf8"));
  } catch (error) {
    totals.failed += 1;
    failures.push(`${label} (exit ${exitStatus}, no report: ${error.message})`);
    return;
  }
  totals.passed += json.numPassedTests;
  totals.skipped += json.numPendingTests + json.numTodoTests;
  const failed = json.numFailedTests || json.numFailedTestSuites || (exitStatus === 0 ? 0 : 1);
  totals.failed += failed;
  if (failed > 0) failures.push(label);
}

mkdirSync("test-results", { recursive: true });
const report = "test-results/vitest.json";
rmSync(report, { force: true });
const status = run("vitest", "npx", [
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${report}`,
]);
tallyVitest("vitest", report, status);

// The Synapse lane (scripts/synapse/lane.mjs) reuses the build above and writes its own Vitest report.
const skips = [];
const laneReport = "test-results/synapse-lane.json";
const laneSkip = "test-results/synapse-lane.skipped";
const laneStatus = run("synapse lane", "node", ["scripts/synapse/lane.mjs", "--no-build"], {
  SYNAPSE_LANE_REPORT_DIR: "test-results",
});
if (laneStatus === 77) {
  totals.skipped += 1;
  let reason = "the Synapse sandbox cannot run here";
  try {
    reason = readFileSync(laneSkip, "utf8").trim() || reason;
  } catch {
    // lane.mjs always writes the reason; keep the generic one if it could not.
  }
  skips.push(`synapse lane: ${reason}`);
} else {
  tallyVitest("synapse lane", laneReport, laneStatus);
}

if (skips.length > 0) console.log(`\nSkipped: ${skips.join("; ")}`);
if (failures.length > 0) console.log(`\nFailed: ${failures.join(", ")}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
