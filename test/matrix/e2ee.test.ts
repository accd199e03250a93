// The app's Matrix device making itself a complete, trusted device against the devserver: a fresh account's
// encryption set up, a second device signed in with the device grant and given the first one's secrets bundle
// (checked by a third, independent client: matrix-js-sdk), a bundle that is not the account's refused before
// anything is uploaded, a restore with the recovery key, and a reset of the identity approved on the account page.
// What is asserted comes from the server (its `/keys/query` and `/room_keys/version`), not from the device's cache.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { x25519 } from "@noble/curves/ed25519.js";
import { decodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/index.js";
import { describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import { isMatrixError, type SecretsBundle } from "../../src-main/matrix";
import { api } from "../helpers/csapi";
import { cryptoOf, SecretStorageKeys, useJsSdkClients } from "../helpers/js-sdk";
import {
  postHook,
  signInWithDeviceGrant,
  testSignal,
  useMatrixDevices,
  type SignedInDevice,
} from "../helpers/matrix-device";

const devices = useMatrixDevices();
const jsSdk = useJsSdkClients();
const signal = testSignal();

function unpadded(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

function randomKey(): string {
  return unpadded(crypto.getRandomValues(new Uint8Array(32)));
}

async function expectMatrixError(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMatrixError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  return error as Record<string, unknown>;
}

/** The first device of alice, with encryption set up; its recovery key. */
async function firstDevice(server: Devserver): Promise<SignedInDevice & { recoveryKey: string }> {
  const first = await devices.signIn(server, "alice", "first");
  const { recoveryKey } = await first.device.setUpEncryption(signal);
  return { ...first, recoveryKey };
}

/** The server's current backup version and its public key, as any client reads them. */
async function serverBackup(
  server: Devserver,
  token: string,
): Promise<{ version: string; publicKey: string }> {
  const { status, body } = await api(server, token)("GET", "/room_keys/version");
  expect(status).toBe(200);
  return {
    version: body.version as string,
    publicKey: (body.auth_data as { public_key: string }).public_key,
  };
}

/** Requests that would publish keys or secrets, from the devserver's log of client-server API requests. */
function uploadsIn(server: Devserver): string[] {
  return server.hooks
    .clientApiLog()
    .filter(
      ({ method, path }) =>
        /\/keys\/(device_signing|signatures)\/upload$/.test(path) ||
        (method !== "GET" && /\/room_keys\//.test(path)) ||
        (method === "PUT" && /\/account_data\//.test(path)),
    )
    .map(({ method, path }) => `${method} ${path}`);
}

describe("a fresh account", () => {
  it("sets up cross-signing, secret storage and a key backup, and hands out the recovery key once", async () => {
    const server = await devices.startDevserver();
    const first = await firstDevice(server);

    expect(first.recoveryKey).toMatch(/^E[A-Za-z0-9]{3}( [A-Za-z0-9]{4}){11}$/);
    expect(await first.device.serverView(first.account.deviceId, signal)).toEqual({
      verified: true,
      backup: true,
    });
    expect(await first.device.hasLocalCrossSigningKeys()).toBe(true);
    // Stored nowhere: not in the profile's files (the snapshot is encrypted; its plaintext is checked below).
    await first.device.stop();
    for (const name of await readdir(first.profile.dir)) {
      const text = await readFile(join(first.profile.dir, name), "utf8");
      expect(text).not.toContain(first.recoveryKey.replaceAll(" ", ""));
      expect(text).not.toContain(first.recoveryKey);
    }
  });
});

describe("a second device given the first device's secrets bundle", () => {
  it("ends cross-signed, as a third client sees it, and connected to the account's backup", async () => {
    const server = await devices.startDevserver();
    const first = await firstDevice(server);

    // The new device signs in with the OAuth device grant, in a profile of its own.
    const grant = await signInWithDeviceGrant(server, "alice");
    const secondProfile = await devices.openProfile("second");
    const second = await devices.start({
      profile: secondProfile,
      tokens: grant.source,
      account: grant.account,
    });
    const { userId, deviceId } = grant.account;
    expect(await first.device.deviceExists(deviceId, signal)).toBe(true);
    expect(await first.device.serverView(deviceId, signal)).toMatchObject({ verified: false });

    const bundle = await first.device.exportSecretsBundle();
    expect(Object.keys(bundle).sort()).toEqual(["backup", "cross_signing"]);
    await second.importSecretsBundle(bundle, signal);

    // A third device of the account, matrix-js-sdk with its own Rust crypto, trusts the identity (recovery key)
    // and then sees the second device as verified through cross-signing.
    const keys = new SecretStorageKeys();
    const third = await jsSdk.signIn(server, "alice", keys);
    await jsSdk.start(third);
    const defaultKeyId = await third.secretStorage.getDefaultKeyId();
    keys.add(defaultKeyId ?? "", decodeRecoveryKey(first.recoveryKey));
    await cryptoOf(third).bootstrapCrossSigning({});
    await cryptoOf(third).getUserDeviceInfo([userId], true);
    const status = await cryptoOf(third).getDeviceVerificationStatus(userId, deviceId);
    expect(status).toMatchObject({ signedByOwner: true, crossSigningVerified: true });

    // Its active backup is the server's current one, and its backup key's public half is `auth_data.public_key`.
    const backup = await serverBackup(server, first.accessToken);
    const crypto = second.sdkClient.getCrypto();
    expect(await crypto?.getActiveSessionBackupVersion()).toBe(backup.version);
    const privateKey = await crypto?.getSessionBackupPrivateKey();
    expect(unpadded(x25519.getPublicKey(privateKey ?? new Uint8Array()))).toBe(backup.publicKey);
    expect(await second.serverView(deviceId, signal)).toEqual({ verified: true, backup: true });
    expect(await first.device.serverView(deviceId, signal)).toMatchObject({ verified: true });
  });

  it.each([
    [
      "master_key",
      (b: SecretsBundle): SecretsBundle => ({
        ...b,
        cross_signing: { ...b.cross_signing, master_key: randomKey() },
      }),
    ],
    [
      "self_signing_key",
      (b: SecretsBundle): SecretsBundle => ({
        ...b,
        cross_signing: { ...b.cross_signing, self_signing_key: randomKey() },
      }),
    ],
    [
      "user_signing_key",
      (b: SecretsBundle): SecretsBundle => ({
        ...b,
        cross_signing: { ...b.cross_signing, user_signing_key: randomKey() },
      }),
    ],
    [
      "backup_key",
      (b: SecretsBundle): SecretsBundle => ({
        ...b,
        ...(b.backup === undefined ? {} : { backup: { ...b.backup, key: randomKey() } }),
      }),
    ],
  ])("refuses a bundle whose %s is not the account's, before anything is uploaded", async (field, tamper) => {
    const server = await devices.startDevserver();
    const first = await firstDevice(server);
    const second = await devices.signIn(server, "alice", "second");
    const bundle = tamper(await first.device.exportSecretsBundle());

    server.hooks.clearClientApiLog();
    const error = await expectMatrixError(
      second.device.importSecretsBundle(bundle, signal),
      "secrets_mismatch",
    );
    expect(error.reason).toBe(field);
    // Nothing was imported or published: no signature, key, backup or secret upload reached the server.
    expect(uploadsIn(server)).toEqual([]);
    expect(await second.device.hasLocalCrossSigningKeys()).toBe(false);
    expect(await second.device.serverView(second.account.deviceId, signal)).toEqual({
      verified: false,
      backup: false,
    });
    // The same bundle untampered goes through (the refusal was about the key, not the device).
    await second.device.importSecretsBundle(await first.device.exportSecretsBundle(), signal);
    expect(await second.device.serverView(second.account.deviceId, signal)).toEqual({
      verified: true,
      backup: true,
    });
  });

  it("refuses to export without the cross-signing keys, naming what is missing", async () => {
    const server = await devices.startDevserver();
    const { device } = await devices.signIn(server, "alice", "lonely");
    expect(await device.hasLocalCrossSigningKeys()).toBe(false);
    const error = await expectMatrixError(device.exportSecretsBundle(), "missing_secrets");
    expect(error.reason).toBe("master_key,self_signing_key,user_signing_key");
  });
});

describe("an account with an identity this device does not hold", () => {
  it("is restored with the recovery key on a new profile; a wrong key is refused", async () => {
    const server = await devices.startDevserver();
    const first = await firstDevice(server);
    const second = await devices.signIn(server, "alice", "second");

    await expectMatrixError(second.device.setUpEncryption(signal), "identity_exists");
    server.hooks.clearClientApiLog();
    const malformed = await expectMatrixError(
      second.device.restoreWithRecoveryKey("EsTc not a key", signal),
      "wrong_recovery_key",
    );
    expect(malformed.reason).toBe("malformed");
    // A well-formed recovery key of another secret storage.
    const other = await second.device.sdkClient.getCrypto()?.createRecoveryKeyFromPassphrase();
    const wrong = await expectMatrixError(
      second.device.restoreWithRecoveryKey(other?.encodedPrivateKey ?? "", signal),
      "wrong_recovery_key",
    );
    expect(wrong.reason).toBe("mismatch");
    expect(uploadsIn(server)).toEqual([]);

    await second.device.restoreWithRecoveryKey(first.recoveryKey, signal);
    expect(await second.device.serverView(second.account.deviceId, signal)).toEqual({
      verified: true,
      backup: true,
    });
    expect(await second.device.hasLocalCrossSigningKeys()).toBe(true);
  });

  it("is reset once the account page approved, and the old devices are no longer verified", async () => {
    const server = await devices.startDevserver();
    const first = await firstDevice(server);
    const second = await devices.signIn(server, "alice", "second");
    const masterBefore = await masterKeyOnServer(server, first.accessToken);

    // The user does not approve: the server still refuses, and says where to approve.
    const refused = await expectMatrixError(
      second.device.resetIdentity({ approve: () => Promise.resolve() }, signal),
      "reset_needs_approval",
    );
    expect(refused.url).toMatch(/\/account\/\?action=org\.matrix\.cross_signing_reset$/);
    expect(await masterKeyOnServer(server, first.accessToken)).toBe(masterBefore);

    const approvals: string[] = [];
    const { recoveryKey } = await second.device.resetIdentity(
      {
        approve: async (url) => {
          approvals.push(url);
          expect((await postHook(server, "/_devserver/cross-signing-reset", { user: "alice" })).status).toBe(
            200,
          );
        },
      },
      signal,
    );
    expect(approvals).toHaveLength(1);
    expect(recoveryKey).not.toBe(first.recoveryKey);
    expect(await masterKeyOnServer(server, first.accessToken)).not.toBe(masterBefore);
    expect(await second.device.serverView(second.account.deviceId, signal)).toEqual({
      verified: true,
      backup: true,
    });
    expect(await second.device.serverView(first.account.deviceId, signal)).toMatchObject({ verified: false });

    // The new recovery key restores the new identity on yet another device.
    const third = await devices.signIn(server, "alice", "third");
    await third.device.restoreWithRecoveryKey(recoveryKey, signal);
    expect(await third.device.serverView(third.account.deviceId, signal)).toEqual({
      verified: true,
      backup: true,
    });
  });
});

async function masterKeyOnServer(server: Devserver, token: string): Promise<string> {
  const { body } = await api(server, token)("POST", "/keys/query", {
    device_keys: { [`@alice:${server.serverName}`]: [] },
  });
  const master = (body.master_keys as Record<string, { keys: Record<string, string> }>)[
    `@alice:${server.serverName}`
  ];
  return Object.values(master?.keys ?? {})[0] ?? "";
}
