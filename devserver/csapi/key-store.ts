// The homeserver's end-to-end encryption key state, in memory: device keys, one-time and fallback keys,
// cross-signing keys, and the signatures clients add to those afterwards. It stores and answers; the endpoint
// modules (keys.ts, cross-signing.ts) decide what is valid, as Synapse's E2E keys handler does.
import { canonicalJson, isJsonObject, signedContent, type JsonObject } from "./signing";

export type CrossSigningKeyType = "master" | "self_signing" | "user_signing";

export const CROSS_SIGNING_KEY_TYPES: readonly CrossSigningKeyType[] = [
  "master",
  "self_signing",
  "user_signing",
];

interface FallbackKey {
  readonly keyId: string;
  readonly value: unknown;
  used: boolean;
}

/** signer user ID → signing key ID → signature. */
export type SignatureTable = Map<string, Map<string, string>>;

function nested<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** The `ed25519:<public key>` key ID and the public key of a cross-signing key (its one `keys` entry). */
export function crossSigningKeyId(key: JsonObject): { keyId: string; publicKey: string } | undefined {
  const keys = key.keys;
  if (!isJsonObject(keys)) return undefined;
  const entries = Object.entries(keys);
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined) return undefined;
  const [keyId, publicKey] = entry;
  if (!keyId.startsWith("ed25519:") || typeof publicKey !== "string") return undefined;
  return { keyId, publicKey };
}

export class KeyStore {
  /** user → device → device keys as stored: the uploaded object with only its self-signature, no `unsigned`. */
  private readonly deviceKeys = new Map<string, Map<string, JsonObject>>();
  /** user → device → "algorithm:keyId" → key, oldest first (Synapse hands out the oldest key first). */
  private readonly oneTimeKeys = new Map<string, Map<string, Map<string, unknown>>>();
  /** user → device → algorithm → the one fallback key kept per algorithm. */
  private readonly fallbackKeys = new Map<string, Map<string, Map<string, FallbackKey>>>();
  /** user → key type → the key as uploaded. */
  private readonly crossSigning = new Map<string, Map<CrossSigningKeyType, JsonObject>>();
  /** user → until when (clock ms) the master key may be replaced without user-interactive auth. */
  private readonly replaceableBefore = new Map<string, number>();
  /**
   * Signatures added after upload (`/keys/signatures/upload`, or a self-signing signature on uploaded device
   * keys): target user → target ID (a device ID, or a cross-signing public key) → signer → key ID → signature.
   */
  private readonly addedSignatures = new Map<string, Map<string, SignatureTable>>();

  // ---- device keys ----

  deviceKeysOf(userId: string, deviceId: string): JsonObject | undefined {
    return this.deviceKeys.get(userId)?.get(deviceId);
  }

  devicesWithKeys(userId: string): readonly string[] {
    return [...(this.deviceKeys.get(userId)?.keys() ?? [])];
  }

  /**
   * Stores a device's keys and returns whether anything changed. New signed content (other identity keys or
   * algorithms) drops the signatures added to the old keys, which no longer cover it.
   */
  setDeviceKeys(userId: string, deviceId: string, keys: JsonObject): boolean {
    const devices = nested(this.deviceKeys, userId, () => new Map<string, JsonObject>());
    const old = devices.get(deviceId);
    if (old !== undefined && canonicalJson(old) === canonicalJson(keys)) return false;
    if (old !== undefined && signedContent(old) !== signedContent(keys)) {
      this.addedSignatures.get(userId)?.delete(deviceId);
    }
    devices.set(deviceId, keys);
    return true;
  }

  // ---- one-time and fallback keys ----

  oneTimeKey(userId: string, deviceId: string, keyId: string): unknown {
    return this.oneTimeKeys.get(userId)?.get(deviceId)?.get(keyId);
  }

  addOneTimeKeys(userId: string, deviceId: string, keys: ReadonlyMap<string, unknown>): void {
    const byDevice = nested(this.oneTimeKeys, userId, () => new Map<string, Map<string, unknown>>());
    const stored = nested(byDevice, deviceId, () => new Map<string, unknown>());
    for (const [keyId, key] of keys) if (!stored.has(keyId)) stored.set(keyId, key);
  }

  /** Unclaimed one-time keys per algorithm; `signed_curve25519` is always present, as Synapse sends it. */
  oneTimeKeyCounts(userId: string, deviceId: string): Record<string, number> {
    const counts: Record<string, number> = { signed_curve25519: 0 };
    for (const keyId of this.oneTimeKeys.get(userId)?.get(deviceId)?.keys() ?? []) {
      const algorithm = keyId.slice(0, keyId.indexOf(":"));
      counts[algorithm] = (counts[algorithm] ?? 0) + 1;
    }
    return counts;
  }

  /** Sets the fallback key for an algorithm; the same key again keeps its `used` mark. */
  setFallbackKey(userId: string, deviceId: string, algorithm: string, keyId: string, value: unknown): void {
    const byDevice = nested(this.fallbackKeys, userId, () => new Map<string, Map<string, FallbackKey>>());
    const stored = nested(byDevice, deviceId, () => new Map<string, FallbackKey>());
    const old = stored.get(algorithm);
    const same = old?.keyId === keyId && canonicalJson(old.value) === canonicalJson(value);
    if (!same) stored.set(algorithm, { keyId, value, used: false });
  }

  unusedFallbackKeyTypes(userId: string, deviceId: string): string[] {
    const stored = this.fallbackKeys.get(userId)?.get(deviceId);
    return [...(stored?.entries() ?? [])].filter(([, key]) => !key.used).map(([algorithm]) => algorithm);
  }

  /**
   * Claims one key of `algorithm`: the oldest one-time key (removed), else the fallback key (kept, marked used).
   * Returns `["algorithm:keyId", key]`, or undefined when the device has neither.
   */
  claimKey(userId: string, deviceId: string, algorithm: string): [string, unknown] | undefined {
    const oneTime = this.oneTimeKeys.get(userId)?.get(deviceId);
    for (const [keyId, key] of oneTime ?? []) {
      if (!keyId.startsWith(`${algorithm}:`)) continue;
      oneTime?.delete(keyId);
      return [keyId, key];
    }
    const fallback = this.fallbackKeys.get(userId)?.get(deviceId)?.get(algorithm);
    if (fallback === undefined) return undefined;
    fallback.used = true;
    return [`${algorithm}:${fallback.keyId}`, fallback.value];
  }

  // ---- cross-signing keys ----

  crossSigningKey(userId: string, type: CrossSigningKeyType): JsonObject | undefined {
    return this.crossSigning.get(userId)?.get(type);
  }

  setCrossSigningKey(userId: string, type: CrossSigningKeyType, key: JsonObject): void {
    nested(this.crossSigning, userId, () => new Map<CrossSigningKeyType, JsonObject>()).set(type, key);
    // The permission to replace belonged to the old master key (Synapse keeps it on the key's row).
    if (type === "master") this.replaceableBefore.delete(userId);
  }

  /**
   * Lets the user's cross-signing keys be replaced without user-interactive auth until `beforeMs` (what MAS
   * asks of Synapse once the user approved a reset on the account page: `updatable_without_uia_before_ms`).
   */
  allowReplacementUntil(userId: string, beforeMs: number): void {
    this.replaceableBefore.set(userId, beforeMs);
  }

  /** Whether a replacement is allowed at `nowMs`. */
  isReplaceable(userId: string, nowMs: number): boolean {
    return (this.replaceableBefore.get(userId) ?? 0) > nowMs;
  }

  // ---- signatures added after upload ----

  addSignature(
    targetUserId: string,
    targetId: string,
    signer: string,
    keyId: string,
    signature: string,
  ): void {
    const byTarget = nested(this.addedSignatures, targetUserId, () => new Map<string, SignatureTable>());
    const table = nested(byTarget, targetId, (): SignatureTable => new Map());
    nested(table, signer, () => new Map<string, string>()).set(keyId, signature);
  }

  hasAddedSignature(targetUserId: string, targetId: string, signer: string, keyId: string): boolean {
    return this.addedSignatures.get(targetUserId)?.get(targetId)?.get(signer)?.has(keyId) ?? false;
  }

  addedSignaturesOf(targetUserId: string, targetId: string): SignatureTable {
    return this.addedSignatures.get(targetUserId)?.get(targetId) ?? new Map<string, Map<string, string>>();
  }

  /** Forgets everything about a device that was removed. */
  removeDevice(userId: string, deviceId: string): void {
    this.deviceKeys.get(userId)?.delete(deviceId);
    this.oneTimeKeys.get(userId)?.delete(deviceId);
    this.fallbackKeys.get(userId)?.delete(deviceId);
    this.addedSignatures.get(userId)?.delete(deviceId);
  }
}

/** A copy of `object` with `added` merged into its `signatures`. */
export function withSignatures(
  object: JsonObject,
  added: Iterable<[string, Map<string, string>]>,
): JsonObject {
  const signatures: Record<string, Record<string, string>> = {};
  const existing = object.signatures;
  if (typeof existing === "object" && existing !== null) {
    for (const [signer, bySigner] of Object.entries(existing)) {
      if (typeof bySigner === "object" && bySigner !== null) {
        signatures[signer] = { ...(bySigner as Record<string, string>) };
      }
    }
  }
  for (const [signer, byKey] of added) {
    signatures[signer] = { ...signatures[signer], ...Object.fromEntries(byKey) };
  }
  return { ...object, signatures };
}
