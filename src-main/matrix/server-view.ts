// How the homeserver shows a device to everyone else, read from the server and checked here: the new device's
// end state after a QR sign-in (MSC4108 steps A-S11 / B-G12) is "verified" only if other devices will see it so.
import type { DeviceContext } from "./context";
import { curve25519PublicKey } from "./keys";
import {
  currentBackup,
  isCrossSignedOnServer,
  queryOwnKeys,
  type PublishedBackup,
  type PublishedKeys,
} from "./server-keys";

export interface ServerView {
  /**
   * The server's `/keys/query` shows `deviceId` signed by the account's self-signing key (signature checked),
   * whose own signature by the master key checks too.
   */
  readonly verified: boolean;
  /**
   * This device is connected to the account's current key backup: the public half of the backup key this device
   * holds is the current version's `auth_data.public_key`, and that version is the one this device uses.
   */
  readonly backup: boolean;
}

export async function serverView(
  ctx: DeviceContext,
  deviceId: string,
  signal: AbortSignal,
): Promise<ServerView> {
  ctx.assertRunning();
  const [keys, backup] = await Promise.all([queryOwnKeys(ctx, signal), currentBackup(ctx, signal)]);
  return viewOf(ctx, deviceId, keys, backup);
}

/** The view from what the server answered just now (`/keys/query`, `/room_keys/version`) and this device's crypto. */
export async function viewOf(
  ctx: DeviceContext,
  deviceId: string,
  keys: PublishedKeys,
  backup: PublishedBackup | undefined,
): Promise<ServerView> {
  const verified = isCrossSignedOnServer(keys, ctx.account.userId, deviceId);
  if (backup?.publicKey === undefined) return { verified, backup: false };
  const [privateKey, activeVersion] = await Promise.all([
    ctx.crypto.getSessionBackupPrivateKey(),
    ctx.crypto.getActiveSessionBackupVersion(),
  ]);
  const connected =
    privateKey !== null &&
    curve25519PublicKey(privateKey) === backup.publicKey &&
    activeVersion === backup.version;
  return { verified, backup: connected };
}
