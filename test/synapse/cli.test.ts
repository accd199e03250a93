// The command line against real Synapse 1.160 (the sandbox) with the devserver as its MAS: the success rows of the
// scenario table as two CLI processes, both who-shows directions and both wire versions, the QR code carried as
// the showing process put it out, the consent answered on the account server's pages; and `doctor` against it.
// The existing device signs in with `login` (authorization code and PKCE through the loopback redirect) and sets
// up encryption with `bootstrap`, as a user would. Uses the Node bundle the lane script built (out/node).
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { doctorReportSchema } from "../../src-shared/contract";
import type { WireVersion } from "../../src-shared/flow";
import {
  cliEnv,
  expectOnlyJson,
  FAST_TIMINGS,
  playUsers,
  ROOT,
  signInWithLogin,
  startPair,
  useBuiltCli,
  type PairSetup,
} from "../helpers/cli";
import { approveOverHttp } from "../helpers/consent";
import { synapseLane } from "./lane";

const lane = synapseLane();
const cli = useBuiltCli("out/node");
const password = lane.users.alice ?? "";

let root: string;
let env: Record<string, string>;
const existingDir = () => join(root, "existing");

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mql-cli-synapse-"));
  env = cliEnv(join(root, "home"), { MATRIX_QR_LOGIN_TIMINGS: FAST_TIMINGS });
  await signInWithLogin(cli, {
    homeserver: lane.synapseUrl,
    profile: ["--profile-dir", existingDir()],
    user: "alice",
    password,
    env,
  });
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let runs = 0;

function pairSetup(): PairSetup {
  runs += 1;
  return {
    cli,
    env,
    homeserver: lane.synapseUrl,
    existingDir: existingDir(),
    newDir: join(root, `new-${runs}`),
    png: join(root, `qr-${runs}.png`),
    approve: async ({ userCode, verificationUri }) => {
      const outcome = await approveOverHttp({
        verificationUri,
        userCode,
        user: "alice",
        password,
        approve: true,
      });
      expect(outcome).toEqual({ kind: "result", result: "approved" });
    },
  };
}

describe("sign-in and link on Synapse through --json, two processes", () => {
  const cases: [shows: "existing" | "new", version: WireVersion, carry: "base64" | "png"][] = [
    ["existing", "v2024", "png"],
    ["new", "v2024", "base64"],
    ["existing", "v2025", "base64"],
    ["new", "v2025", "png"],
  ];

  it.each(cases)(
    "the %s device shows a %s QR code, carried as %s",
    async (shows, version, carry) => {
      const setup = pairSetup();
      const run = await startPair(setup, shows, version, carry);
      await playUsers(setup, run);
      expect(await run.existing.finished(60_000)).toEqual({ code: "ok", status: 0 });
      expect(await run.fresh.finished(60_000)).toEqual({ code: "ok", status: 0 });
      const newDone = await run.fresh.state("done");
      expect(newDone).toMatchObject({ role: "new_device", version, verified: true, backup: true });
      expect(newDone.userId).toBe(`@alice:${lane.serverName}`);
      expect(await run.existing.state("done")).toMatchObject({ deviceId: newDone.deviceId });
      expectOnlyJson(run.existing);
      expectOnlyJson(run.fresh);
    },
    90_000,
  );
});

describe("doctor against Synapse", () => {
  it("--json: one report, every check passes, exit status 0", () => {
    const result = spawnSync(
      process.execPath,
      [cli.entry, "doctor", lane.synapseUrl, "--json", "--allow-insecure-http"],
      { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 },
    );
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const report = doctorReportSchema.parse(JSON.parse(lines[0] ?? ""));
    expect(report).toMatchObject({ ok: true, baseUrl: lane.synapseUrl });
    expect(report.checks.filter((check) => check.status === "failed")).toEqual([]);
  });

  it("human mode: the last line says a QR sign-in can work", () => {
    const result = spawnSync(
      process.execPath,
      [cli.entry, "doctor", lane.synapseUrl, "--allow-insecure-http"],
      {
        cwd: ROOT,
        env,
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim().split("\n").at(-1)).toBe(`QR sign-in can work with ${lane.synapseUrl}.`);
  });
});
