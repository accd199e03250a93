// What the server publishes about our own account, read straight from it (`POST /keys/query`, `GET
// /room_keys/version`) rather than from the Rust crypto's cache: the crypto answers from what it last downloaded,
// and the point here is to check what other devices will see.
import type { DeviceContext } from "./context";
import { MatrixError } from "./errors";
import { hasValidSignature } from "./keys";

const CLIENT_V3 = "/_matrix/client/v3";

export type CrossSigningKeyType = "master" | "self_signing" | "user_signing";

export interface PublishedCrossSigningKey {
  /** `ed25519:<public key>`. */
  readonly keyId: string;
  readonly publicKey: string;
  readonly object: Record<string, unknown>;
}

export interface PublishedKeys {
  readonly master?: PublishedCrossSigningKey;
  readonly self_signing?: PublishedCrossSigningKey;
  readonly user_signing?: PublishedCrossSigningKey;
  /** device ID → its device keys as the server returns them. */
  readonly devices: ReadonlyMap<string, Record<string, unknown>>;
}

export interface PublishedBackup {
  readonly version: string;
  readonly algorithm: string;
  /** `auth_data.public_key` (Curve25519, unpadded base64) for the v1 algorithm. */
  readonly publicKey: string | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function malformed(what: string): MatrixError {
  return new MatrixError("server_error", `the homeserver's ${what} is malformed`, { reason: "malformed" });
}

function crossSigningKey(value: unknown): PublishedCrossSigningKey | undefined {
  if (!isObject(value) || !isObject(value.keys)) return undefined;
  const entries = Object.entries(value.keys);
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined || typeof entry[1] !== "string") return undefined;
  return { keyId: entry[0], publicKey: entry[1], object: value };
}

/** Our own user's cross-signing keys and devices, as the server publishes them now. */
export async function queryOwnKeys(ctx: DeviceContext, signal: AbortSignal): Promise<PublishedKeys> {
  const { userId } = ctx.account;
  const { status, body } = await ctx.request("POST", `${CLIENT_V3}/keys/query`, signal, {
    device_keys: { [userId]: [] },
  });
  if (status !== 200 || !isObject(body)) throw malformed(`/keys/query answer (HTTP ${status})`);
  const pick = (field: string): PublishedCrossSigningKey | undefined => {
    const byUser = body[field];
    return isObject(byUser) ? crossSigningKey(byUser[userId]) : undefined;
  };
  const deviceKeys = isObject(body.device_keys) ? body.device_keys[userId] : undefined;
  const devices = new Map<string, Record<string, unknown>>();
  if (isObject(deviceKeys)) {
    for (const [deviceId, keys] of Object.entries(deviceKeys))
      if (isObject(keys)) devices.set(deviceId, keys);
  }
  const master = pick("master_keys");
  const selfSigning = pick("self_signing_keys");
  const userSigning = pick("user_signing_keys");
  return {
    ...(master === undefined ? {} : { master }),
    ...(selfSigning === undefined ? {} : { self_signing: selfSigning }),
    ...(userSigning === undefined ? {} : { user_signing: userSigning }),
    devices,
  };
}

/** The current key backup version on the server, or undefined when there is none. */
export async function currentBackup(
  ctx: DeviceContext,
  signal: AbortSignal,
): Promise<PublishedBackup | undefined> {
  const { status, body } = await ctx.request("GET", `${CLIENT_V3}/room_keys/version`, signal);
  if (status === 404) return undefined;
  if (
    status !== 200 ||
    !isObject(body) ||
    typeof body.version !== "string" ||
    typeof body.algorithm !== "string"
  ) {
    throw malformed(`/room_keys/version answer (HTTP ${status})`);
  }
  const authData = isObject(body.auth_data) ? body.auth_data : {};
  return {
    version: body.version,
    algorithm: body.algorithm,
    publicKey: typeof authData.public_key === "string" ? authData.public_key : undefined,
  };
}

/**
 * Whether the server shows `deviceId` as cross-signed: its device keys carry a valid signature by the
 * self-signing key, and the self-signing key a valid one by the master key.
 */
export function isCrossSignedOnServer(keys: PublishedKeys, userId: string, deviceId: string): boolean {
  const device = keys.devices.get(deviceId);
  const { master, self_signing: selfSigning } = keys;
  if (device === undefined || master === undefined || selfSigning === undefined) return false;
  return (
    hasValidSignature(selfSigning.object, userId, master.keyId, master.publicKey) &&
    hasValidSignature(device, userId, selfSigning.keyId, selfSigning.publicKey)
  );
}

/** This device's keys on the server (`ed25519:` and `curve25519:`), or undefined while it has none there. */
export function deviceKeysOnServer(
  keys: PublishedKeys,
  deviceId: string,
): { ed25519: string; curve25519: string } | undefined {
  const device = keys.devices.get(deviceId);
  const published = isObject(device?.keys) ? device.keys : undefined;
  const ed25519 = published?.[`ed25519:${deviceId}`];
  const curve25519 = published?.[`curve25519:${deviceId}`];
  return typeof ed25519 === "string" && typeof curve25519 === "string" ? { ed25519, curve25519 } : undefined;
}

/**
 * Waits until `done(keys)` holds for the server's keys, looking every `pollIntervalMs`, at most
 * `deviceKeysTimeoutMs`; returns the keys that satisfied it, or undefined on time-out.
 */
export async function waitForServerKeys(
  ctx: DeviceContext,
  signal: AbortSignal,
  done: (keys: PublishedKeys) => boolean,
): Promise<PublishedKeys | undefined> {
  const deadline = ctx.runtime.now() + ctx.timings.deviceKeysTimeoutMs;
  for (;;) {
    ctx.assertRunning();
    const keys = await queryOwnKeys(ctx, signal);
    if (done(keys)) return keys;
    if (ctx.runtime.now() >= deadline) return undefined;
    await ctx.runtime.sleep(ctx.timings.pollIntervalMs, signal);
  }
}

/** Waits until this device's keys are on the server (the sync loop uploads them); `device_keys_missing` otherwise. */
export async function waitForOwnDeviceKeys(ctx: DeviceContext, signal: AbortSignal): Promise<PublishedKeys> {
  const keys = await waitForServerKeys(
    ctx,
    signal,
    (k) => deviceKeysOnServer(k, ctx.account.deviceId) !== undefined,
  );
  if (keys === undefined) {
    throw new MatrixError("device_keys_missing", "this device's keys did not reach the homeserver in time");
  }
  return keys;
}
