// Making this device a complete, trusted Matrix device on its own (without another device's secrets):
// - a fresh account: create cross-signing, secret storage and a key backup; the recovery key is returned once and
//   never stored;
// - an account with an identity: unlock it with the recovery key (cross-signing and backup keys come out of
//   secret storage, then the device signs itself);
// - an account whose keys are unreachable: reset the identity. With MAS the homeserver refuses to replace
//   cross-signing keys until the user approves on the account page (MSC4312 `org.matrix.cross_signing_reset`); we
//   hand the page's URL to the caller, which opens it, and retry once the user is back.
// Each step is safe to run again after a crash halfway (the Rust crypto's local keys are compared with the
// server's first).
import { MatrixError as SdkMatrixError, type UIAuthCallback } from "matrix-js-sdk";
import { decodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/index.js";
import type { DeviceContext } from "./context";
import { MatrixError } from "./errors";
import { ed25519PublicKey, privateKeyBytes } from "./keys";
import { connectBackup, ensureCrossSigned, hasLocalCrossSigningKeys } from "./secrets-bundle";
import { currentBackup, queryOwnKeys } from "./server-keys";

export interface RecoveryKey {
  /** The recovery key as the user writes it down (spec "Key representation"); shown once, stored nowhere. */
  readonly recoveryKey: string;
}

/** Runs `operation` with the recovery keys it learns, and forgets them when it ends, however it ends. */
async function withSecretStorageKeys<T>(ctx: DeviceContext, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } finally {
    ctx.secretStorageKeys.clear();
  }
}

/** Whether the private master key the crypto holds is the one the server publishes. */
async function localMasterMatchesServer(ctx: DeviceContext, serverMasterKey: string): Promise<boolean> {
  if (!(await hasLocalCrossSigningKeys(ctx))) return false;
  const exported = await (
    ctx.crypto as unknown as { exportSecretsBundle(): Promise<{ cross_signing: { master_key: string } }> }
  ).exportSecretsBundle();
  const seed = privateKeyBytes(exported.cross_signing.master_key);
  return seed !== undefined && ed25519PublicKey(seed) === serverMasterKey;
}

async function newSecretStorageAndBackup(ctx: DeviceContext, newBackup: boolean): Promise<RecoveryKey> {
  const generated = await ctx.crypto.createRecoveryKeyFromPassphrase();
  await ctx.crypto.bootstrapSecretStorage({
    createSecretStorageKey: () => Promise.resolve(generated),
    setupNewSecretStorage: true,
    setupNewKeyBackup: newBackup,
  });
  if (generated.encodedPrivateKey === undefined) {
    throw new TypeError("matrix-js-sdk created a recovery key without its encoded form");
  }
  return { recoveryKey: generated.encodedPrivateKey };
}

async function connectCurrentBackup(ctx: DeviceContext, signal: AbortSignal): Promise<void> {
  const backup = await currentBackup(ctx, signal);
  if (backup !== undefined) await connectBackup(ctx, backup.version);
}

/**
 * Sets up encryption for an account that has none: cross-signing (this device signed), secret storage and a
 * key backup. `identity_exists` when the account already has a cross-signing identity this device does not hold.
 */
export async function setUpEncryption(ctx: DeviceContext, signal: AbortSignal): Promise<RecoveryKey> {
  ctx.assertRunning();
  return withSecretStorageKeys(ctx, async () => {
    const published = await queryOwnKeys(ctx, signal);
    if (published.master === undefined) {
      // The first cross-signing upload needs no user-interactive auth (MSC3967). Local keys left by an upload a
      // crash interrupted were never published, so new ones are made.
      await ctx.crypto.bootstrapCrossSigning({
        setupNewCrossSigning: true,
        authUploadDeviceSigningKeys: async (makeRequest) => {
          await makeRequest(null);
        },
      });
    } else if (!(await localMasterMatchesServer(ctx, published.master.publicKey))) {
      throw new MatrixError(
        "identity_exists",
        "the account already has an encryption identity: restore it with the recovery key, or reset it",
        { reason: "identity_exists" },
      );
    }
    await ensureCrossSigned(ctx, signal);
    const recoveryKey = await newSecretStorageAndBackup(ctx, true);
    await connectCurrentBackup(ctx, signal);
    return recoveryKey;
  });
}

/**
 * Unlocks the account's identity with its recovery key: the cross-signing keys (and the backup key, when there
 * is one) come out of secret storage, checked against the server, and this device signs itself.
 * `wrong_recovery_key` when the key is malformed or not this account's; `no_secret_storage` when there is
 * nothing to restore.
 */
export async function restoreWithRecoveryKey(
  ctx: DeviceContext,
  recoveryKey: string,
  signal: AbortSignal,
): Promise<void> {
  ctx.assertRunning();
  let privateKey: Uint8Array<ArrayBuffer>;
  try {
    privateKey = decodeRecoveryKey(recoveryKey);
  } catch {
    throw new MatrixError("wrong_recovery_key", "that is not a recovery key (wrong length or checksum)", {
      reason: "malformed",
    });
  }
  await withSecretStorageKeys(ctx, async () => {
    const keyTuple = await ctx.client.secretStorage.getKey();
    if (keyTuple === null) {
      throw new MatrixError("no_secret_storage", "the account has no secret storage to restore from", {
        reason: "no_secret_storage",
      });
    }
    const [keyId, keyInfo] = keyTuple;
    if (!(await ctx.client.secretStorage.checkKey(privateKey, keyInfo))) {
      throw new MatrixError("wrong_recovery_key", "that recovery key is not this account's", {
        reason: "mismatch",
      });
    }
    ctx.secretStorageKeys.add(keyId, privateKey);
    const published = await queryOwnKeys(ctx, signal);
    if (published.master === undefined) {
      throw new MatrixError("no_secret_storage", "the account has no cross-signing identity to restore", {
        reason: "no_identity",
      });
    }
    const status = await ctx.crypto.getCrossSigningStatus();
    if (!status.privateKeysInSecretStorage) {
      throw new MatrixError("no_secret_storage", "the account's secret storage holds no cross-signing keys", {
        reason: "no_cross_signing_secrets",
      });
    }
    await ctx.crypto.userHasCrossSigningKeys(ctx.account.userId, true);
    try {
      await ctx.crypto.bootstrapCrossSigning({});
    } catch (error) {
      // `importCrossSigningKeys failed`: what secret storage holds is not the identity the server publishes.
      throw new MatrixError("secrets_mismatch", "the keys in secret storage are not the account's identity", {
        reason: "cross_signing",
        cause: error,
      });
    }
    if (!(await localMasterMatchesServer(ctx, published.master.publicKey))) {
      throw new MatrixError("secrets_mismatch", "the keys in secret storage are not the account's identity", {
        reason: "master_key",
      });
    }
    await ensureCrossSigned(ctx, signal);
    const backup = await currentBackup(ctx, signal);
    if (backup !== undefined && (await ctx.client.secretStorage.get("m.megolm_backup.v1")) !== undefined) {
      await ctx.crypto.loadSessionBackupPrivateKeyFromSecretStorage();
      await connectBackup(ctx, backup.version);
    }
  });
}

export interface ResetIdentityOptions {
  /**
   * The homeserver wants the user to approve the reset at `url` (the account page): open it, and resolve once
   * the user says they approved (or reject to give up). Called at most once.
   */
  readonly approve: (url: string, signal: AbortSignal) => Promise<void>;
}

/** The approval URL in a user-interactive-auth 401 (MAS's `org.matrix.cross_signing_reset` stage), if any. */
function resetApprovalUrl(error: unknown): string | undefined {
  if (!(error instanceof SdkMatrixError) || error.httpStatus !== 401) return undefined;
  const params = (error.data as { params?: Record<string, { url?: unknown } | undefined> }).params;
  const url = params?.["org.matrix.cross_signing_reset"]?.url ?? params?.["m.oauth"]?.url;
  return typeof url === "string" ? url : undefined;
}

/**
 * Replaces the account's identity: new cross-signing keys (after the account page approved), a new key backup
 * and new secret storage; the new recovery key is returned once. Messages only the old keys could open stay
 * unreadable. `reset_needs_approval` (with the URL) when the server still refuses after the user came back.
 */
export async function resetIdentity(
  ctx: DeviceContext,
  options: ResetIdentityOptions,
  signal: AbortSignal,
): Promise<RecoveryKey> {
  ctx.assertRunning();
  return withSecretStorageKeys(ctx, async () => {
    const notApproved = (url: string, cause: unknown): MatrixError =>
      new MatrixError("reset_needs_approval", "the account page has not approved the reset", { url, cause });
    const authUploadDeviceSigningKeys: UIAuthCallback<void> = async (makeRequest) => {
      try {
        await makeRequest(null);
        return;
      } catch (error) {
        const url = resetApprovalUrl(error);
        if (url === undefined) throw error;
        await options.approve(url, signal);
      }
      try {
        await makeRequest(null);
      } catch (error) {
        const url = resetApprovalUrl(error);
        throw url === undefined ? error : notApproved(url, error);
      }
    };
    await ctx.crypto.resetEncryption(authUploadDeviceSigningKeys);
    await ensureCrossSigned(ctx, signal);
    // resetEncryption made a new backup; the new secret storage keeps its key and the cross-signing keys.
    const recoveryKey = await newSecretStorageAndBackup(ctx, false);
    await connectCurrentBackup(ctx, signal);
    return recoveryKey;
  });
}
