// Two command-line processes and the devserver complete a sign-in through --json, as two programs would drive
// them: the existing device (signed in with `login`, encryption set up with `bootstrap`) runs `link`, a new
// profile runs `sign-in`, in both who-shows directions and both wire versions. The QR code goes across only as
// the showing process printed it (base64) or as the PNG file it wrote; the test reads the check code on one and
// types it on the other, approves, says the consent page is open, and answers the consent page through the
// devserver's hook. stdout carries JSON lines and nothing else, and no secret in play (the device code the new
// device was handed, either profile's tokens and crypto-store key) is in either process's stdout or stderr or in
// a profile file outside the secret stores. Ctrl-C (SIGINT) cancels properly: the other device ends with
// `cancelled_there`.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import { decodeQrPixels } from "../../src-main/hosts/cli/qr-decode";
import { encodeBase64 } from "../../src-main/protocol/index";
import type { WireVersion } from "../../src-shared/flow";
import { rasterize } from "../../src-renderer/qr/raster.testing";
import {
  devserverPairSetup,
  type PairRun,
  startSignedInDevserver,
  expectOnlyJson,
  playUsers,
  ROOT,
  startPair,
  useBuiltCli,
  type PairSetup,
} from "../helpers/cli";
import { postHook } from "../helpers/matrix-device";
import { explainRunning, processState, reportArgs } from "../helpers/node-report";
import { findLeaks, SecretSet, Sinks } from "../helpers/secret-sinks";
import { readHalfBlocks } from "../helpers/terminal-qr";
import { hasTmux, openTerminal } from "../helpers/tmux";

const cli = useBuiltCli();

let server: Devserver;
let root: string;
let env: Record<string, string>;
const existingDir = () => join(root, "existing");

beforeAll(async () => {
  ({ server, root, env } = await startSignedInDevserver(cli, "mql-cli-sign-in-"));
}, 60_000);

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

let runs = 0;

/** Where run `run`'s processes write the device codes they are handed (device-code-recorder.mjs). */
const deviceCodesFile = (run: number) => join(root, `device-codes-${run}.txt`);

function pairSetup(): PairSetup {
  runs += 1;
  // Both processes record the device codes they receive, for the secret sinks below.
  const recorder = pathToFileURL(join(import.meta.dirname, "device-code-recorder.mjs")).href;
  const recording = {
    ...env,
    NODE_OPTIONS: `${env.NODE_OPTIONS ?? ""} --import=${recorder}`.trim(),
    MQL_TEST_DEVICE_CODES: deviceCodesFile(runs),
  };
  return devserverPairSetup({ cli, env: recording, server, root, existingDir: existingDir(), run: runs });
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  return JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
}

/**
 * The secrets in play in run `run` (the device codes the processes were handed, both profiles' tokens and
 * crypto-store keys) against everything the two processes wrote outside their secret stores: stdout (the --json
 * lines), stderr and the profiles' other files.
 */
async function secretSinks(
  run: number,
  setup: PairSetup,
  pair: PairRun,
): Promise<{ codes: string[]; leaks: unknown[] }> {
  const codes = (await readFile(deviceCodesFile(run), "utf8").catch(() => ""))
    .split("\n")
    .filter((code) => code !== "");
  const secrets = new SecretSet();
  for (const [i, code] of codes.entries()) secrets.text(`device code ${i + 1}`, code);
  for (const [name, dir] of [
    ["existing", setup.existingDir],
    ["new", setup.newDir],
  ] as const) {
    const stored = await readJson(join(dir, "secrets.json"));
    const tokens = stored?.tokens as { accessToken?: string; refreshToken?: string } | undefined;
    secrets.text(`${name} access token`, tokens?.accessToken);
    secrets.text(`${name} refresh token`, tokens?.refreshToken);
    secrets.text(`${name} crypto-store key`, stored?.cryptoStoreKey as string | undefined);
  }
  const sinks = new Sinks();
  for (const [name, process] of [
    ["existing", pair.existing],
    ["new", pair.fresh],
  ] as const) {
    sinks.add(`${name} stdout`, process.stdout()).add(`${name} stderr`, process.stderr());
  }
  await sinks.addProfileFiles("existing profile", setup.existingDir);
  await sinks.addProfileFiles("new profile", setup.newDir);
  return { codes, leaks: findLeaks(secrets, sinks) };
}

describe("sign-in and link through --json, two processes", () => {
  const cases: [shows: "existing" | "new", version: WireVersion, carry: "base64" | "png"][] = [
    ["existing", "v2024", "base64"],
    ["new", "v2024", "png"],
    ["existing", "v2025", "png"],
    ["new", "v2025", "base64"],
  ];

  it.each(cases)("the %s device shows a %s QR code, carried as %s", async (shows, version, carry) => {
    const setup = pairSetup();
    const runNumber = runs;
    const run = await startPair(setup, shows, version, carry);
    if (shows === "existing" && version === "v2024") {
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
    await playUsers(setup, run);
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
    // No secret in play in anything the processes wrote; the new device was handed its device code.
    const { codes, leaks } = await secretSinks(runNumber, setup, run);
    expect(codes.length).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });

  it("Ctrl-C on the existing device while it asks for approval: the new device ends with cancelled_there", async () => {
    const run = await startPair(pairSetup(), "existing", "v2024", "base64");
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

// Human mode as a person meets it: `link --show` in a terminal (tmux). The QR code is read off the screen's half
// blocks, the questions are answered by typing, and the whole session is kept in test-results/ for a reader.
describe.skipIf(!hasTmux())("human mode in a terminal", () => {
  it(
    "the existing device shows the QR code on the terminal; its user types the check code, approves, opens the page",
    { timeout: 180_000 },
    async () => {
      const terminalEnv = { ...env };
      delete terminalEnv.NO_COLOR;
      const reports = await mkdtemp(join(tmpdir(), "mql-report-"));
      const terminal = openTerminal(
        [
          process.execPath,
          ...reportArgs(reports),
          cli.entry,
          "link",
          "--show",
          "--profile-dir",
          existingDir(),
          "--allow-insecure-http",
        ],
        terminalEnv,
      );
      try {
        const shown = await terminal.waitFor(/Expires in \d+:\d\d/);
        // The drawing on the screen is the QR code, byte for byte the base64 line printed under it.
        const modules = readHalfBlocks(shown);
        const image = rasterize(modules, 4);
        const bytes = decodeQrPixels(image.rgba, image.width, image.height);
        expect(bytes).toBeDefined();
        const qr = encodeBase64(bytes ?? new Uint8Array());
        expect(shown).toContain(qr);

        runs += 1;
        const fresh = cli.run(
          [
            "sign-in",
            "--scan",
            qr,
            "--profile-dir",
            join(root, `new-${runs}`),
            "--homeserver",
            server.baseUrl,
            "--json",
            "--allow-insecure-http",
          ],
          { env },
        );
        const { code } = await fresh.state("check_code_display");
        await terminal.waitFor(/Enter the 2-digit code shown on your other device: $/m);
        terminal.typeLine(code);
        const asked = await terminal.waitFor(/Allow \S+ to sign in as @alice:\S+\? \[y\/N\] $/m);
        terminal.typeLine("y");
        const page = await terminal.waitFor(/Press Enter once the page is open in your browser.*: $/m);
        // No graphical session: the page's address is printed for the user to open.
        expect(page).toMatch(/Open this page in your browser: http:\/\/127\.0\.0\.1:\d+\//);
        terminal.typeLine("");
        const { userCode } = await fresh.state("waiting_for_approval");
        const answer = await postHook(server, "/_devserver/approve", {
          user_code: userCode,
          user: "alice",
          approve: true,
        });
        expect(answer.status).toBe(200);
        expect(await fresh.finished()).toEqual({ code: "ok", status: 0 });
        const newDone = await fresh.state("done");
        // A program that is still running after its last screen gets Node's report of what keeps it alive.
        const status = await terminal.exitStatus().catch(async (error: unknown) => {
          const pid = terminal.pid();
          const state = await processState(pid, terminal.tty());
          throw new Error(`${String(error)}\n${state}\n${await explainRunning(pid, reports)}`);
        });
        expect(status).toBe(0);
        const session = terminal.capture();
        // No browser could be opened: the page's address is printed once, and nothing says it was opened.
        const consentUrl = /Open this page in your browser: (\S+)/.exec(page)?.[1] ?? "";
        expect(consentUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
        expect(session.split(consentUrl)).toHaveLength(2);
        expect(session).not.toMatch(/page opened on/);
        expect(session).toContain("Waiting for you to allow the new device on 127.0.0.1:");
        expect(asked).toContain(`Allow ${newDone.deviceId} to sign in`);
        expect(session).toContain("The new device is signed in");
        expect(session).toContain("The new device is verified");
        // The check code was typed, never shown, on this side (it is the scanning device that shows it).
        expect(session).toContain(`code shown on your other device: ${code}`);
        await mkdir(join(ROOT, "test-results"), { recursive: true });
        await writeFile(join(ROOT, "test-results", "cli-human-session.txt"), session);
      } finally {
        terminal.close();
        await rm(reports, { recursive: true, force: true });
      }
    },
  );
});
