// matrix-js-sdk 43 with Rust crypto as real devices against the devserver's client-server API: one device sets
// up encryption (cross-signing, secret storage, key backup) and exports the secrets bundle; another device of the
// same user sees that identity, unlocks it with the recovery key, and then trusts the first device through
// cross-signing (as the Rust crypto reports it), while the first learns of the second through `/sync`.
import { ed25519 } from "@noble/curves/ed25519.js";
import type { MatrixClient } from "matrix-js-sdk";
import { decodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/index.js";
import { describe, expect, it, vi } from "vitest";
import type { Devserver } from "../../devserver/index";
import {
  bootstrapEncryption,
  cryptoOf,
  exportSecretsBundle,
  SecretStorageKeys,
  useJsSdkClients,
} from "../helpers/js-sdk";

const clients = useJsSdkClients();

function startServer(): Promise<Devserver> {
  return clients.startDevserver({ users: ["alice:secret"] });
}

async function deviceIdsOfUser(client: MatrixClient, userId: string): Promise<string[]> {
  const devices = await cryptoOf(client).getUserDeviceInfo([userId], true);
  return [...(devices.get(userId)?.keys() ?? [])].sort();
}

describe("one device sets up encryption", () => {
  it("bootstraps cross-signing, secret storage and a key backup, and exports all of it as a secrets bundle", async () => {
    const server = await startServer();
    const alice = await clients.signIn(server, "alice");
    await clients.start(alice);
    await bootstrapEncryption(alice);
    const crypto = cryptoOf(alice);

    expect(await crypto.isCrossSigningReady()).toBe(true);
    expect(await crypto.isSecretStorageReady()).toBe(true);
    const backup = await crypto.getActiveSessionBackupVersion();
    expect(backup).not.toBeNull();
    const ownDevice = await crypto.getDeviceVerificationStatus(
      alice.getSafeUserId(),
      alice.getDeviceId() ?? "",
    );
    expect(ownDevice?.crossSigningVerified).toBe(true);

    const bundle = await exportSecretsBundle(alice);
    // Private keys, 32 bytes each, in unpadded base64 (docs/protocol.md §7).
    const { master_key, self_signing_key, user_signing_key } = bundle.cross_signing;
    for (const key of [master_key, self_signing_key, user_signing_key, bundle.backup?.key ?? ""]) {
      expect(key).toMatch(/^[A-Za-z0-9+/]{43}$/);
    }
    expect(bundle.backup).toMatchObject({
      algorithm: "m.megolm_backup.v1.curve25519-aes-sha2",
      backup_version: backup,
    });
    // The master key in the bundle is the one the server publishes.
    const published = await fetch(`${server.baseUrl}/_matrix/client/v3/keys/query`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.getAccessToken() ?? ""}` },
      body: JSON.stringify({ device_keys: { [alice.getSafeUserId()]: [] } }),
    });
    const { master_keys } = (await published.json()) as { master_keys: Record<string, { keys: object }> };
    const masterPublic = ed25519.getPublicKey(Buffer.from(master_key, "base64"));
    expect(Object.values(master_keys[alice.getSafeUserId()]?.keys ?? {})).toEqual([
      Buffer.from(masterPublic).toString("base64").replace(/=+$/, ""),
    ]);
  }, 30_000);
});

describe("a second device of the same user", () => {
  it("sees the identity, unlocks it with the recovery key, and then trusts the first device", async () => {
    const server = await startServer();
    const first = await clients.signIn(server, "alice");
    await clients.start(first);
    const recoveryKey = await bootstrapEncryption(first);
    const userId = first.getSafeUserId();
    const firstDeviceId = first.getDeviceId() ?? "";

    const keys = new SecretStorageKeys();
    const second = await clients.signIn(server, "alice", keys);
    await clients.start(second);
    const crypto = cryptoOf(second);

    // The identity and the first device's self-signing signature are visible, but not trusted yet.
    expect(await crypto.userHasCrossSigningKeys(userId, true)).toBe(true);
    expect(await deviceIdsOfUser(second, userId)).toEqual([firstDeviceId, second.getDeviceId() ?? ""].sort());
    const before = await crypto.getDeviceVerificationStatus(userId, firstDeviceId);
    expect(before).toMatchObject({ signedByOwner: true, crossSigningVerified: false });

    // And the first device does not trust the second, which nothing has signed.
    const secondDeviceId = second.getDeviceId() ?? "";
    await cryptoOf(first).getUserDeviceInfo([userId], true);
    const unsigned = await cryptoOf(first).getDeviceVerificationStatus(userId, secondDeviceId);
    expect(unsigned).toMatchObject({ signedByOwner: false, crossSigningVerified: false });

    // "Verify with recovery key": the user types the recovery key; the cross-signing keys come out of secret
    // storage, and the second device signs itself.
    const defaultKeyId = await second.secretStorage.getDefaultKeyId();
    if (defaultKeyId === null) throw new Error("no default secret storage key");
    keys.add(defaultKeyId, decodeRecoveryKey(recoveryKey.encodedPrivateKey ?? ""));
    await crypto.bootstrapCrossSigning({});

    const after = await crypto.getDeviceVerificationStatus(userId, firstDeviceId);
    expect(after).toMatchObject({ signedByOwner: true, crossSigningVerified: true });

    // The first device learns of the newly cross-signed second device through device_lists.changed.
    await vi.waitFor(
      async () => {
        const status = await cryptoOf(first).getDeviceVerificationStatus(userId, secondDeviceId);
        expect(status?.crossSigningVerified).toBe(true);
      },
      { timeout: 5000, interval: 100 },
    );
  }, 30_000);
});
