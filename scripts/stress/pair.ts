// One sign-in between two devices of the app in this process, for the endurance run (scripts/stress/endurance.ts):
// the existing device (one signed-in account with encryption set up, kept across runs) and a new, empty profile,
// on the flows' short test timings. The person answers every question after a seeded delay; the consent is
// answered through the devserver's hook. After the flow the new device signs out (the server forgets it) and its
// profile is closed and removed, so that what stays behind in this process is only what the code itself keeps.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Account } from "../../src-main/engine/account";
import type { FlowController, FlowOutcome } from "../../src-main/flows/controller";
import type { FlowHost } from "../../src-main/flows/host";
import type { FlowTimings } from "../../src-main/flows/options";
import { startFlow } from "../../src-main/flows/start";
import { Profile } from "../../src-main/matrix";
import { discoverAuthMetadata, pollDeviceToken, startDeviceAuthorization } from "../../src-main/oauth";
import { createRuntime, type WireVersion } from "../../src-main/protocol";
import type { FlowSnapshot } from "../../src-shared/flow";

/** The flows' test timings (test/flows/harness.ts): no wait on a real timer longer than a second or two. */
export const STRESS_FLOW_TIMINGS: Partial<FlowTimings> = {
  machineReply: [{ everyMs: 50, forMs: 5_000 }, { everyMs: 250 }],
  personActing: [{ everyMs: 150 }],
  deviceWaitMs: 2_000,
  devicePollMs: 100,
  verifyWaitMs: 4_000,
  cancelLingerMs: 300,
  qrReplaceMarginMs: 1_000,
  minGrantIntervalMs: 1_000,
  rendezvousRequestTimeoutMs: 4_000,
};

/** The Matrix device's short timings and crypto-store debounce (test/helpers/matrix-device.ts). */
export const STRESS_DEVICE = {
  timings: {
    deviceKeysTimeoutMs: 4000,
    pollIntervalMs: 50,
    firstSyncTimeoutMs: 5000,
    retry: { attempts: 3, backoffMs: 50 },
  },
  cryptoStore: { debounceMs: 20, maxDelayMs: 200 },
} as const;

const USER = "alice";

export interface StressWorld {
  readonly baseUrl: string;
  readonly root: string;
  readonly existing: Account;
  close(): Promise<void>;
}

export async function postHook(baseUrl: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  await response.body?.cancel();
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
}

/** The existing device: signed in with the device grant (consent through the hook), encryption set up. */
export async function stressWorld(baseUrl: string, signal: AbortSignal): Promise<StressWorld> {
  const root = await mkdtemp(join(tmpdir(), "mql-endurance-"));
  const runtime = createRuntime();
  const profile = await Profile.open({ location: { dir: join(root, "existing") }, app: "stress" });
  const account = new Account({ runtime, profile, allowInsecureHttp: true, device: STRESS_DEVICE });
  const options = { runtime, signal, allowInsecureHttp: true };
  const metadata = await discoverAuthMetadata(baseUrl, options);
  const clientId = await account.clientId(metadata, signal);
  const deviceId = "STRESSEXISTING";
  const authorization = await startDeviceAuthorization({ ...options, metadata, clientId, deviceId });
  await postHook(baseUrl, "/_devserver/approve", {
    user_code: authorization.userCode,
    user: USER,
    approve: true,
  });
  const tokens = await pollDeviceToken(authorization, { ...options, intervalFloorMs: 200 });
  const device = await account.signedIn({ baseUrl, metadata, clientId, deviceId, tokens }, signal);
  await device.setUpEncryption(signal);
  return {
    baseUrl,
    root,
    existing: account,
    close: async () => {
      await account.stop();
      await profile.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface PairPlan {
  /** Which device shows the QR code. */
  readonly shows: "existing" | "new";
  readonly version: WireVersion;
  /** The person's delay before typing the check code, approving and consenting. */
  readonly personMs: number;
}

interface Side {
  readonly name: "existing" | "new";
  readonly shows: boolean;
  readonly snapshots: FlowSnapshot[];
  controller?: FlowController;
  outcome?: FlowOutcome;
}

/** What a side showed (each phase once, in order) and how it ended: printed when a run hangs. */
function describe(side: Side): string {
  const phases = side.snapshots.map((s) => s.phase).filter((phase, i, all) => phase !== all[i - 1]);
  const outcome = side.outcome === undefined ? "running" : JSON.stringify(side.outcome).slice(0, 400);
  return `${side.name} (${side.shows ? "shows" : "scans"}): ${phases.join(" > ")}; ${outcome}`;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one sign-in as `plan` says; resolves once both flows ended and the new device is gone again. */
export async function runPair(
  world: StressWorld,
  dir: string,
  plan: PairPlan,
  signal: AbortSignal,
): Promise<void> {
  const profile = await Profile.open({ location: { dir }, app: "stress" });
  const newAccount = new Account({
    runtime: createRuntime(),
    profile,
    allowInsecureHttp: true,
    device: STRESS_DEVICE,
  });
  await profile.updateSettings({ homeserver: world.baseUrl });
  const sides = {
    existing: { name: "existing", shows: plan.shows === "existing", snapshots: [] } as Side,
    new: { name: "new", shows: plan.shows === "new", snapshots: [] } as Side,
  };
  const generator = sides.existing.shows ? sides.existing : sides.new;
  const scanner = sides.existing.shows ? sides.new : sides.existing;
  const failures: unknown[] = [];
  const act = (work: () => unknown): void => {
    delay(plan.personMs)
      .then(work)
      .catch((error: unknown) => {
        failures.push(error);
      });
  };
  const command = (side: Side, value: unknown): void => {
    const answer = side.controller?.command(value);
    if (answer?.type !== "accepted")
      throw new Error(`${side.name} refused ${JSON.stringify(value)}: ${JSON.stringify(answer)}`);
  };
  const react = (side: Side, snapshot: FlowSnapshot): void => {
    switch (snapshot.phase) {
      case "showing_qr":
        if (side.snapshots.filter((s) => s.phase === "showing_qr").length === 1)
          act(async () => {
            // The scanner may still be in its preflight on a busy machine (it refuses a scan until it is done).
            while (!scanner.snapshots.at(-1)?.accepts.includes("submitScannedQr")) {
              if (scanner.outcome !== undefined) return;
              await delay(10);
            }
            command(scanner, { type: "submitScannedQr", bytes: snapshot.qr });
          });
        return;
      case "check_code_display":
        act(async () => {
          while (!generator.snapshots.some((s) => s.phase === "check_code_entry")) await delay(10);
          command(generator, { type: "submitCheckCode", code: snapshot.code });
        });
        return;
      case "approve_device":
        act(() => {
          command(side, { type: "approveDevice", approve: true });
        });
        return;
      case "waiting_for_approval":
        act(() =>
          postHook(world.baseUrl, "/_devserver/approve", {
            user_code: snapshot.userCode,
            user: USER,
            approve: true,
          }),
        );
        return;
      default:
        return;
    }
  };
  const host = (): FlowHost => ({
    ...createRuntime(),
    transcript: () => undefined,
    openUrl: () => Promise.resolve("opened" as const),
  });
  const start = (side: Side): void => {
    const common = {
      host: host(),
      side: side.shows ? ("generator" as const) : ("scanner" as const),
      allowInsecureHttp: true,
      version: plan.version,
      timings: STRESS_FLOW_TIMINGS,
    };
    const controller =
      side.name === "existing"
        ? startFlow({ ...common, role: "existing_device", account: world.existing.existingDevice() })
        : startFlow({ ...common, role: "new_device", account: newAccount.newDevice() });
    side.controller = controller;
    side.snapshots.push(controller.snapshot());
    controller.subscribe((snapshot) => {
      side.snapshots.push(snapshot);
      try {
        react(side, snapshot);
      } catch (error) {
        failures.push(error);
      }
    });
    void controller.finished.then((outcome) => {
      side.outcome = outcome;
    });
  };

  try {
    start(scanner);
    start(generator);
    const deadline = Date.now() + 60_000;
    while (
      (sides.existing.outcome === undefined || sides.new.outcome === undefined) &&
      failures.length === 0
    ) {
      if (Date.now() > deadline || signal.aborted)
        throw new Error(
          `the flows did not end within 60 s\n${describe(sides.existing)}\n${describe(sides.new)}`,
        );
      await delay(20);
    }
    if (failures.length > 0) throw failures[0];
    for (const side of [sides.existing, sides.new]) {
      if (side.outcome?.ok !== true)
        throw new Error(`the ${side.name} device ended ${JSON.stringify(side.outcome)}`);
    }
    const done = sides.new.outcome?.ok === true ? sides.new.outcome.snapshot : undefined;
    if (done?.phase !== "done" || !done.verified || !done.backup)
      throw new Error(`the new device did not end verified with the backup: ${JSON.stringify(done)}`);
    // Signed out again: the server forgets the device, so the account does not grow by one device per run.
    await newAccount.signOut(signal);
  } finally {
    for (const side of [sides.existing, sides.new]) side.controller?.cancel();
    for (const side of [sides.existing, sides.new])
      if (side.controller !== undefined) await side.controller.finished;
    await newAccount.stop();
    await profile.close();
    await rm(dir, { recursive: true, force: true });
  }
}
