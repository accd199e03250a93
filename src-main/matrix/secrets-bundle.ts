// The secrets bundle (`m.login.secrets` without its type, docs/protocol.md §7): what the existing device sends
// last (MSC4108 step A-G12 / B-S11) and the new device imports (A-S11 / B-G12).
//
// Importing is checked first, here, before anything is imported or uploaded: each private key's public half must
// be the key the server publishes for this account (`/keys/query` for the three cross-signing keys, the current
// backup's `auth_data.public_key` for the backup key). rust-sdk imports the bundle unchecked; a device that
// trusted whatever a peer sent would let a compromised peer plant its own identity. Then the device must end up
// cross-signed: once its device keys are on the server (which only the sync loop's outgoing requests upload) we
// sign it and read the signature back from the server; and the backup is connected when a key came with the bundle.
//
// The import is on the critical path of a QR sign-in (the new device is "done" when it ends), so what does not
// depend on each other runs together: the check and the Rust crypto's own download of the account's identity;
// then the signature and the backup; then one read of the server's view, which is the import's answer.
import { MEGOLM_BACKUP_V1, type CrossSigningSecrets, type LoginSecretsMessage } from "../protocol";
import type { DeviceContext } from "./context";
import { MatrixError } from "./errors";
import { curve25519PublicKey, ed25519PublicKey, privateKeyBytes } from "./keys";
import {
  currentBackup,
  deviceKeysOnServer,
  isCrossSignedOnServer,
  queryOwnKeys,
  waitForOwnDeviceKeys,
  waitForServerKeys,
  type CrossSigningKeyType,
  type PublishedBackup,
  type PublishedKeys,
} from "./server-keys";
import { viewOf, type ServerView } from "./server-view";

/** `m.login.secrets` without `type`: three cross-signing seeds and, optionally, the backup key. */
export type SecretsBundle = Omit<LoginSecretsMessage, "type">;

interface RustSecretsBundleApi {
  exportSecretsBundle(): Promise<unknown>;
  importSecretsBundle(bundle: unknown): Promise<void>;
}

function bundleApi(ctx: DeviceContext): RustSecretsBundleApi {
  // matrix-js-sdk 43's CryptoApi declares both methods as optional (legacy crypto lacked them); Rust crypto has them.
  return ctx.crypto as unknown as RustSecretsBundleApi;
}

const CROSS_SIGNING_FIELDS = [
  ["master", "master_key"],
  ["self_signing", "self_signing_key"],
  ["user_signing", "user_signing_key"],
] as const satisfies readonly (readonly [CrossSigningKeyType, keyof CrossSigningSecrets])[];

/** Which of the three cross-signing private keys this device holds. */
export async function localCrossSigningKeys(
  ctx: DeviceContext,
): Promise<Record<CrossSigningKeyType, boolean>> {
  const { privateKeysCachedLocally } = await ctx.crypto.getCrossSigningStatus();
  return {
    master: privateKeysCachedLocally.masterKey,
    self_signing: privateKeysCachedLocally.selfSigningKey,
    user_signing: privateKeysCachedLocally.userSigningKey,
  };
}

export async function hasLocalCrossSigningKeys(ctx: DeviceContext): Promise<boolean> {
  const keys = await localCrossSigningKeys(ctx);
  return keys.master && keys.self_signing && keys.user_signing;
}

/** The bundle for a new device; `missing_secrets` naming the keys this device lacks. */
export async function exportSecretsBundle(ctx: DeviceContext): Promise<SecretsBundle> {
  ctx.assertRunning();
  const local = await localCrossSigningKeys(ctx);
  const missing = CROSS_SIGNING_FIELDS.filter(([type]) => !local[type]).map(([, field]) => field);
  if (missing.length > 0) {
    throw new MatrixError("missing_secrets", `this device lacks ${missing.join(", ")}`, {
      reason: missing.join(","),
    });
  }
  const exported = (await bundleApi(ctx).exportSecretsBundle()) as {
    cross_signing: CrossSigningSecrets;
    backup?: { algorithm: string; key: string; backup_version: string } | null;
  };
  const { master_key, self_signing_key, user_signing_key } = exported.cross_signing;
  const backup = exported.backup;
  // Only the one backup algorithm every peer reads is sent; rust-sdk drops a bundle with any other (§7).
  return {
    cross_signing: { master_key, self_signing_key, user_signing_key },
    ...(backup !== null && backup !== undefined && backup.algorithm === MEGOLM_BACKUP_V1
      ? { backup: { algorithm: MEGOLM_BACKUP_V1, key: backup.key, backup_version: backup.backup_version } }
      : {}),
  };
}

function mismatch(what: string, message: string): MatrixError {
  return new MatrixError("secrets_mismatch", message, { reason: what });
}

/**
 * Checks the bundle against the server, before anything is imported: every private key must be the one whose
 * public half the server publishes. Returns the bundle to import (the backup version the server's current one,
 * when the key matches it).
 */
export async function checkSecretsBundle(
  ctx: DeviceContext,
  bundle: SecretsBundle,
  signal: AbortSignal,
): Promise<SecretsBundle> {
  return (await checkAgainstServer(ctx, bundle, signal)).checked;
}

/** `checkSecretsBundle`, also returning what the server published when it was checked. */
async function checkAgainstServer(
  ctx: DeviceContext,
  bundle: SecretsBundle,
  signal: AbortSignal,
): Promise<{ checked: SecretsBundle; published: PublishedKeys; backup: PublishedBackup | undefined }> {
  // Both reads go out together; a bundle without a backup key only ignores the backup's.
  const [published, backup] = await Promise.all([
    queryOwnKeys(ctx, signal),
    bundle.backup === undefined ? undefined : currentBackup(ctx, signal),
  ]);
  for (const [type, field] of CROSS_SIGNING_FIELDS) {
    const seed = privateKeyBytes(bundle.cross_signing[field]);
    if (seed === undefined) throw mismatch(field, `the ${field} we were given is not a 32-byte key`);
    const onServer = published[type];
    if (onServer === undefined) {
      throw mismatch(field, `the account has no ${type} key on the server to match the one we were given`);
    }
    if (ed25519PublicKey(seed) !== onServer.publicKey) {
      throw mismatch(field, `the ${field} we were given is not the account's (the server publishes another)`);
    }
  }
  if (bundle.backup === undefined) return { checked: bundle, published, backup };
  const key = privateKeyBytes(bundle.backup.key);
  if (key === undefined) throw mismatch("backup_key", "the backup key we were given is not a 32-byte key");
  if (backup === undefined)
    throw mismatch("backup_key", "the account has no key backup to match the key we were given");
  if (backup.algorithm !== MEGOLM_BACKUP_V1 || backup.publicKey !== curve25519PublicKey(key)) {
    throw mismatch(
      "backup_key",
      "the backup key we were given is not the key of the account's current backup",
    );
  }
  return {
    checked: { ...bundle, backup: { ...bundle.backup, backup_version: backup.version } },
    published,
    backup,
  };
}

/**
 * Imports a bundle after checking it, then makes sure the server shows this device cross-signed and, when a
 * backup key came with it, that the backup is connected. Returns the server's view of this device, read after
 * both. `secrets_mismatch` (nothing imported or uploaded) when a key is not the account's.
 */
export async function importSecretsBundle(
  ctx: DeviceContext,
  bundle: SecretsBundle,
  signal: AbortSignal,
): Promise<ServerView> {
  ctx.assertRunning();
  // The Rust crypto must know the account's public identity for the imported private keys to be accepted; it
  // downloads it afresh (a download, not an upload: nothing is published before the check has passed).
  const [{ checked, published }] = await Promise.all([
    checkAgainstServer(ctx, bundle, signal),
    ctx.crypto.userHasCrossSigningKeys(ctx.account.userId, true),
  ]);
  await bundleApi(ctx).importSecretsBundle(structuredClone(checked));
  const local = await localCrossSigningKeys(ctx);
  if (!local.master || !local.self_signing || !local.user_signing) {
    throw mismatch("cross_signing", "the Rust crypto refused the cross-signing keys");
  }
  // The signature and the backup do not wait for each other; the backup is read from the server once more
  // meanwhile, for the view (what other devices get, not what the bundle said).
  const [signed, , backup] = await Promise.all([
    ensureCrossSigned(ctx, signal, published),
    checked.backup === undefined ? undefined : connectBackup(ctx, checked.backup.backup_version),
    currentBackup(ctx, signal),
  ]);
  return viewOf(ctx, ctx.account.deviceId, signed, backup);
}

/**
 * Makes the server show this device cross-signed, signing it ourselves, and returns the server's keys that show
 * it. `known`: the server's keys as just read, which spare a first read when they hold this device's keys.
 */
export async function ensureCrossSigned(
  ctx: DeviceContext,
  signal: AbortSignal,
  known?: PublishedKeys,
): Promise<PublishedKeys> {
  const { userId, deviceId } = ctx.account;
  const keys =
    known !== undefined && deviceKeysOnServer(known, deviceId) !== undefined
      ? known
      : await waitForOwnDeviceKeys(ctx, signal);
  if (isCrossSignedOnServer(keys, userId, deviceId)) return keys;
  // Signs the device keys the server has and uploads the signature; resolves once the server accepted it.
  await ctx.crypto.crossSignDevice(deviceId);
  const signed = await waitForServerKeys(ctx, signal, (k) => isCrossSignedOnServer(k, userId, deviceId));
  if (signed === undefined) {
    throw new MatrixError("server_error", "the homeserver does not show this device as cross-signed", {
      reason: "signature_missing",
    });
  }
  return signed;
}

/** Turns on the backup whose key the crypto now holds; `server_error` when it does not become active. */
export async function connectBackup(ctx: DeviceContext, version: string): Promise<void> {
  await ctx.crypto.checkKeyBackupAndEnable();
  const active = await ctx.crypto.getActiveSessionBackupVersion();
  if (active !== version) {
    throw new MatrixError("server_error", `the key backup ${version} did not become active`, {
      reason: "backup_inactive",
    });
  }
}
