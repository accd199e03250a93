// Crash safety of a whole sign-in: two command-line processes sign a new device in (as test/cli/sign-in.test.ts
// does), and one of them, the new device or the existing one, is killed with SIGKILL at a random moment of the
// flow: after a seeded number of its output lines (each a screen or a request of the transcript) and a seeded
// delay. Then its profile is reopened by the command line (`whoami`): it must open (no corrupt crypto store
// snapshot, and the dead process's lock taken over), and be either signed in and whole or not signed in, never
// half: an account in profile.json has its tokens and crypto-store key, the snapshot restores the device the
// account names, and that device's keys are the ones the server has, if it has any (never a silently different
// device key). A killed existing device must then link the next device as before.
// `FLOW_KILL_RUNS` runs (default 3) from `FLOW_KILL_SEED` (default 19); `npm run stress:kill` runs many more.
import { appendFile, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import { startDevice } from "../../src-main/matrix/device";
import { CRYPTO_SNAPSHOT_FILE, fixedAccessToken, Profile } from "../../src-main/matrix";
import { createRuntime, type WireVersion } from "../../src-main/protocol";
import { api, mintDeviceToken } from "../helpers/csapi";
import {
  devserverPairSetup,
  startSignedInDevserver,
  playUsers,
  startPair,
  useBuiltCli,
  type CliProcess,
  type PairSetup,
} from "../helpers/cli";
import { TEST_CRYPTO_STORE, TEST_TIMINGS } from "../helpers/matrix-device";

const RUNS = Number(process.env.FLOW_KILL_RUNS ?? 3);
const SEED = Number(process.env.FLOW_KILL_SEED ?? 19);
/** Where `npm run stress:kill` wants one JSON line per kill. */
const RESULTS_FILE = process.env.FLOW_KILL_RESULTS;
/**
 * The kill lands after a line drawn from 1 to this many. A whole sign-in prints about 68 lines on the new device
 * and 66 to 80 on the existing one; a draw past the end finds a process that has exited (the result says so).
 */
const MOST_LINES = { new: 70, existing: 80 } as const;

const cli = useBuiltCli();

/** mulberry32: a small seeded generator, so that a seed replays the same kill points. */
function seeded(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface KillPlan {
  readonly run: number;
  readonly victim: "new" | "existing";
  readonly shows: "existing" | "new";
  readonly version: WireVersion;
  /** Killed once it has printed this many lines... */
  readonly afterLines: number;
  /** ...and this many milliseconds more. */
  readonly afterMs: number;
}

function killPlans(runs: number, seed: number): KillPlan[] {
  const random = seeded(seed);
  return Array.from({ length: runs }, (_, i) => {
    const victim = i % 2 === 0 ? "new" : "existing";
    return {
      run: i + 1,
      victim,
      shows: random() < 0.5 ? "existing" : "new",
      version: random() < 0.5 ? "v2024" : "v2025",
      afterLines: 1 + Math.floor(random() * MOST_LINES[victim]),
      afterMs: Math.floor(random() * 200),
    };
  });
}

let server: Devserver;
let root: string;
let env: Record<string, string>;
const existingDir = (): string => join(root, "existing");

beforeAll(async () => {
  ({ server, root, env } = await startSignedInDevserver(cli, "mql-cli-kill-"));
}, 180_000);

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

type DeviceKeys = { ed25519: string; curve25519: string } | undefined;

async function keysOnServer(userId: string, deviceId: string): Promise<DeviceKeys> {
  const observer = await mintDeviceToken(server, "alice");
  const { body } = await api(server, observer.access_token)("POST", "/keys/query", {
    device_keys: { [userId]: [deviceId] },
  });
  const keys = (body.device_keys as Record<string, Record<string, { keys: Record<string, string> }>>)[
    userId
  ]?.[deviceId]?.keys;
  const ed25519 = keys?.[`ed25519:${deviceId}`];
  const curve25519 = keys?.[`curve25519:${deviceId}`];
  return ed25519 === undefined || curve25519 === undefined ? undefined : { ed25519, curve25519 };
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Kills `victim` with SIGKILL once it printed `afterLines` lines and `afterMs` more; resolves how far it got. */
async function killAt(victim: CliProcess, plan: KillPlan): Promise<{ lines: number; phase: string }> {
  while (victim.lines.length < plan.afterLines && victim.child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await new Promise((resolve) => setTimeout(resolve, plan.afterMs));
  const lines = victim.lines.length;
  const phase = victim.snapshots().at(-1)?.phase ?? "none";
  victim.child.kill("SIGKILL");
  await victim.exited;
  return { lines, phase: victim.child.exitCode === null ? phase : `${phase}, exited before the kill` };
}

/** Ends the process that was not killed: Ctrl-C (it cancels), or SIGKILL if it does not end in time. */
async function stopSurvivor(survivor: CliProcess): Promise<void> {
  if (survivor.child.exitCode !== null || survivor.child.signalCode !== null) return;
  survivor.child.kill("SIGINT");
  const ended = await Promise.race([
    survivor.exited.then(() => true),
    new Promise<boolean>((resolve) =>
      setTimeout(() => {
        resolve(false);
      }, 15_000),
    ),
  ]);
  if (!ended) {
    survivor.child.kill("SIGKILL");
    await survivor.exited;
  }
}

interface Reopened {
  readonly signedIn: boolean;
  readonly deviceId?: string;
}

/**
 * The profile in `dir` reopened after the kill: first by the command line (`whoami`, the real host's open: the
 * lock, the leftovers, the snapshot), then here, with the device started from its snapshot to read its keys.
 */
async function reopen(dir: string): Promise<Reopened> {
  const whoami = cli.run(["whoami", "--json", "--profile-dir", dir, "--allow-insecure-http"], { env });
  const ended = await whoami.finished();
  const account = (await whoami.waitFor("the account", (line) => line.type === "account")).account as {
    status: string;
    deviceId?: string;
    userId?: string;
  };
  // Opened: signed in (ok) or not (signed_out); never profile_corrupt, profile_in_use or another failure.
  expect(ended, whoami.stderr()).toEqual(
    account.status === "signed_in" ? { code: "ok", status: 0 } : { code: "signed_out", status: 3 },
  );

  const data = await readJson(join(dir, "profile.json"));
  const secrets = await readJson(join(dir, "secrets.json"));
  const tokens = secrets?.tokens as { accessToken?: string } | undefined;
  if (account.status !== "signed_in") {
    // Not signed in, and not half: no account, and no tokens of a device the profile no longer names.
    expect(data?.deviceId).toBeUndefined();
    expect(tokens).toBeUndefined();
    return { signedIn: false };
  }
  // Signed in and whole: the account, its tokens and the key of its crypto store.
  expect(data).toMatchObject({ userId: account.userId, deviceId: account.deviceId });
  expect(typeof tokens?.accessToken).toBe("string");
  expect(typeof secrets?.cryptoStoreKey).toBe("string");
  const userId = String(account.userId);
  const deviceId = String(account.deviceId);
  const keysBefore = await keysOnServer(userId, deviceId);

  const profile = await Profile.open({ location: { dir }, app: "test" });
  try {
    const device = await startDevice({
      profile,
      runtime: createRuntime(),
      tokens: fixedAccessToken(String(tokens?.accessToken)),
      timings: TEST_TIMINGS,
      cryptoStore: TEST_CRYPTO_STORE,
    });
    try {
      const own = await device.ownDeviceKeys();
      // The device the snapshot restores is the one the server knows, if it knows one yet.
      if (keysBefore !== undefined) expect(own).toEqual(keysBefore);
      expect(await keysOnServer(userId, deviceId)).toEqual(own);
    } finally {
      await device.stop();
    }
  } finally {
    await profile.close();
  }
  await expect(readFile(join(dir, CRYPTO_SNAPSHOT_FILE))).resolves.toBeDefined();
  return { signedIn: true, deviceId };
}

let runs = 0;

function pairSetup(): PairSetup {
  runs += 1;
  return devserverPairSetup({ cli, env, server, root, existingDir: existingDir(), run: runs });
}

describe(`a sign-in killed at random moments (seed ${SEED})`, () => {
  it.each(killPlans(RUNS, SEED))(
    "run $run: the $victim device killed after $afterLines lines and $afterMs ms ($shows shows, $version)",
    { timeout: 90_000 },
    async (plan) => {
      const started = Date.now();
      const setup = pairSetup();
      const run = await startPair(setup, plan.shows, plan.version, "base64");
      const victim = plan.victim === "new" ? run.fresh : run.existing;
      const survivor = plan.victim === "new" ? run.existing : run.fresh;
      // The users play on until the kill breaks the flow; what fails after it is the kill's doing.
      const played = playUsers(setup, run).catch(() => undefined);
      const killed = await killAt(victim, plan);
      await stopSurvivor(survivor);
      await played;

      const reopened = await reopen(plan.victim === "new" ? setup.newDir : existingDir());
      // The existing device was signed in before the flow and nothing in a sign-in signs it out.
      if (plan.victim === "existing") expect(reopened.signedIn).toBe(true);

      if (RESULTS_FILE !== undefined) {
        const result = { ...plan, ...killed, signedIn: reopened.signedIn, ms: Date.now() - started };
        await appendFile(RESULTS_FILE, `${JSON.stringify(result)}\n`);
      }
    },
  );

  it("the existing device links a new device after the kills", { timeout: 60_000 }, async () => {
    const setup = pairSetup();
    const run = await startPair(setup, "existing", "v2025", "base64");
    await playUsers(setup, run);
    expect(await run.existing.finished()).toEqual({ code: "ok", status: 0 });
    expect(await run.fresh.finished()).toEqual({ code: "ok", status: 0 });
    expect(await run.fresh.state("done")).toMatchObject({ verified: true, backup: true });
  });
});
