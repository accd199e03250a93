// The secrets bundle (`m.login.secrets` without its type, docs/protocol.md §7): what the existing device sends
// last (MSC4108 step A-G12 / B-S11) and the new device imports (A-S11 / B-G12).
//
// Importing is checked first, here, before anything is imported or uploaded: each private key's public half must
// be the key the server publishes for this account (`/keys/query` for the three cross-signing keys, the current
// backup's `auth_data.public_key` for the backup key). rust-sdk imports the bundle unchecked; a device that
// trusted whatever a peer sent would let a compromised peer plant its own identity. Then the device must end up
// cross-signed: the Rust crypto signs its own device once its device keys are on the server (which only the sync
// loop's outgoing requests upload), so we wait for the server to show the signature and sign explicitly if it
// does not appear; and the backup is connected when a key came with the bundle.
import { MEGOLM_BACKUP_V1, type CrossSigningSecrets, type LoginSecretsMessage } from "../protocol";
import type { DeviceContext } from "./context";
import { MatrixError } from "./errors";
import { curve25519PublicKey, ed25519PublicKey, privateKeyBytes } from "./keys";
import {
  currentBackup,
  isCrossSignedOnServer,
  queryOwnKeys,
  waitForOwnDeviceKeys,
  waitForServerKeys,
  type CrossSigningKeyType,
} from "./server-keys";

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
  const published = await queryOwnKeys(ctx, signal);
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
  if (bundle.backup === undefined) return bundle;
  const key = privateKeyBytes(bundle.backup.key);
  if (key === undefined) throw mismatch("backup_key", "the backup key we were given is not a 32-byte key");
  const backup = await currentBackup(ctx, signal);
  if (backup === undefined)
    throw mismatch("backup_key", "the account has no key backup to match the key we were given");
  if (backup.algorithm !== MEGOLM_BACKUP_V1 || backup.publicKey !== curve25519PublicKey(key)) {
    throw mismatch(
      "backup_key",
      "the backup key we were given is not the key of the account's current backup",
    );
  }
  return { ...bundle, backup: { ...bundle.backup, backup_version: backup.version } };
}

/**
 * Imports a bundle after checking it, then makes sure the server shows this device cross-signed and, when a
 * backup key came with it, that the backup is connected. `secrets_mismatch` (nothing imported or uploaded) when
 * a key is not the account's.
 */
export async function importSecretsBundle(
  ctx: DeviceContext,
  bundle: SecretsBundle,
  signal: AbortSignal,
): Promise<void> {
  ctx.assertRunning();
  const checked = await checkSecretsBundle(ctx, bundle, signal);
  // The Rust crypto must know the account's public identity for the imported private keys to be accepted.
  await ctx.crypto.userHasCrossSigningKeys(ctx.account.userId, true);
  await bundleApi(ctx).importSecretsBundle(structuredClone(checked));
  const local = await localCrossSigningKeys(ctx);
  if (!local.master || !local.self_signing || !local.user_signing) {
    throw mismatch("cross_signing", "the Rust crypto refused the cross-signing keys");
  }
  await ensureCrossSigned(ctx, signal);
  if (checked.backup !== undefined) await connectBackup(ctx, checked.backup.backup_version);
}

/** Waits for the server to show this device cross-signed, signing it ourselves if the crypto does not. */
export async function ensureCrossSigned(ctx: DeviceContext, signal: AbortSignal): Promise<void> {
  const { userId, deviceId } = ctx.account;
  const keys = await waitForOwnDeviceKeys(ctx, signal);
  if (isCrossSignedOnServer(keys, userId, deviceId)) return;
  await ctx.crypto.crossSignDevice(deviceId);
  const signed = await waitForServerKeys(ctx, signal, (k) => isCrossSignedOnServer(k, userId, deviceId));
  if (signed === undefined) {
    throw new MatrixError("server_error", "the homeserver does not show this device as cross-signed", {
      reason: "signature_missing",
    });
  }
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
