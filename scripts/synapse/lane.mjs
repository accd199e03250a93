// `npm run test:synapse [-- --no-build] [-- <vitest args>]`: the real-server lane (docs/synapse.md).
//
// 1. picks two free loopback ports and a random shared secret;
// 2. starts the sandbox Synapse (scripts/synapse/sandbox.sh start, building the chroot the first time) pointed at
//    the devserver's port as its MAS, while the Node bundle builds (skip with --no-build when it is fresh);
// 3. starts the devserver in MAS mode for that Synapse (`--mas-for`), which provisions the users there;
// 4. runs the Vitest `synapse` lane (vitest.synapse.config.ts) with MATRIX_QR_SYNAPSE_LANE describing the pair;
// 5. stops the devserver and Synapse (sandbox.sh stop undoes the mounts), also on failure, Ctrl-C or TERM.
//
// Exit status: Vitest's (0 passed, 1 failed); 77 when the sandbox cannot run Synapse on this machine (the reason
// is printed and written to <report dir>/synapse-lane.skipped), which `npm test` counts as skipped, never as
// passed; 1 for any other failure to set the lane up. The Vitest JSON report goes to <report dir>/synapse-lane.json
// (report dir: $SYNAPSE_LANE_REPORT_DIR, default test-results).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";

const SKIP = 77;
const root = resolve(import.meta.dirname, "../..");
const sandbox = resolve(root, "scripts/synapse/sandbox.sh");
const reportDir = resolve(root, process.env.SYNAPSE_LANE_REPORT_DIR ?? "test-results");
const reportFile = resolve(reportDir, "synapse-lane.json");
const skipFile = resolve(reportDir, "synapse-lane.skipped");
const devserverLog = resolve(reportDir, "synapse-lane-devserver.log");
const READY_TIMEOUT_MS = 90_000;

// The devserver's settings for the whole lane; test/synapse/lane.ts hands them to the scenarios, which skip what
// needs other settings. Interval 1 s: the scenarios move the devserver clock instead of waiting.
const USERS = { alice: "secret", bob: "hunter2", carol: "staple" };
const SETTINGS = {
  masQuirks: false,
  slowDown: true,
  deviceCodeTtlS: 600,
  deviceCodeIntervalS: 1,
  accessTokenTtlS: 300,
};

const argv = process.argv.slice(2);
const build = !argv.includes("--no-build");
const vitestArgs = argv.filter((arg) => arg !== "--no-build" && arg !== "--");

const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (message) => console.error(`synapse lane: ${message}`);

/** A port the kernel just handed out on 127.0.0.1 (free now; both servers bind it moments later). */
function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Runs a command to its end; its stderr passes through and is also kept. */
function runCaptured(command, args) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.once("error", (error) => done({ status: 1, stdout, stderr: `${stderr}${error.message}\n` }));
    child.once("exit", (code, signal) =>
      done({ status: code ?? (signal === null ? 1 : 128), stdout, stderr }),
    );
  });
}

// --- cleanup: whatever was started is stopped, once, however the lane ends ----------------------------------

let synapsePort;
let devserver;
let vitest;
let cleaned = false;

function cleanup() {
  if (cleaned) return;
  cleaned = true;
  // Vitest runs in its own process group (with its workers): end the whole group.
  if (vitest !== undefined && vitest.exitCode === null) {
    try {
      process.kill(-vitest.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
  if (devserver !== undefined && devserver.exitCode === null) devserver.kill("SIGTERM");
  if (synapsePort !== undefined) {
    const stop = spawnSync(sandbox, ["stop", "--port", String(synapsePort)], { cwd: root, stdio: "inherit" });
    if (stop.status !== 0) say(`stopping Synapse failed (exit ${stop.status}); check: ${sandbox} status`);
  }
}

for (const [signal, status] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
]) {
  process.once(signal, () => {
    say(`${signal}: stopping everything`);
    cleanup();
    process.exit(status);
  });
}
process.once("exit", cleanup);

function fail(message) {
  say(`error: ${message}`);
  process.exit(1);
}

// --- the lane ---------------------------------------------------------------------------------------------------

mkdirSync(reportDir, { recursive: true });
rmSync(reportFile, { force: true });
rmSync(skipFile, { force: true });

const masPort = await freePort();
let port = await freePort();
while (port === masPort) port = await freePort();
const secret = randomBytes(24).toString("base64url");
const masUrl = `http://127.0.0.1:${masPort}`;

say(`starting Synapse on port ${port}${build ? " while the Node bundle builds" : ""}`);
const [synapse, bundle] = await Promise.all([
  (async () => {
    // Recorded before it starts: an interrupted start still gets its stop.
    synapsePort = port;
    return runCaptured(sandbox, [
      "start",
      "--mas",
      `${masUrl}/`,
      "--mas-secret",
      secret,
      "--port",
      String(port),
    ]);
  })(),
  build ? runCaptured("npm", ["run", "-s", "build:node"]) : Promise.resolve({ status: 0 }),
]);

if (synapse.status === SKIP) {
  synapsePort = undefined;
  const reason =
    [...synapse.stderr.matchAll(/cannot run Synapse here: (.*)/g)].at(-1)?.[1] ?? "sandbox.sh exited with 77";
  writeFileSync(skipFile, `${reason}\n`);
  say(`SKIPPED, not passed: ${reason}`);
  process.exit(SKIP);
}
if (synapse.status !== 0) fail(`sandbox.sh start exited with ${synapse.status}`);
const synapseUrl = /^synapse ready at (\S+)$/m.exec(synapse.stdout)?.[1];
if (synapseUrl === undefined)
  fail(`sandbox.sh start printed no ready line: ${JSON.stringify(synapse.stdout)}`);
if (bundle.status !== 0) fail("building the Node bundle failed");
say(`Synapse ready at ${synapseUrl} (${seconds()})`);

const logFd = openSync(devserverLog, "w");
devserver = spawn(
  process.execPath,
  [
    resolve(root, "out/node/devserver.js"),
    "--mas-for",
    synapseUrl,
    "--mas-secret",
    secret,
    "--port",
    String(masPort),
    "--test-hooks",
    ...Object.entries(USERS).flatMap(([user, password]) => ["--user", `${user}:${password}`]),
    "--device-code-ttl",
    String(SETTINGS.deviceCodeTtlS),
    "--device-code-interval",
    String(SETTINGS.deviceCodeIntervalS),
    "--access-token-ttl",
    String(SETTINGS.accessTokenTtlS),
  ],
  { cwd: root, stdio: ["ignore", "pipe", logFd] },
);
closeSync(logFd);
const ready = await new Promise((done) => {
  let stdout = "";
  const timer = setTimeout(() => done(undefined), READY_TIMEOUT_MS);
  devserver.stdout.setEncoding("utf8").on("data", (chunk) => {
    stdout += chunk;
    const line = /^devserver ready at (\S+)$/m.exec(stdout);
    if (line !== null) {
      clearTimeout(timer);
      done(line[1]);
    }
  });
  devserver.once("exit", () => {
    clearTimeout(timer);
    done(undefined);
  });
});
if (ready !== masUrl) {
  const log = readFileSync(devserverLog, "utf8").trim().split("\n").slice(-20).join("\n");
  fail(`the devserver in MAS mode did not start (log ${devserverLog}):\n${log}`);
}
say(`devserver ready at ${masUrl} as MAS for ${synapseUrl} (${seconds()}; log ${devserverLog})`);

// The server name as Synapse states it (the sandbox's is `localhost`), from the user the devserver provisioned.
const query = await fetch(`${synapseUrl}/_synapse/mas/query_user?localpart=alice`, {
  headers: { authorization: `Bearer ${secret}` },
});
const userId = query.ok ? (await query.json()).user_id : undefined;
if (typeof userId !== "string")
  fail(`Synapse does not know alice after the devserver started (HTTP ${query.status})`);

const lane = {
  synapseUrl,
  masUrl,
  masSecret: secret,
  serverName: userId.slice(userId.indexOf(":") + 1),
  settings: SETTINGS,
  users: USERS,
};
vitest = spawn(
  process.execPath,
  [
    resolve(root, "node_modules/vitest/vitest.mjs"),
    "run",
    "--config",
    "vitest.synapse.config.ts",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${reportFile}`,
    ...vitestArgs,
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, MATRIX_QR_SYNAPSE_LANE: JSON.stringify(lane) },
    detached: true,
  },
);
const status = await new Promise((done) => vitest.once("exit", (code) => done(code ?? 1)));

cleanup();
let counts = "no report";
try {
  const report = JSON.parse(readFileSync(reportFile, "utf8"));
  counts = `${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`;
} catch {
  // Vitest failed before writing its report; its status says so.
}
say(`${counts} in ${seconds()}`);
process.exit(status === 0 ? 0 : 1);
