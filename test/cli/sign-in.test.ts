// Two command-line processes and the devserver complete a sign-in through --json, as two programs would drive
// them: the existing device (signed in with `login`, encryption set up with `bootstrap`) runs `link`, a new
// profile runs `sign-in`, in both who-shows directions and both wire versions. The QR code goes across only as
// the showing process printed it (base64) or as the PNG file it wrote; the test reads the check code on one and
// types it on the other, approves, says the consent page is open, and answers the consent page through the
// devserver's hook. stdout carries JSON lines and nothing else. Ctrl-C (SIGINT) cancels properly: the other
// device ends with `cancelled_there`.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevserver, type Devserver } from "../../devserver/index";
import type { WireVersion } from "../../src-shared/flow";
import { cliEnv, FAST_TIMINGS, signInWithLogin, useBuiltCli, type CliProcess } from "../helpers/cli";
import { postHook } from "../helpers/matrix-device";

const cli = useBuiltCli("out/cli-test-sign-in");

let server: Devserver;
let root: string;
let env: Record<string, string>;
const existingDir = () => join(root, "existing");

beforeAll(async () => {
  server = await startDevserver({ testHooks: true, users: ["alice:secret"], deviceCode: { intervalS: 1 } });
  root = await mkdtemp(join(tmpdir(), "mql-cli-sign-in-"));
  env = cliEnv(join(root, "home"), { MATRIX_QR_LOGIN_TIMINGS: FAST_TIMINGS });
  await signInWithLogin(cli, {
    homeserver: server.baseUrl,
    profile: ["--profile-dir", existingDir()],
    user: "alice",
    password: "secret",
    env,
  });
}, 60_000);

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

let runs = 0;

interface Run {
  readonly existing: CliProcess;
  readonly fresh: CliProcess;
}

/** Starts both processes; the showing one first, the scanning one with the code the showing one put out. */
async function startPair(
  shows: "existing" | "new",
  version: WireVersion,
  carry: "base64" | "png",
): Promise<Run & { shower: CliProcess; scanner: CliProcess }> {
  runs += 1;
  const flags = ["--json", "--allow-insecure-http"];
  const existingArgs = ["link", "--profile-dir", existingDir(), ...flags];
  const newArgs = [
    "sign-in",
    "--profile-dir",
    join(root, `new-${runs}`),
    "--homeserver",
    server.baseUrl,
    ...flags,
  ];
  const png = join(root, `qr-${runs}.png`);
  const showArgs = ["--show", "--version", version, ...(carry === "png" ? ["--png", png] : [])];
  const shower = cli.run([...(shows === "existing" ? existingArgs : newArgs), ...showArgs], { env });
  const shown = await shower.state("showing_qr");
  expect(shown.version).toBe(version);
  if (carry === "png") await until("the PNG file", () => existsSync(png));
  const source = carry === "png" ? png : shown.qr;
  const scanner = cli.run([...(shows === "existing" ? newArgs : existingArgs), "--scan", source], { env });
  const [existing, fresh] = shows === "existing" ? [shower, scanner] : [scanner, shower];
  return { existing, fresh, shower, scanner };
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Plays both users: the check code, the approval, the consent page. */
async function playUsers(run: Run & { shower: CliProcess; scanner: CliProcess }): Promise<void> {
  const { existing, fresh, shower, scanner } = run;
  await Promise.all([
    (async () => {
      const { code } = await scanner.state("check_code_display");
      await shower.state("check_code_entry");
      shower.send({ type: "submitCheckCode", code });
    })(),
    (async () => {
      await existing.state("approve_device");
      existing.send({ type: "approveDevice", approve: true });
      await existing.waitFor(
        "the consent screen waiting for the user",
        (line) =>
          line.type === "state" && (line.snapshot as { accepts: string[] }).accepts.includes("consentOpened"),
      );
      existing.send({ type: "consentOpened" });
    })(),
    (async () => {
      const { userCode } = await fresh.state("waiting_for_approval");
      const answer = await postHook(server, "/_devserver/approve", {
        user_code: userCode,
        user: "alice",
        approve: true,
      });
      expect(answer.status).toBe(200);
    })(),
  ]);
}

const LINE_TYPES = new Set(["state", "transcript", "open", "exit", "rejected"]);

/** stdout is JSON lines only, of the documented types, and the exit line is the last. */
function expectOnlyJson(process: CliProcess): void {
  const texts = process
    .stdout()
    .split("\n")
    .filter((text) => text !== "");
  expect(process.lines.length).toBe(texts.length);
  for (const line of process.lines) expect(LINE_TYPES.has(line.type), line.type).toBe(true);
  expect(process.lines.at(-1)?.type).toBe("exit");
}

describe("sign-in and link through --json, two processes", () => {
  const cases: [shows: "existing" | "new", version: WireVersion, carry: "base64" | "png"][] = [
    ["existing", "v2024", "base64"],
    ["new", "v2024", "png"],
    ["existing", "v2025", "png"],
    ["new", "v2025", "base64"],
  ];

  it.each(cases)("the %s device shows a %s QR code, carried as %s", async (shows, version, carry) => {
    const run = await startPair(shows, version, carry);
    if (runs === 1) {
      // Lines that are not a command the showing screen takes are refused, and change nothing.
      const { shower } = run;
      const from = shower.lines.length;
      shower.send("not json");
      shower.send({ type: "approveDevice", approve: true });
      shower.send({ type: "submitCheckCode" });
      const refused = await Promise.all(
        [1, 2, 3].map((n) =>
          shower.waitFor(`refusal ${n}`, (line) => line.type === "rejected", { from: from + n - 1 }),
        ),
      );
      expect(
        shower.lines.filter((line, i) => i >= from && line.type === "rejected").map((line) => line.reason),
      ).toEqual(["invalid_command", "not_accepted_now", "invalid_command"]);
      expect(refused).toHaveLength(3);
    }
    await playUsers(run);
    expect(await run.existing.finished()).toEqual({ code: "ok", status: 0 });
    expect(await run.fresh.finished()).toEqual({ code: "ok", status: 0 });

    const newDone = await run.fresh.state("done");
    expect(newDone).toMatchObject({ role: "new_device", version, verified: true, backup: true });
    const existingDone = await run.existing.state("done");
    expect(existingDone).toMatchObject({ role: "existing_device", deviceId: newDone.deviceId });
    // The scanner learnt the version from the QR code alone.
    expect(run.scanner.snapshots().at(-1)?.version).toBe(version);
    // The steps of this direction are in the transcript.
    const direction = shows === "existing" ? "A" : "B";
    expect(
      run.existing.lines.some(
        (line) =>
          line.type === "transcript" &&
          (line.entry as { step?: string }).step === `${direction}-${shows === "existing" ? "G" : "S"}1`,
      ),
    ).toBe(true);
    expectOnlyJson(run.existing);
    expectOnlyJson(run.fresh);
  });

  it("Ctrl-C on the existing device while it asks for approval: the new device ends with cancelled_there", async () => {
    const run = await startPair("existing", "v2024", "base64");
    const { existing, fresh } = run;
    const { code } = await fresh.state("check_code_display");
    await existing.state("check_code_entry");
    existing.send({ type: "submitCheckCode", code });
    await existing.state("approve_device");
    existing.child.kill("SIGINT");
    expect(await existing.finished()).toEqual({ code: "cancelled_here", status: 3 });
    expect(await fresh.finished()).toEqual({ code: "cancelled_there", status: 3 });
    expectOnlyJson(existing);
    expectOnlyJson(fresh);
  });
});
