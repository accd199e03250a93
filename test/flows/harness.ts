// Runs one row of the flows' scenario table (src-main/flows/scenarios.ts) with two real devices of the app against
// the devserver: the existing device (a signed-in profile with cross-signing, secret storage and a backup) and a
// new, empty profile. The harness plays both users: it carries the QR code from one screen to the other, reads the
// check code on one and types it on the other, approves the device, answers the consent page through the
// devserver's hook, and does whatever the row injects. Then it checks what each side showed and how it ended.
//
// Both devices run on the real clock with short timings; the devserver's rendezvous clock is moved forward where a
// row needs a session to expire.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { startDevserver, type DevserverHooks, type DevserverOptions } from "../../devserver/index";
import { Account } from "../../src-main/engine/account";
import type { FlowController, FlowOutcome } from "../../src-main/flows/controller";
import type { FlowHost } from "../../src-main/flows/host";
import type { ExistingDeviceAccount } from "../../src-main/flows/ports";
import type { FlowTimings } from "../../src-main/flows/options";
import {
  expectationFor,
  expectedPhases,
  RENDEZVOUS_CREATE_PATH,
  secretsSealedIn,
  type Device,
  type Direction,
  type Injection,
  type Scenario,
} from "../../src-main/flows/scenarios";
import { startFlow } from "../../src-main/flows/start";
import { MatrixError, Profile } from "../../src-main/matrix";
import { discoverAuthMetadata, pollDeviceToken, startDeviceAuthorization } from "../../src-main/oauth";
import {
  acceptScannedQr,
  createRuntime,
  createScannerChannel,
  decodeBase64,
  decodeLoginQr,
  encodeBase64,
  encodeLoginQr,
  joinRendezvous,
  DEVICE_AUTHORIZATION_GRANT,
  MACHINE_REPLY_DUE,
  newV2025LoginQr,
  SecureSession,
  type Intent,
  type LoginMessageType,
  type LoginQr,
  type Runtime,
  type WireVersion,
} from "../../src-main/protocol/testing";
import type { FlowPhaseName, FlowSnapshot } from "../../src-shared/flow";
import type { TranscriptEntry } from "../../src-shared/transcript";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.testing";
import { TEST_CRYPTO_STORE, TEST_TIMINGS } from "../helpers/matrix-device";
import { captureConsole, deviceCodeRecorder, findLeaks, SecretSet, Sinks } from "../helpers/secret-sinks";
import { scanAsPeer, showAsPeer, type ScriptedPeer } from "./scripted-peer";

/** Short waits, so that no scenario waits on a real timer for more than a few seconds. */
export const FLOW_TEST_TIMINGS: Partial<FlowTimings> = {
  machineReply: [{ everyMs: 50, forMs: 5_000 }, { everyMs: 250 }],
  personActing: [{ everyMs: 150 }],
  deviceWaitMs: 1_000,
  devicePollMs: 100,
  verifyWaitMs: 4_000,
  cancelLingerMs: 300,
  qrReplaceMarginMs: 1_000,
  minGrantIntervalMs: 1_000,
  rendezvousRequestTimeoutMs: 2_000,
  retryBackoff: { initialMs: 100, maxMs: 1_000 },
};

const USER = "alice";
const SIGNAL = new AbortController().signal;

/**
 * The homeserver a world's rows run on: a devserver (which is one), or real Synapse with the devserver as its MAS
 * (the real-server lane, test/synapse/flow-faults.test.ts).
 */
export interface FlowServer {
  /** The client-server API. */
  readonly baseUrl: string;
  /** The account's OAuth issuer. */
  readonly issuer: string;
  /** Where the devserver's `/_devserver/*` hooks answer (consent, minted tokens), when not at `baseUrl`. */
  readonly hooksUrl?: string;
  /** The devserver's in-process hooks: only on a devserver (rows that fault the server or move its clock). */
  readonly hooks?: DevserverHooks;
  /**
   * The account's user (default alice): a server other tests also sign in on gives this world a user of its own,
   * whose encryption identity its existing device sets up.
   */
  readonly user?: string;
}

/** The in-process hooks a row needs; a TypeError on a server that has none (such a row is not run there). */
function devserverHooks(server: FlowServer, what: string): DevserverHooks {
  if (server.hooks === undefined) throw new TypeError(`${what} needs the devserver's in-process hooks`);
  return server.hooks;
}

/** POSTs to one of the devserver's `/_devserver/*` test hooks for `server`. */
export function postHook(server: FlowServer, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.hooksUrl ?? server.baseUrl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The devserver every row of a suite shares (the existing device lives there), and a second one for rows that
 * need another homeserver. */
export interface FlowWorld {
  readonly server: FlowServer;
  readonly other: FlowServer;
  readonly root: string;
  readonly existing: Account;
  readonly recoveryKey: string;
  close(): Promise<void>;
}

export const DEVSERVER: DevserverOptions = {
  testHooks: true,
  users: [`${USER}:secret`],
  deviceCode: { intervalS: 1 },
};

function quietRuntime(): Runtime {
  return createRuntime();
}

/** The existing device: signed in with the device grant (consent through the hook), encryption set up. */
export async function existingAccount(
  server: FlowServer,
  root: string,
): Promise<{ account: Account; recoveryKey: string }> {
  const runtime = quietRuntime();
  const profile = await Profile.open({ location: { dir: join(root, "existing") }, app: "test" });
  const account = new Account({
    runtime,
    profile,
    allowInsecureHttp: true,
    device: { timings: TEST_TIMINGS, cryptoStore: TEST_CRYPTO_STORE },
  });
  const metadata = await discoverAuthMetadata(server.baseUrl, {
    runtime,
    signal: SIGNAL,
    allowInsecureHttp: true,
  });
  const clientId = await account.clientId(metadata, SIGNAL);
  const deviceId = "EXISTINGDEVICE";
  const authorization = await startDeviceAuthorization({
    runtime,
    signal: SIGNAL,
    allowInsecureHttp: true,
    metadata,
    clientId,
    deviceId,
  });
  const approved = await postHook(server, "/_devserver/approve", {
    user_code: authorization.userCode,
    user: server.user ?? USER,
    approve: true,
  });
  expect(approved.status).toBe(200);
  const tokens = await pollDeviceToken(authorization, {
    runtime,
    signal: SIGNAL,
    allowInsecureHttp: true,
    intervalFloorMs: 200,
  });
  const device = await account.signedIn(
    { baseUrl: server.baseUrl, metadata, clientId, deviceId, tokens },
    SIGNAL,
  );
  const { recoveryKey } = await device.setUpEncryption(SIGNAL);
  return { account, recoveryKey };
}

/** `devserver` changes both devservers' options from DEVSERVER's (the model's shorter device-code interval). */
export async function createFlowWorld(devserver: Partial<DevserverOptions> = {}): Promise<FlowWorld> {
  const server = await startDevserver({ ...DEVSERVER, ...devserver });
  const other = await startDevserver({ ...DEVSERVER, ...devserver });
  return worldOn(server, other, async () => {
    await Promise.all([server.close(), other.close()]);
  });
}

/**
 * A world on `server` (its existing device signed in there, encryption set up), with `other` as the homeserver
 * the rows that need another one use; `stop` ends whatever the caller started for it.
 */
export async function worldOn(
  server: FlowServer,
  other: FlowServer,
  stop: () => Promise<void>,
): Promise<FlowWorld> {
  const root = await mkdtemp(join(tmpdir(), "mql-flows-"));
  const { account, recoveryKey } = await existingAccount(server, root);
  return {
    server,
    other,
    root,
    existing: account,
    recoveryKey,
    close: async () => {
      await account.stop();
      await account.profile.close();
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A host whose timers and requests are counted, so that a test can prove none outlives the flow. */
export interface CountingHost extends FlowHost {
  readonly pending: { sleeps: number; fetches: number };
  readonly transcript: (entry: TranscriptEntry) => void;
  readonly entries: TranscriptEntry[];
  /** Changes what the network does for this device (a proxy on its path). */
  interceptFetch(wrap: (next: Runtime["fetch"]) => Runtime["fetch"]): void;
  opened: string[];
}

export function countingHost(): CountingHost {
  const base = createRuntime();
  const pending = { sleeps: 0, fetches: 0 };
  const entries: TranscriptEntry[] = [];
  let fetch: Runtime["fetch"] = base.fetch;
  const host: CountingHost = {
    pending,
    entries,
    opened: [],
    now: base.now,
    random: base.random,
    sleep: async (ms, signal) => {
      pending.sleeps += 1;
      try {
        await base.sleep(ms, signal);
      } finally {
        pending.sleeps -= 1;
      }
    },
    fetch: async (url, init) => {
      pending.fetches += 1;
      try {
        return await fetch(url, init);
      } finally {
        pending.fetches -= 1;
      }
    },
    transcript: (entry) => {
      entries.push(entry);
    },
    openUrl: (url) => {
      host.opened.push(url);
      return Promise.resolve("opened");
    },
    interceptFetch: (wrap) => {
      fetch = wrap(fetch);
    },
  };
  return host;
}

/** One side of a run: its flow, its host and everything it showed. */
interface RunSide {
  readonly device: Device;
  readonly shows: boolean;
  readonly host: CountingHost;
  readonly snapshots: FlowSnapshot[];
  readonly sealed: LoginMessageType[];
  controller?: FlowController;
  outcome?: FlowOutcome;
  /** A scripted stand-in runs instead of our flow. */
  scripted?: Promise<void>;
  /** The fault-injecting proxy on this device's network path, if the row puts one there. */
  proxy?: FaultProxy;
  /** The harness has cancelled this side's flow (a cancel row). */
  cancelled?: boolean;
}

export interface RunResult {
  readonly existing: RunSide;
  readonly new: RunSide;
  readonly newAccount: Account;
}

/** Which side of a row a scripted peer plays instead of our flow, if any. */
function scriptedRole(inject: Injection, direction: Direction): "generator" | "scanner" | undefined {
  switch (inject.kind) {
    case "unsupported_protocol":
    case "peer_names_other_homeserver":
      return "scanner";
    case "verification_uri":
      // The scripted device is the new one: it scans in direction A and shows in direction B.
      return direction === "existing_shows" ? "scanner" : "generator";
    default:
      return undefined;
  }
}

function phasesOf(snapshots: readonly FlowSnapshot[]): FlowPhaseName[] {
  const phases: FlowPhaseName[] = [];
  for (const snapshot of snapshots) if (phases.at(-1) !== snapshot.phase) phases.push(snapshot.phase);
  return phases;
}

/** Whether `expected` appears in `actual` in order (other phases may come between). */
function inOrder(actual: readonly FlowPhaseName[], expected: readonly FlowPhaseName[]): boolean {
  let at = 0;
  for (const phase of actual) if (phase === expected[at]) at += 1;
  return at === expected.length;
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(20);
  }
}

const VERIFICATION_QR = Uint8Array.from([
  0x4d,
  0x41,
  0x54,
  0x52,
  0x49,
  0x58,
  0x02,
  0x00,
  ...new Array<number>(80).fill(1),
]);

/** A sign-in QR code of `intent` that points nowhere useful: what a scanner of the same role must refuse. */
function qrOfIntent(intent: Intent, version: WireVersion): Uint8Array {
  const publicKey = new Uint8Array(32).fill(9);
  const qr: LoginQr =
    version === "v2024"
      ? intent === "new_device"
        ? { version, intent, publicKey, rendezvousUrl: "https://example.org/rendezvous/x" }
        : {
            version,
            intent,
            publicKey,
            rendezvousUrl: "https://example.org/rendezvous/x",
            serverName: "https://example.org/",
          }
      : newV2025LoginQr({
          intent,
          publicKey,
          rendezvousId: "01HX9K00Q1H6KPD47EG4G1T3XG",
          baseUrl: "https://example.org",
        });
  return encodeLoginQr(qr);
}

/**
 * Runs `row` in `direction` and `version` against `world`, and checks everything the row promises. Returns
 * both sides for any further checks.
 */
export async function runScenario(
  world: FlowWorld,
  row: Scenario,
  direction: Direction,
  version: WireVersion,
  options: { readonly afterSuccess?: (result: RunResult) => Promise<void> } = {},
): Promise<RunResult> {
  const inject = row.inject;
  const consoleSink = captureConsole();
  const newProfile = await Profile.open({
    location: { dir: join(world.root, `new-${row.id}-${direction}-${version}`) },
    app: "test",
  });
  const homeserverDiffers = inject.kind === "homeserver_differs";
  await newProfile.updateSettings({
    homeserver: homeserverDiffers ? world.other.baseUrl : world.server.baseUrl,
  });
  const newAccount = new Account({
    runtime: quietRuntime(),
    profile: newProfile,
    allowInsecureHttp: true,
    device: { timings: TEST_TIMINGS, cryptoStore: TEST_CRYPTO_STORE },
  });
  const existingShows = direction === "existing_shows";
  const sides: Record<Device, RunSide> = {
    existing: { device: "existing", shows: existingShows, host: countingHost(), snapshots: [], sealed: [] },
    new: { device: "new", shows: !existingShows, host: countingHost(), snapshots: [], sealed: [] },
  };
  // The device codes the new device is handed (its device grant): secrets in play for the sinks below.
  const deviceCodes = deviceCodeRecorder();
  sides.new.host.interceptFetch(deviceCodes.wrap);
  const generator = existingShows ? sides.existing : sides.new;
  const scanner = existingShows ? sides.new : sides.existing;
  const failures: unknown[] = [];
  const act = (what: Promise<unknown>): void => {
    what.catch((error: unknown) => failures.push(error));
  };

  // Device IDs and the device check.
  let deviceId: string | undefined;
  if (inject.kind === "device_id") deviceId = inject.deviceId;
  if (inject.kind === "device_already_exists") {
    deviceId = `TAKEN${row.id.length}${Date.now()}`;
    const minted = await postHook(world.server, "/_devserver/token", {
      user: world.server.user ?? USER,
      device_id: deviceId,
    });
    expect(minted.status).toBe(200);
  }
  if (inject.kind === "device_never_appears") {
    devserverHooks(world.server, row.id).addFault({
      method: "GET",
      pathPattern: "/_matrix/client/v3/devices/",
      count: 1000,
      status: 404,
    });
  }
  if (inject.kind === "lost_put_response") {
    devserverHooks(world.server, row.id).addFault({
      method: "PUT",
      pathPattern: "rendezvous",
      count: 1,
      dropResponseAfterCommit: true,
    });
  }
  if (inject.kind === "validators_rewritten") rewriteValidators(generator.host);
  if (inject.kind === "lost_put_response") {
    resendAfterPeerAnswered([scanner], [generator, scanner], (answer) => answer === "lost");
  }
  const armFaults = await installProxies(world, inject, sides, generator, scanner);
  const scripted = scriptedRole(inject, direction);

  const common = { timings: FLOW_TEST_TIMINGS, allowInsecureHttp: true, version };
  let existingPort: ExistingDeviceAccount;
  try {
    existingPort = holdDeviceCheck(world.existing.existingDevice(), inject, sides.existing);
  } catch (error) {
    await newProfile.close();
    throw error;
  }
  holdForCancel(inject, sides, generator, scanner);

  let scannedOnce = false;
  const startSide = (side: RunSide): void => {
    const controller =
      side.device === "existing"
        ? startFlow({
            ...common,
            role: "existing_device",
            side: side.shows ? "generator" : "scanner",
            host: side.host,
            account: existingPort,
            onSeal: (type) => side.sealed.push(type),
          })
        : startFlow({
            ...common,
            role: "new_device",
            side: side.shows ? "generator" : "scanner",
            host: side.host,
            account: newAccount.newDevice(),
            ...(deviceId === undefined ? {} : { deviceId }),
            onSeal: (type) => side.sealed.push(type),
          });
    side.controller = controller;
    controller.subscribe((snapshot) => {
      side.snapshots.push(snapshot);
      // An error that offers a fresh start keeps the flow open (for `newQr`): for the row, it has ended there.
      if (snapshot.phase === "error") side.outcome ??= { ok: false, error: snapshot.error };
      react(side, snapshot);
    });
    side.snapshots.push(controller.snapshot());
    void controller.finished.then((outcome) => {
      side.outcome = outcome;
    });
  };

  const command = (side: RunSide, value: unknown): void => {
    const answer = side.controller?.command(value);
    if (answer?.type !== "accepted")
      failures.push(new Error(`${side.device} refused ${JSON.stringify(value)}: ${JSON.stringify(answer)}`));
  };

  const cancelIf = (side: RunSide, phase: FlowPhaseName): boolean => {
    if (inject.kind !== "cancel" || !cancels(inject, side)) return false;
    const during = expectedPhases({ phases: [inject.during] }, side.shows)[0];
    if (during !== phase) return false;
    // A scanner cancelling while it connects does so once the showing device has answered and waits for the code.
    const settled =
      phase === "connecting" && !side.shows
        ? until("the showing device's check code entry", () =>
            generator.snapshots.some((s) => s.phase === "check_code_entry"),
          )
        : Promise.resolve();
    // Let the other side settle into its own wait first, as a person would take a moment.
    act(
      settled
        .then(() => wait(200))
        .then(() => {
          side.cancelled = true;
          side.controller?.cancel();
        }),
    );
    return true;
  };

  let wrongCodesTyped = 0;
  let mitm: ManInTheMiddle | undefined;
  const typeCheckCode = async (): Promise<void> => {
    await until("the scanner's check code", () =>
      scanner.snapshots.some((s) => s.phase === "check_code_display"),
    );
    const shown = scanner.snapshots.find((s) => s.phase === "check_code_display");
    const code = shown?.phase === "check_code_display" ? shown.code : "00";
    const wrong = code === "42" ? "43" : "42";
    if (inject.kind === "peer_message_before_check_code") {
      // Typed only once the scanner's next message waits in the rendezvous, unread.
      await until("the scanner's next message", () =>
        scanner.host.entries.some((e) => e.kind === "message" && e.direction === "sent"),
      );
      await wait(300);
    }
    const typed = inject.kind === "check_codes" ? inject.typed : ["right" as const];
    const answer = typed[wrongCodesTyped] ?? "right";
    if (answer === "wrong") wrongCodesTyped += 1;
    command(generator, { type: "submitCheckCode", code: answer === "wrong" ? wrong : code });
  };

  const react = (side: RunSide, snapshot: FlowSnapshot): void => {
    armFaults?.(side, snapshot.phase);
    if (cancelIf(side, snapshot.phase)) return;
    switch (snapshot.phase) {
      case "showing_qr": {
        if (inject.kind === "qr_expires_before_scan" && snapshot.serial === 1) {
          // Nobody scans this one: the server forgets it, and the generator shows a fresh code.
          devserverHooks(world.server, row.id).clock.advance(60 * 60_000);
          return;
        }
        const shown = decodeBase64(snapshot.qr, "invalid_qr");
        // Whoever cancels at the QR code does so before it is scanned.
        if (inject.kind === "cancel" && inject.during === "qr") return;
        if (scannedOnce) return;
        scannedOnce = true;
        act(
          (async () => {
            if (inject.kind === "third_device_scans_first") thirdDeviceFirst(scanner, generator, shown);
            if (inject.kind === "mitm_replaces_initiate") mitm = replaceInitiate(scanner, generator, shown);
            if (scripted === "scanner") {
              scanner.scripted = scriptedScanner(scanner, shown, version, world, inject, {
                onCheckCode: (code) => {
                  act(
                    until(
                      "the check code entry",
                      () => generator.controller?.snapshot().phase === "check_code_entry",
                    ).then(() => {
                      command(generator, { type: "submitCheckCode", code });
                    }),
                  );
                },
              });
              return;
            }
            await until(
              "the scanner to be scanning",
              () => scanner.controller?.snapshot().phase === "scanning",
            );
            const bytes =
              inject.kind === "wrong_intent_qr"
                ? qrOfIntent(scanner.device === "existing" ? "existing_device" : "new_device", version)
                : inject.kind === "verification_qr"
                  ? VERIFICATION_QR
                  : shown;
            command(scanner, { type: "submitScannedQr", bytes: encodeBase64(bytes) });
          })(),
        );
        return;
      }
      case "check_code_entry": {
        if (inject.kind === "mitm_replaces_initiate" || inject.kind === "third_device_scans_first") {
          // The real scanner shows no code (it failed): the user guesses, or gives up.
          if (inject.kind === "third_device_scans_first") {
            act(
              until("the scanner's end", () => scanner.outcome !== undefined).then(() =>
                side.controller?.cancel(),
              ),
            );
            return;
          }
          act(
            (async () => {
              const theirs = await mitm?.checkCode();
              const guess = theirs === "42" ? "43" : "42";
              command(generator, { type: "submitCheckCode", code: guess });
            })(),
          );
          return;
        }
        if (scripted === "scanner") return;
        // Whoever cancels up to the comparison of the codes does so instead of typing the code.
        if (inject.kind === "cancel" && ["qr", "connecting", "check_code"].includes(inject.during)) return;
        act(typeCheckCode());
        return;
      }
      case "approve_device":
        command(side, { type: "approveDevice", approve: true });
        return;
      case "consent":
        if (snapshot.accepts.includes("consentOpened")) command(side, { type: "consentOpened" });
        return;
      case "waiting_for_approval": {
        const userCode = snapshot.userCode;
        if (inject.kind === "authorization_expires") {
          act(postHook(world.server, "/_devserver/expire-device-code", { user_code: userCode }));
          return;
        }
        if (inject.kind === "rendezvous_expires_during_consent") {
          act(
            wait(300).then(() => {
              devserverHooks(world.server, row.id).clock.advance(60 * 60_000);
            }),
          );
          return;
        }
        // A cancel row leaves the consent page unanswered, unless its cancel comes after it.
        if (inject.kind === "cancel" && inject.during !== "syncing_secrets") return;
        const approve = inject.kind !== "consent_denied";
        act(
          wait(100).then(async () => {
            const answered = await postHook(world.server, "/_devserver/approve", {
              user_code: userCode,
              user: world.server.user ?? USER,
              approve,
            });
            if (answered.status !== 200) throw new Error(`approve hook answered ${answered.status}`);
          }),
        );
        return;
      }
      case "confirm_homeserver":
        command(side, {
          type: "confirmHomeserver",
          accept: inject.kind === "homeserver_differs" && inject.accept,
        });
        return;
      case "error":
        if (
          (inject.kind === "wrong_intent_qr" ||
            inject.kind === "verification_qr" ||
            inject.kind === "cancel" ||
            inject.kind === "network_faults") &&
          side === scanner &&
          generator.controller?.snapshot().phase === "showing_qr"
        ) {
          // The user at the showing device gives up waiting.
          generator.controller.cancel();
        }
        return;
      default:
        return;
    }
  };

  const expectations = {
    existing: expectationFor(row, "existing", direction, version),
    new: expectationFor(row, "new", direction, version),
  };
  // Start the generator first: the scanner's user opens its camera once the QR is there.
  if (scripted === "generator") {
    generator.scripted = scriptedGenerator(scanner, version, world, inject, command);
    generator.scripted.catch((error: unknown) => failures.push(error));
  } else {
    startSide(generator);
  }
  // A scanner that never gets a QR code (or a scripted one) does not run our flow.
  if (expectations[scanner.device].absent !== true && scripted !== "scanner") startSide(scanner);

  try {
    const running = [generator, scanner].filter((side) => side.controller !== undefined);
    await until(
      "both flows to end",
      () => running.every((side) => side.outcome !== undefined) || failures.length > 0,
      25_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${describeRun([generator, scanner])}`);
    });
    if (scanner.scripted !== undefined) await scanner.scripted;
    if (generator.scripted !== undefined) await generator.scripted.catch(() => undefined);
    if (failures.length > 0) throw failures[0];

    for (const side of [sides.existing, sides.new]) {
      const expected = expectations[side.device];
      if (expected.absent === true || side.controller === undefined) continue;
      const label = `${side.device} (${side.shows ? "shows" : "scans"})`;
      const outcome = side.outcome;
      const ended = outcome?.ok === true ? "done" : outcome?.ok === false ? outcome.error.code : "running";
      expect(ended, `${label} ended ${JSON.stringify(outcome)}\n${describeRun([generator, scanner])}`).toBe(
        expected.error ?? "done",
      );
      if (expected.reason !== undefined && outcome?.ok === false) {
        expect(outcome.error.reason, `${label}'s reason`).toBe(expected.reason);
      }
      const phases = phasesOf(side.snapshots);
      const wanted = expectedPhases(expected, side.shows);
      expect(
        inOrder(phases, wanted),
        `${label} phases ${phases.join(" > ")}; expected ${wanted.join(" > ")}`,
      ).toBe(true);
    }
    if (inject.kind === "cancel" && inject.failureWriteStalls === true)
      expectFailureThenDelete(sides, inject);
    // "No secret left": from what the existing device sealed, not from its phases.
    expect(
      sides.existing.sealed.includes("m.login.secrets"),
      `sealed: ${sides.existing.sealed.join(", ")}`,
    ).toBe(secretsSealedIn(row, version));
    // Nothing of either flow is left running: no timer, no poll, no request.
    await wait(150);
    for (const side of [sides.existing, sides.new]) {
      expect(side.host.pending, `${side.device} left work running`).toEqual({ sleeps: 0, fetches: 0 });
    }
    // No secret in any sink of the run: both transcripts, everything either view was sent, the console, the
    // profiles' files outside their secret stores.
    const secrets = await secretsInPlay(world, newAccount);
    // A new device that signed in was handed a device code: the recorder saw it (else this check proves nothing).
    if (sides.new.outcome?.ok === true) expect(deviceCodes.codes).not.toEqual([]);
    for (const code of deviceCodes.codes) secrets.text("new device code", code);
    const sinks = new Sinks().add("console", consoleSink.text());
    for (const side of [sides.existing, sides.new]) {
      sinks
        .add(`${side.device} transcript`, side.host.entries)
        .add(`${side.device} snapshots`, side.snapshots)
        .add(`${side.device} outcome`, side.outcome ?? null)
        .add(`${side.device} opened`, side.host.opened);
    }
    await sinks.addProfileFiles("existing profile", world.existing.profile.dir);
    await sinks.addProfileFiles("new profile", newProfile.dir);
    expect(findLeaks(secrets, sinks), `secrets in play: ${secrets.names.join(", ")}`).toEqual([]);
    // Nothing followed a redirect to another host, and no consent page a peer sent was opened when it must not be.
    for (const side of [sides.existing, sides.new]) {
      expect(side.proxy?.elsewhere.requests ?? [], `${side.device} followed a redirect`).toEqual([]);
    }
    if (inject.kind === "verification_uri") expect(sides.existing.host.opened).toEqual([]);
    const result = { existing: sides.existing, new: sides.new, newAccount };
    await options.afterSuccess?.(result);
    return result;
  } finally {
    consoleSink.restore();
    for (const side of [sides.existing, sides.new]) side.controller?.cancel();
    const proxies = new Set([sides.existing.proxy, sides.new.proxy]);
    for (const proxy of proxies) await proxy?.close();
    world.server.hooks?.clearFaults();
    await newAccount.stop();
    await newProfile.close();
  }
}

/**
 * Every secret of both devices after a run: tokens, crypto-store keys, the recovery key, and the private keys of
 * each device's secrets bundle (cross-signing keys, the backup key) where it has them.
 */
export async function secretsInPlay(world: FlowWorld, newAccount: Account): Promise<SecretSet> {
  const secrets = new SecretSet().text("recovery key", world.recoveryKey);
  for (const [who, account] of [
    ["existing", world.existing],
    ["new", newAccount],
  ] as const) {
    const tokens = account.profile.tokens;
    secrets
      .text(`${who} access token`, tokens?.accessToken)
      .text(`${who} refresh token`, tokens?.refreshToken);
    if (tokens !== undefined)
      secrets.bytes(`${who} crypto-store key`, await account.profile.cryptoStoreKey());
    const device = account.device;
    // A device that never received the account's secrets (a flow that failed before step A-S11) has none.
    const bundle = await device?.exportSecretsBundle().catch((error: unknown) => {
      if (error instanceof MatrixError && error.code === "missing_secrets") return undefined;
      throw error;
    });
    secrets.keysIn(`${who} secrets bundle`, bundle);
  }
  return secrets;
}

/** What each side showed and its last transcript entries: printed when a run hangs. */
function describeRun(sides: readonly RunSide[]): string {
  return sides
    .map((side) => {
      const last = side.host.entries.slice(-12).map((entry) => {
        if (entry.kind === "http")
          return `  ${entry.step ?? ""} ${entry.method} ${entry.path} ${entry.status ?? entry.error ?? ""}`;
        if (entry.kind === "message") return `  ${entry.step ?? ""} ${entry.direction} ${entry.messageType}`;
        return `  ${entry.step ?? ""} step ${entry.name} ${entry.detail ?? ""}`;
      });
      const outcome = side.outcome === undefined ? "running" : JSON.stringify(side.outcome);
      return `${side.device} (${side.shows ? "shows" : "scans"}): ${phasesOf(side.snapshots).join(" > ")} — ${outcome}\n${last.join("\n")}`;
    })
    .join("\n");
}

/** A proxy on the showing device's path that rewrites validators: `W/` ETags (v2024) and tokens (v2025). */
function rewriteValidators(host: CountingHost): void {
  host.interceptFetch((next) => async (url, init) => {
    const response = await next(url, init);
    if (!url.includes("rendezvous")) return response;
    const headers = new Headers(response.headers);
    const etag = headers.get("etag");
    if (etag !== null) headers.set("etag", `W/${etag}`);
    let body: BodyInit | null = response.body;
    if ((headers.get("content-type") ?? "").includes("json")) {
      const json = (await response.json()) as Record<string, unknown>;
      if (typeof json.sequence_token === "string") json.sequence_token = `W/${json.sequence_token}`;
      body = JSON.stringify(json);
      headers.delete("content-length");
    }
    return new Response(response.status === 304 || response.status === 204 ? null : body, {
      status: response.status,
      headers,
    });
  });
}

/**
 * Before the scanner's first write, a third device joins with the same QR code and writes its own initiate. The
 * order is fixed whatever the devices' poll timings and request pacing: the showing device reads the third
 * device's initiate before the scanner's own write goes out, and its answer goes out only once the scanner has given
 * up and deleted the rendezvous, so that it meets an ended session.
 */
function thirdDeviceFirst(scanner: RunSide, generator: RunSide, qr: Uint8Array | undefined): void {
  let done = false;
  scanner.host.interceptFetch((next) => async (url, init) => {
    if (!done && init.method === "PUT" && qr !== undefined) {
      done = true;
      const ourRole: Intent = scanner.device === "existing" ? "existing_device" : "new_device";
      const scanned = acceptScannedQr(qr, ourRole);
      const runtime = createRuntime();
      const rendezvous = await joinRendezvous(scanned, { runtime, signal: SIGNAL, allowInsecureHttp: true });
      const channel = createScannerChannel(scanned);
      await rendezvous.send((aad) => channel.sealInitiate(aad), { signal: SIGNAL });
      await until("the showing device to read the third device's initiate", () =>
        generator.snapshots.some((snapshot) => snapshot.phase === "connecting"),
      );
    }
    return next(url, init);
  });
  let answered = false;
  generator.host.interceptFetch((next) => async (url, init) => {
    if (!answered && init.method === "PUT") {
      answered = true;
      await until("the scanner to delete the rendezvous", () => sentDelete(scanner));
    }
    return next(url, init);
  });
}

/**
 * The canceller of a row whose failure write stalls tried to write its m.login.failure, gave up on it, and then
 * deleted the rendezvous (the server answered the DELETE).
 */
function expectFailureThenDelete(
  sides: Record<Device, RunSide>,
  inject: Injection & { kind: "cancel" },
): void {
  const canceller = [sides.existing, sides.new].find((side) => cancels(inject, side));
  const requests = (canceller?.host.entries ?? []).flatMap((entry) =>
    entry.kind === "http" && entry.path.includes("rendezvous") ? [entry] : [],
  );
  const lines = requests.map((e) => `${e.method} ${e.status ?? e.error ?? ""}`).join(", ");
  const unwritten = requests.findIndex((e) => e.method === "PUT" && e.status === undefined);
  expect(unwritten, `the canceller's failure write was tried and not answered: ${lines}`).not.toBe(-1);
  const deleted = requests
    .slice(unwritten + 1)
    .some((e) => e.method === "DELETE" && e.status !== undefined && e.status >= 200 && e.status < 300);
  expect(deleted, `the canceller deleted the rendezvous after the unwritten failure: ${lines}`).toBe(true);
}

/** Whether `side` has had an answer to a DELETE (the end of its rendezvous). */
function sentDelete(side: RunSide): boolean {
  return side.host.entries.some((entry) => entry.kind === "http" && entry.method === "DELETE");
}

/** What the man in the middle learns: the check code the showing device now expects (theirs). */
interface ManInTheMiddle {
  checkCode(): Promise<string>;
}

/**
 * Someone on the scanner's network path swaps its LoginInitiate for one sealed with their own key. The order is
 * fixed whatever the devices' poll timings and request pacing: in v2025 the scanner looks at the cell before the
 * showing device answers (and sees its write replaced); the attacker reads the showing device's answer before the
 * scanner, having given up, deletes the rendezvous; the showing device deletes it only after the scanner's end.
 */
function replaceInitiate(scanner: RunSide, generator: RunSide, qr: Uint8Array): ManInTheMiddle {
  let done = false;
  const ourRole: Intent = scanner.device === "existing" ? "existing_device" : "new_device";
  const decoded = decodeLoginQr(qr);
  const attacker = createScannerChannel(acceptScannedQr(qr, ourRole));
  let tokenAfterPut: string | undefined;
  let putUrl: string | undefined;
  let scannerLooked = false;
  scanner.host.interceptFetch((next) => async (url, init) => {
    if (done && init.method === "GET") scannerLooked = true;
    if (init.method === "DELETE") {
      await until("the attacker to read the showing device's answer", () => learnedCode !== undefined);
    }
    if (done || init.method !== "PUT" || init.body === undefined || init.body === null)
      return next(url, init);
    done = true;
    putUrl = url;
    const sent = new TextDecoder().decode(init.body as Uint8Array);
    if (decoded.version === "v2024") {
      return next(url, { ...init, body: new TextEncoder().encode(await attacker.sealInitiate(undefined)) });
    }
    const body = JSON.parse(sent) as { sequence_token: string; data: string };
    const data = await attacker.sealInitiate({
      baseUrl: decoded.baseUrl,
      rendezvousId: decoded.rendezvousId,
      sequenceToken: body.sequence_token,
    });
    const response = await next(url, {
      ...init,
      body: new TextEncoder().encode(JSON.stringify({ ...body, data })),
    });
    const answer = (await response.clone().json()) as { sequence_token?: string };
    tokenAfterPut = answer.sequence_token;
    return response;
  });
  let answered = false;
  generator.host.interceptFetch((next) => async (url, init) => {
    // The user's guesses end the showing device's flow at once: its DELETE waits for the scanner to have seen
    // what it sees (the answer, or its own write replaced) and given up.
    if (init.method === "DELETE") await until("the scanner's end", () => scanner.outcome !== undefined);
    if (answered || init.method !== "PUT") return next(url, init);
    answered = true;
    if (decoded.version === "v2025") await until("the scanner to look at its write", () => scannerLooked);
    const response = await next(url, init);
    learned ??= learn();
    learned.then(
      (code) => {
        learnedCode = code;
      },
      () => undefined,
    );
    return response;
  });
  let learned: Promise<string> | undefined;
  let learnedCode: string | undefined;
  const learn = async (): Promise<string> => {
    if (putUrl === undefined) throw new Error("the initiate was not replaced");
    const response = await fetch(putUrl);
    if (decoded.version === "v2024") {
      return (await attacker.openOk(await response.text(), undefined)).checkCode;
    }
    const body = (await response.json()) as { data: string };
    const unconfirmed = await attacker.openOk(body.data, {
      baseUrl: decoded.baseUrl,
      rendezvousId: decoded.rendezvousId,
      sequenceToken: tokenAfterPut ?? "",
    });
    return unconfirmed.checkCode;
  };
  return {
    // The showing device's LoginOk is readable by the attacker, who then knows the code it expects.
    checkCode: () => (learned ??= learn()),
  };
}

/**
 * A peer that speaks the protocol but offers only something we do not: as the new device it asks for an unknown
 * protocol; as the existing device it offers one. It must receive `m.login.failure unsupported_protocol`.
 */
async function scriptedScanner(
  scanner: RunSide,
  qr: Uint8Array | undefined,
  version: WireVersion,
  world: FlowWorld,
  inject: Injection,
  hooks: { onCheckCode: (code: string) => void },
): Promise<void> {
  if (inject.kind === "verification_uri" || inject.kind === "peer_names_other_homeserver") {
    if (qr === undefined) throw new Error("no QR code to scan");
    const ourRole: Intent = scanner.device === "existing" ? "existing_device" : "new_device";
    const { peer, checkCode } = await scanAsPeer(qr, ourRole, { runtime: createRuntime(), signal: SIGNAL });
    expect(peer.version).toBe(version);
    hooks.onCheckCode(checkCode);
    if (inject.kind === "verification_uri") {
      await sendConsentUri(peer, inject.uri, world);
      await expectRefusedConsent(peer, version);
      return;
    }
    // The existing device names a homeserver other than the one the new device's QR code came from.
    const homeserver = world.other.baseUrl;
    await peer.sendText(
      JSON.stringify({
        type: "m.login.protocols",
        protocols: [DEVICE_AUTHORIZATION_GRANT],
        [version === "v2024" ? "homeserver" : "base_url"]: homeserver,
      }),
      SIGNAL,
    );
    const answer = await peer.receive(SIGNAL);
    expect(answer).toMatchObject({ type: "m.login.failure", reason: "user_cancelled" });
    return;
  }
  if (qr === undefined) throw new Error("no QR code to scan");
  const runtime = createRuntime();
  const scanned = acceptScannedQr(qr, scanner.device === "existing" ? "existing_device" : "new_device");
  expect(scanned.qr.version).toBe(version);
  const rendezvous = await joinRendezvous(scanned, { runtime, signal: SIGNAL, allowInsecureHttp: true });
  const channel = createScannerChannel(scanned);
  await rendezvous.send((aad) => channel.sealInitiate(aad), { signal: SIGNAL });
  const ok = await rendezvous.receive({ signal: SIGNAL, schedule: MACHINE_REPLY_DUE });
  const unconfirmed = await channel.openOk(ok.data, ok.aad);
  hooks.onCheckCode(unconfirmed.checkCode);
  const session = new SecureSession(rendezvous, unconfirmed.acknowledge(), { runtime, ourTurn: true });
  if (scanner.device === "existing") {
    await session.sendMessage(
      { type: "m.login.protocols", protocols: ["org.example.other"], homeserver: world.server.baseUrl },
      { signal: SIGNAL },
    );
  } else {
    await session.sendMessage(
      {
        type: "m.login.protocol",
        protocol: { unknown: "org.example.other" },
        device_id: "SCRIPTEDDEV1",
      } as never,
      { signal: SIGNAL },
    );
  }
  const answer = await session.receiveMessage({ signal: SIGNAL, schedule: [{ everyMs: 100 }] });
  expect(answer).toMatchObject({ type: "m.login.failure", reason: "unsupported_protocol" });
  session.close();
}

/** A scripted new device asks for the device grant with `uri` as its consent page. */
async function sendConsentUri(peer: ScriptedPeer, template: string, world: FlowWorld): Promise<void> {
  const uri = template.replace("{issuer-host}", new URL(world.server.issuer).host);
  await peer.sendText(
    JSON.stringify({
      type: "m.login.protocol",
      protocol: DEVICE_AUTHORIZATION_GRANT,
      device_authorization_grant: { verification_uri: uri },
      device_id: `SCRIPTED${Date.now()}`,
    }),
    SIGNAL,
  );
}

/** The existing device refuses to open the consent page and says so (MSC4108: v2025 names the reason). */
async function expectRefusedConsent(peer: ScriptedPeer, version: WireVersion): Promise<void> {
  const answer = await peer.receive(SIGNAL);
  expect(answer).toMatchObject({
    type: "m.login.failure",
    reason: version === "v2025" ? "unable_to_open_verification_uri" : "user_cancelled",
  });
}

/**
 * A scripted new device that shows the QR code (direction B): the real existing device scans it, the check code it
 * shows is "typed" here, and then the script runs.
 */
async function scriptedGenerator(
  scanner: RunSide,
  version: WireVersion,
  world: FlowWorld,
  inject: Injection,
  command: (side: RunSide, value: unknown) => void,
): Promise<void> {
  if (inject.kind !== "verification_uri") throw new TypeError(`no scripted generator for ${inject.kind}`);
  const shown = await showAsPeer(version, "new_device", {
    runtime: createRuntime(),
    signal: SIGNAL,
    baseUrl: world.server.baseUrl,
  });
  await until("the scanner to be scanning", () => scanner.controller?.snapshot().phase === "scanning");
  command(scanner, { type: "submitScannedQr", bytes: encodeBase64(shown.qr) });
  const unconfirmed = await shown.answer(SIGNAL);
  await until("the scanner's check code", () =>
    scanner.snapshots.some((s) => s.phase === "check_code_display"),
  );
  const display = scanner.snapshots.find((s) => s.phase === "check_code_display");
  const peer = shown.confirm(unconfirmed, display?.phase === "check_code_display" ? display.code : "");
  const protocols = await peer.receive(SIGNAL);
  expect(protocols.type).toBe("m.login.protocols");
  await sendConsentUri(peer, inject.uri, world);
  await expectRefusedConsent(peer, version);
}

/**
 * Puts fault-injecting proxies on the devices' network paths as the row says; returns what arms the faults when
 * they wait for a phase (`from`).
 */
async function installProxies(
  world: FlowWorld,
  inject: Injection,
  sides: Record<Device, RunSide>,
  generator: RunSide,
  scanner: RunSide,
): Promise<((side: RunSide, phase: FlowPhaseName) => void) | undefined> {
  if (inject.kind === "create_delegated") {
    // One proxy in front of the homeserver answers the v2024 create with MSC4108's 307 to another server.
    const proxy = await startFaultProxy(world.server.baseUrl);
    proxy.setRedirectTarget(world.other.baseUrl);
    proxy.setFaults([
      {
        method: "POST",
        path: RENDEZVOUS_CREATE_PATH,
        count: "all",
        fault: { kind: "redirect", status: 307 },
      },
    ]);
    for (const side of [generator, scanner]) {
      side.proxy = proxy;
      side.host.interceptFetch((next) => proxy.route(next));
    }
    return undefined;
  }
  if (inject.kind !== "network_faults") return undefined;
  const faulted: RunSide[] =
    inject.on === "both"
      ? [generator, scanner]
      : [inject.on === "showing" ? generator : inject.on === "scanning" ? scanner : sides[inject.on]];
  const shared = inject.on === "both" ? await startFaultProxy(world.server.baseUrl) : undefined;
  for (const side of [generator, scanner]) {
    const onPath = faulted.includes(side);
    // A clean path gets a proxy only to see the same (shortened) lifetimes.
    if (!onPath && inject.lifetimeMs === undefined) continue;
    const proxy = shared ?? (await startFaultProxy(world.server.baseUrl));
    side.proxy = proxy;
    side.host.interceptFetch((next) => proxy.route(next));
    proxy.setLifetime(inject.lifetimeMs);
    if (onPath && inject.from === undefined) proxy.setFaults(inject.faults);
  }
  if (inject.on === "both" && inject.faults.some((fault) => fault.fault.kind === "redirect")) {
    // The order is fixed whatever the poll timings and request pacing: the showing device meets a redirect and
    // ends first, then the scanner meets one; otherwise whichever ended first had the other's user give up, and
    // the row could not say what each device shows.
    scanner.host.interceptFetch((next) => async (url, init) => {
      await until("the showing device to meet a redirect and end", () => generator.outcome !== undefined);
      return next(url, init);
    });
  }
  const afterCommit = inject.faults.find((fault) => fault.fault.kind === "status_after_commit");
  if (afterCommit?.fault.kind === "status_after_commit") {
    const status = afterCommit.fault.status;
    resendAfterPeerAnswered(faulted, [generator, scanner], (answer) => answer === status);
  }
  if (inject.faults.some((fault) => fault.fault.kind === "lost_response")) {
    resendAfterPeerAnswered(faulted, [generator, scanner], (answer) => answer === "lost");
  }
  if (inject.from === undefined) return undefined;
  // One faulty path: that device's phase arms it; a proxy in front of the server: whichever device shows it first.
  const trigger = faulted.length === 1 ? faulted[0] : undefined;
  const from = inject.from;
  let armed = false;
  return (side, phase) => {
    if (armed || (trigger !== undefined && side !== trigger)) return;
    if (expectedPhases({ phases: [from] }, side.shows)[0] !== phase) return;
    armed = true;
    for (const target of faulted) target.proxy?.setFaults(inject.faults);
  };
}

/** Whether `side` is the one a cancel row has cancel. */
function cancels(inject: Injection & { kind: "cancel" }, side: RunSide): boolean {
  return inject.by === side.device || inject.by === (side.shows ? "shows" : "scans");
}

/** Holds a request until its signal aborts (the flow was cancelled, or the request timed out), then sends it. */
async function holdUntilAborted(next: Runtime["fetch"], url: string, init: RequestInit): Promise<Response> {
  await until("the held request's signal to abort", () => init.signal?.aborted === true);
  return next(url, init);
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => {
      reject(signal.reason as Error);
    };
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

/**
 * A cancel row whose phase is a device check on the existing device (negotiating: the 404 check before it asks
 * its user; syncing_secrets: the wait for the new device): the check waits, while its screen shows that phase,
 * until the flow is cancelled.
 */
function holdDeviceCheck(
  port: ExistingDeviceAccount,
  inject: Injection,
  existing: RunSide,
): ExistingDeviceAccount {
  if (inject.kind !== "cancel" || !cancels(inject, existing)) return port;
  if (inject.during !== "negotiating" && inject.during !== "syncing_secrets") return port;
  const during = inject.during;
  return {
    ...port,
    deviceExists: async (deviceId, signal) => {
      if (existing.controller?.snapshot().phase === during) await aborted(signal);
      return port.deviceExists(deviceId, signal);
    },
  };
}

/**
 * Holds a cancel row's short phase on the network, so that the cancel lands in it whatever the timing: the showing
 * device's LoginOk write (connecting), the scanner's reads after its LoginInitiate (connecting), the new device's
 * device authorization request (negotiating; as the scanner, check_code), and the existing device's reads from the new device's
 * m.login.success write on until the new device has ended (the new device's syncing_secrets).
 */
function holdForCancel(
  inject: Injection,
  sides: Record<Device, RunSide>,
  generator: RunSide,
  scanner: RunSide,
): void {
  if (inject.kind !== "cancel") return;
  const canceller = [generator, scanner].find((side) => cancels(inject, side));
  if (canceller === undefined) return;
  const phase = (): FlowPhaseName | undefined => canceller.controller?.snapshot().phase;
  if (inject.during === "connecting" && canceller === generator) {
    let held = false;
    generator.host.interceptFetch((next) => (url, init) => {
      if (held || init.method !== "PUT") return next(url, init);
      held = true;
      return holdUntilAborted(next, url, init);
    });
  }
  if (inject.during === "connecting" && canceller === scanner) {
    let wrote = false;
    scanner.host.interceptFetch((next) => (url, init) => {
      if (init.method === "PUT") wrote = true;
      if (!wrote || init.method !== "GET" || !url.includes("rendezvous")) return next(url, init);
      return holdUntilAborted(next, url, init);
    });
  }
  // The new device asks its server for a device code in its negotiating phase when it showed the QR code, and
  // while it shows the check code when it scanned: held there, it is its turn on the channel when it cancels.
  const asksForCode = canceller.shows ? "negotiating" : "check_code";
  if (inject.during === asksForCode && canceller.device === "new") {
    const held = expectedPhases({ phases: [asksForCode] }, canceller.shows)[0];
    canceller.host.interceptFetch((next) => (url, init) => {
      if (init.method !== "POST" || !/\/device/.test(new URL(url).pathname) || phase() !== held)
        return next(url, init);
      return holdUntilAborted(next, url, init);
    });
  }
  if (inject.failureWriteStalls === true) {
    // The canceller's m.login.failure: no answer until its own timeout gives up on it.
    canceller.host.interceptFetch((next) => (url, init) => {
      if (canceller.cancelled !== true || init.method !== "PUT" || !url.includes("rendezvous"))
        return next(url, init);
      return holdUntilAborted(next, url, init);
    });
  }
  if (inject.during === "syncing_secrets" && canceller.device === "new") {
    let successWritten = false;
    sides.new.host.interceptFetch((next) => (url, init) => {
      if (init.method === "PUT" && phase() === "waiting_for_approval") successWritten = true;
      return next(url, init);
    });
    sides.existing.host.interceptFetch((next) => async (url, init) => {
      if (successWritten && init.method === "GET" && url.includes("rendezvous")) {
        await until(
          "the new device's end",
          () => sides.new.outcome !== undefined || init.signal?.aborted === true,
        );
      }
      return next(url, init);
    });
  }
}

/**
 * A write the server applied whose answer was a gateway's error or was lost: the writer's resend waits until the
 * peer has read the write and answered it. The order is fixed whatever the poll timings and the load: otherwise a quick
 * resend finds the cell still holding its own write (and recovers), a late one the peer's answer (which under
 * MSC4388 is sealed to a sequence token the writer never learnt), and the row could not say which.
 */
function resendAfterPeerAnswered(
  faulted: readonly RunSide[],
  sides: readonly RunSide[],
  applied: (answer: number | "lost") => boolean,
): void {
  const writes = new Map<RunSide, number>(sides.map((side) => [side, 0]));
  for (const side of sides) {
    const peer = sides.find((other) => other !== side);
    if (peer === undefined) continue;
    const holds = faulted.includes(side);
    let resendAfter: number | undefined;
    side.host.interceptFetch((next) => async (url, init) => {
      if (init.method !== "PUT" || !url.includes("rendezvous")) return next(url, init);
      const wanted = holds ? resendAfter : undefined;
      if (wanted !== undefined) {
        await until(
          "the peer's answer to the applied write",
          () => (writes.get(peer) ?? 0) >= wanted || init.signal?.aborted === true,
        );
        resendAfter = undefined;
      }
      let response: Response;
      try {
        response = await next(url, init);
      } catch (error) {
        if (applied("lost") && init.signal?.aborted !== true) resendAfter = (writes.get(peer) ?? 0) + 1;
        throw error;
      }
      if (applied(response.status)) resendAfter = (writes.get(peer) ?? 0) + 1;
      else if (response.ok) writes.set(side, (writes.get(side) ?? 0) + 1);
      return response;
    });
  }
}
