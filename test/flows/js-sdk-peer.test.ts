// Our flows against matrix-js-sdk's own MSC4108 (v2024) as the other device, in all four directions: it shows and
// we scan, we show and it scans, as the new device and as the existing device. The SDK does not compare check
// codes: the harness reads the SDK's code and ours and checks they agree (and types it where we show the QR).
// Each run ends with the new device verified, as a third client (matrix-js-sdk, unlocked with the recovery key)
// sees it through cross-signing.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MatrixClient } from "matrix-js-sdk";
import { decodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/index.js";
import { afterEach, describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import { Account } from "../../src-main/engine/account";
import type { FlowController } from "../../src-main/flows/controller";
import { startFlow } from "../../src-main/flows/start";
import { Profile } from "../../src-main/matrix";
import { createRuntime, encodeBase64 } from "../../src-main/protocol";
import type { FlowSnapshot } from "../../src-shared/flow";
import { bootstrapEncryption, cryptoOf, SecretStorageKeys, useJsSdkClients } from "../helpers/js-sdk";
import {
  completeExistingDevice,
  completeNewDevice,
  existingDeviceScans,
  existingDeviceShowsQr,
  newDeviceScans,
  newDeviceShowsQr,
  resolveHomeserver,
} from "../helpers/js-sdk-qr-login";
import { TEST_CRYPTO_STORE, TEST_TIMINGS, postHook } from "../helpers/matrix-device";
import { DEVSERVER, FLOW_TEST_TIMINGS, countingHost, existingAccount } from "./harness";

const clients = useJsSdkClients();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function folder(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "mql-jssdk-"));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  return root;
}

/** Alice's one device on a fresh devserver is matrix-js-sdk, with cross-signing, secret storage and a backup. */
async function sdkExisting(): Promise<{ server: Devserver; client: MatrixClient; recoveryKey: string }> {
  const server = await clients.startDevserver(DEVSERVER);
  const client = await clients.signIn(server, "alice");
  await clients.start(client);
  const key = await bootstrapEncryption(client);
  return { server, client, recoveryKey: key.encodedPrivateKey ?? "" };
}

/** Our new device: an empty profile whose user chose `server`. */
async function ourNewDevice(server: Devserver): Promise<Account> {
  const profile = await Profile.open({ location: { dir: join(await folder(), "new") }, app: "test" });
  await profile.updateSettings({ homeserver: server.baseUrl });
  const account = new Account({
    runtime: createRuntime(),
    profile,
    allowInsecureHttp: true,
    device: { timings: TEST_TIMINGS, cryptoStore: TEST_CRYPTO_STORE },
  });
  cleanups.push(async () => {
    await account.stop();
    await profile.close();
  });
  return account;
}

/** Our existing device on a fresh devserver (device grant, then encryption set up). */
async function ourExistingDevice(): Promise<{ server: Devserver; account: Account; recoveryKey: string }> {
  const server = await clients.startDevserver(DEVSERVER);
  const { account, recoveryKey } = await existingAccount(server, await folder());
  cleanups.push(async () => {
    await account.stop();
    await account.profile.close();
  });
  return { server, account, recoveryKey };
}

function watch(controller: FlowController): {
  snapshots: FlowSnapshot[];
  next: (phase: string) => Promise<FlowSnapshot>;
} {
  const snapshots: FlowSnapshot[] = [controller.snapshot()];
  controller.subscribe((snapshot) => snapshots.push(snapshot));
  return {
    snapshots,
    next: async (phase) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const found = snapshots.find((snapshot) => snapshot.phase === phase);
        if (found !== undefined) return found;
        const error = snapshots.find((snapshot) => snapshot.phase === "error");
        if (error !== undefined) throw new Error(`the flow failed: ${JSON.stringify(error)}`);
        if (Date.now() > deadline) throw new Error(`no ${phase} snapshot`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

function accept(controller: FlowController, command: unknown): void {
  expect(controller.command(command)).toEqual({ type: "accepted" });
}

/** A third device of alice trusts the identity through the recovery key and judges `deviceId` by the server. */
async function expectVerifiedByThirdClient(
  server: Devserver,
  recoveryKey: string,
  deviceId: string,
): Promise<void> {
  const keys = new SecretStorageKeys();
  const third = await clients.signIn(server, "alice", keys);
  await clients.start(third);
  const keyId = await third.secretStorage.getDefaultKeyId();
  if (keyId === null) throw new Error("no default secret storage key");
  keys.add(keyId, decodeRecoveryKey(recoveryKey));
  await cryptoOf(third).bootstrapCrossSigning({});
  const userId = third.getSafeUserId();
  await cryptoOf(third).getUserDeviceInfo([userId], true);
  const seen = await cryptoOf(third).getDeviceVerificationStatus(userId, deviceId);
  expect(seen).toMatchObject({ signedByOwner: true, crossSigningVerified: true });
}

async function approveUserCode(server: Devserver, userCode: string): Promise<void> {
  const answered = await postHook(server, "/_devserver/approve", {
    user_code: userCode,
    user: "alice",
    approve: true,
  });
  expect(answered.status).toBe(200);
}

describe("our flows with matrix-js-sdk's MSC4108SignInWithQR as the other device (v2024)", () => {
  it("its existing device shows the QR code, our new device scans it", async () => {
    const { server, client, recoveryKey } = await sdkExisting();
    const account = await ourNewDevice(server);
    const shown = await existingDeviceShowsQr(client);
    const ours = startFlow({
      role: "new_device",
      side: "scanner",
      host: countingHost(),
      account: account.newDevice(),
      timings: FLOW_TEST_TIMINGS,
      allowInsecureHttp: true,
    });
    const seen = watch(ours);
    await seen.next("scanning");
    accept(ours, { type: "submitScannedQr", bytes: encodeBase64(shown.qr) });
    await shown.flow.negotiateProtocols();
    const display = await seen.next("check_code_display");
    expect(display.phase === "check_code_display" && display.code).toBe(shown.flow.checkCode);
    const [secrets] = await Promise.all([
      completeExistingDevice(shown, async () => {
        const waiting = await seen.next("waiting_for_approval");
        if (waiting.phase === "waiting_for_approval") await approveUserCode(server, waiting.userCode);
      }),
      seen.next("done"),
    ]);
    expect(Object.keys(secrets).sort()).toContain("cross_signing");
    const done = await seen.next("done");
    expect(done).toMatchObject({ phase: "done", verified: true, backup: true });
    if (done.phase === "done") await expectVerifiedByThirdClient(server, recoveryKey, done.deviceId);
    expect(shown.failures).toEqual([]);
    await shown.flow.close();
  }, 60_000);

  it("its new device shows the QR code, our existing device scans it", async () => {
    const { server, account, recoveryKey } = await ourExistingDevice();
    const shown = await newDeviceShowsQr(server.baseUrl);
    const ours = startFlow({
      role: "existing_device",
      side: "scanner",
      host: countingHost(),
      account: account.existingDevice(),
      timings: FLOW_TEST_TIMINGS,
      allowInsecureHttp: true,
    });
    const seen = watch(ours);
    await seen.next("scanning");
    accept(ours, { type: "submitScannedQr", bytes: encodeBase64(shown.qr) });
    const protocols = await shown.flow.negotiateProtocols();
    const display = await seen.next("check_code_display");
    expect(display.phase === "check_code_display" && display.code).toBe(shown.flow.checkCode);
    const baseUrl = await resolveHomeserver(protocols.serverName ?? "");
    expect(baseUrl).toBe(server.baseUrl);
    const approving = seen.next("approve_device").then(() => {
      accept(ours, { type: "approveDevice", approve: true });
    });
    const newDevice = await completeNewDevice(shown, {
      baseUrl,
      clients,
      onUserCode: (userCode) => {
        void approving.then(() => approveUserCode(server, userCode));
      },
    });
    const done = await seen.next("done");
    expect(done).toMatchObject({ phase: "done", deviceId: newDevice.deviceId });
    await expectVerifiedByThirdClient(server, recoveryKey, newDevice.deviceId);
    expect(shown.failures).toEqual([]);
    await shown.flow.close();
  }, 60_000);

  it("our existing device shows the QR code, its new device scans it", async () => {
    const { server, account, recoveryKey } = await ourExistingDevice();
    const ours = startFlow({
      role: "existing_device",
      side: "generator",
      host: countingHost(),
      account: account.existingDevice(),
      timings: FLOW_TEST_TIMINGS,
      allowInsecureHttp: true,
    });
    const seen = watch(ours);
    const qr = await seen.next("showing_qr");
    if (qr.phase !== "showing_qr") throw new Error("no QR");
    const scanned = await newDeviceScans(Uint8Array.from(Buffer.from(qr.qr, "base64")));
    await scanned.flow.negotiateProtocols();
    await seen.next("check_code_entry");
    accept(ours, { type: "submitCheckCode", code: scanned.flow.checkCode });
    const approving = seen.next("approve_device").then(() => {
      accept(ours, { type: "approveDevice", approve: true });
    });
    const newDevice = await completeNewDevice(scanned, {
      baseUrl: await resolveHomeserver(scanned.serverName),
      clients,
      onUserCode: (userCode) => {
        void approving.then(() => approveUserCode(server, userCode));
      },
    });
    const done = await seen.next("done");
    expect(done).toMatchObject({ phase: "done", deviceId: newDevice.deviceId });
    await expectVerifiedByThirdClient(server, recoveryKey, newDevice.deviceId);
    expect(scanned.failures).toEqual([]);
    await scanned.flow.close();
  }, 60_000);

  it("our new device shows the QR code, its existing device scans it", async () => {
    const { server, client, recoveryKey } = await sdkExisting();
    const account = await ourNewDevice(server);
    const ours = startFlow({
      role: "new_device",
      side: "generator",
      host: countingHost(),
      account: account.newDevice(),
      timings: FLOW_TEST_TIMINGS,
      allowInsecureHttp: true,
    });
    const seen = watch(ours);
    const qr = await seen.next("showing_qr");
    if (qr.phase !== "showing_qr") throw new Error("no QR");
    const scanned = await existingDeviceScans(Uint8Array.from(Buffer.from(qr.qr, "base64")), client);
    await scanned.flow.negotiateProtocols();
    await seen.next("check_code_entry");
    accept(ours, { type: "submitCheckCode", code: scanned.flow.checkCode });
    await completeExistingDevice(scanned, async () => {
      const waiting = await seen.next("waiting_for_approval");
      if (waiting.phase === "waiting_for_approval") await approveUserCode(server, waiting.userCode);
    });
    const done = await seen.next("done");
    expect(done).toMatchObject({ phase: "done", verified: true, backup: true });
    if (done.phase === "done") await expectVerifiedByThirdClient(server, recoveryKey, done.deviceId);
    expect(scanned.failures).toEqual([]);
    await scanned.flow.close();
  }, 60_000);
});
