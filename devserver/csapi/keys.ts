// Device keys: `POST /keys/upload`, `/keys/query`, `/keys/claim` (spec "End-to-end encryption", key management).
//
// Where the devserver is stricter than Synapse (which stores device keys unchecked), on purpose:
// - device keys must carry a valid self-signature (`ed25519:<device_id>` over the canonical JSON without
//   `signatures` and `unsigned`), else 400 `M_INVALID_SIGNATURE`;
// - other signatures on them are kept only when they verify: the user's own self-signing key signing the device
//   in the same upload (MSC4108 "Secret sharing and device verification" step 3; docs/protocol.md §7).
//   Anything else is dropped.
// As on Synapse: keys for another user or device are 400 `M_BAD_JSON`; re-uploading device keys replaces them
// (Synapse upserts); a one-time key ID re-used with other content is 400 `M_UNKNOWN`; one fallback key is kept per
// algorithm; users on other servers are reported in `failures` (the devserver has no federation).
import { MatrixError, sendJson } from "../http";
import type { Route } from "../router";
import type { CsApiContext } from "./context";
import { crossSigningKeyId, withSignatures, type KeyStore } from "./key-store";
import {
  badJson,
  integerParam,
  isSignatureMap,
  isStringArray,
  isStringRecord,
  readJsonObject,
  serverNameOf,
} from "./request";
import { canonicalJson, isJsonObject, signatureOf, verifyJsonSignature, type JsonObject } from "./signing";

/** What a remote server's entry in `failures` says: the devserver does not federate. */
const NO_FEDERATION = { status: 503, message: "The devserver does not federate" } as const;

function invalidSignature(message: string): MatrixError {
  return new MatrixError(400, "M_INVALID_SIGNATURE", message);
}

function isDeviceKeys(value: unknown): value is JsonObject & {
  user_id: string;
  device_id: string;
  algorithms: string[];
  keys: Record<string, string>;
  signatures: Record<string, Record<string, string>>;
} {
  return (
    isJsonObject(value) &&
    typeof value.user_id === "string" &&
    typeof value.device_id === "string" &&
    isStringArray(value.algorithms) &&
    isStringRecord(value.keys) &&
    isSignatureMap(value.signatures)
  );
}

/** A one-time or fallback key: the bare base64 key, or a signed key object. */
function isKeyValue(value: unknown): boolean {
  if (typeof value === "string") return true;
  return (
    isJsonObject(value) &&
    typeof value.key === "string" &&
    isSignatureMap(value.signatures) &&
    (value.fallback === undefined || typeof value.fallback === "boolean")
  );
}

/** Checks a `one_time_keys` / `fallback_keys` map: "algorithm:keyId" → key. */
function parseKeyMap(field: string, value: unknown): Map<string, unknown> {
  if (value === undefined || value === null) return new Map();
  if (!isJsonObject(value)) throw badJson(`${field} must be an object`);
  for (const [id, key] of Object.entries(value)) {
    if (id.split(":").length !== 2) {
      throw badJson(`Invalid ${field} key '${id}'. Expected "<algorithm>:<device_id>".`);
    }
    if (!isKeyValue(key)) throw badJson(`${field}.${id} must be a key string or a signed key object`);
  }
  return new Map(Object.entries(value));
}

/** Synapse's `_one_time_keys_match`: the same key, signatures aside. */
function sameKey(a: unknown, b: unknown): boolean {
  const strip = (key: unknown): unknown => {
    if (!isJsonObject(key)) return key;
    const { signatures: _signatures, ...rest } = key;
    return rest;
  };
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

/**
 * The device keys to store: the self-signature checked, the self-signing key's signature (if any, and valid)
 * split out to be stored beside them, every other signature dropped.
 */
function checkDeviceKeys(
  store: KeyStore,
  userId: string,
  deviceKeys: JsonObject & { keys: Record<string, string>; device_id: string },
): { stored: JsonObject; selfSigning?: { keyId: string; signature: string } } {
  const ownKeyId = `ed25519:${deviceKeys.device_id}`;
  const ownKey = deviceKeys.keys[ownKeyId];
  if (ownKey === undefined) throw badJson(`device_keys.keys has no ${ownKeyId}`);
  if (!verifyJsonSignature(deviceKeys, userId, ownKeyId, ownKey)) {
    throw invalidSignature(`device_keys must carry a valid ${ownKeyId} signature by ${userId}`);
  }
  const { unsigned: _unsigned, ...rest } = deviceKeys;
  const stored: JsonObject = {
    ...rest,
    signatures: { [userId]: { [ownKeyId]: signatureOf(deviceKeys, userId, ownKeyId) ?? "" } },
  };
  const selfSigningKey = store.crossSigningKey(userId, "self_signing");
  const selfSigningId = selfSigningKey === undefined ? undefined : crossSigningKeyId(selfSigningKey);
  if (selfSigningId === undefined) return { stored };
  const signature = signatureOf(deviceKeys, userId, selfSigningId.keyId);
  if (
    signature === undefined ||
    !verifyJsonSignature(deviceKeys, userId, selfSigningId.keyId, selfSigningId.publicKey)
  ) {
    return { stored };
  }
  return { stored, selfSigning: { keyId: selfSigningId.keyId, signature } };
}

/** Device keys as `/keys/query` shows them: added signatures merged, the display name in `unsigned`. */
export function queriedDeviceKeys(
  ctx: CsApiContext,
  userId: string,
  deviceId: string,
): JsonObject | undefined {
  const stored = ctx.keys.deviceKeysOf(userId, deviceId);
  const device = ctx.accounts.getDevice(userId, deviceId);
  if (stored === undefined || device === undefined) return undefined;
  const merged = withSignatures(stored, ctx.keys.addedSignaturesOf(userId, deviceId));
  return {
    ...merged,
    unsigned: device.displayName === undefined ? {} : { device_display_name: device.displayName },
  };
}

/** A cross-signing key as `querier` sees it: with the signatures `querier` added to it (as Synapse filters). */
function queriedCrossSigningKey(ctx: CsApiContext, key: JsonObject, ownerId: string, querier: string) {
  const id = crossSigningKeyId(key);
  if (id === undefined) return key;
  const added = ctx.keys.addedSignaturesOf(ownerId, id.publicKey).get(querier);
  return added === undefined ? key : withSignatures(key, [[querier, added]]);
}

export function keyRoutes(ctx: CsApiContext, prefix: string): Route[] {
  return [
    {
      method: "POST",
      path: `${prefix}/keys/upload`,
      handle: async ({ req, res, url }) => {
        const { userId, deviceId } = await ctx.authenticate(req, url);
        const body = await readJsonObject(req);

        // Everything is checked before anything is stored.
        let deviceKeys: ReturnType<typeof checkDeviceKeys> | undefined;
        if ("device_keys" in body) {
          const uploaded = body.device_keys;
          if (!isDeviceKeys(uploaded)) {
            throw badJson("device_keys must have user_id, device_id, algorithms, keys and signatures");
          }
          if (uploaded.user_id !== userId) {
            throw badJson(
              "Provided `user_id` in `device_keys` does not match that of the authenticated user",
            );
          }
          if (uploaded.device_id !== deviceId) {
            throw badJson(
              "Provided `device_id` in `device_keys` does not match that of the authenticated user device",
            );
          }
          deviceKeys = checkDeviceKeys(ctx.keys, userId, uploaded);
        }
        const oneTimeKeys = parseKeyMap("one_time_keys", body.one_time_keys);
        for (const [keyId, key] of oneTimeKeys) {
          const existing = ctx.keys.oneTimeKey(userId, deviceId, keyId);
          if (existing !== undefined && !sameKey(existing, key)) {
            throw new MatrixError(
              400,
              "M_UNKNOWN",
              `One time key ${keyId} already exists. Old key: ${canonicalJson(existing)}; new key: ${canonicalJson(key)}`,
            );
          }
        }
        const fallbackKeys = parseKeyMap("fallback_keys", body.fallback_keys);

        if (deviceKeys !== undefined) {
          const changed = ctx.keys.setDeviceKeys(userId, deviceId, deviceKeys.stored);
          const { selfSigning } = deviceKeys;
          const newSignature =
            selfSigning !== undefined &&
            !ctx.keys.hasAddedSignature(userId, deviceId, userId, selfSigning.keyId);
          if (selfSigning !== undefined) {
            ctx.keys.addSignature(userId, deviceId, userId, selfSigning.keyId, selfSigning.signature);
          }
          if (changed || newSignature) ctx.deviceLists.markChanged(userId);
        }
        ctx.keys.addOneTimeKeys(userId, deviceId, oneTimeKeys);
        for (const [id, key] of fallbackKeys) {
          const [algorithm = "", keyId = ""] = id.split(":");
          ctx.keys.setFallbackKey(userId, deviceId, algorithm, keyId, key);
        }
        sendJson(res, 200, { one_time_key_counts: ctx.keys.oneTimeKeyCounts(userId, deviceId) });
      },
    },
    {
      method: "POST",
      path: `${prefix}/keys/query`,
      handle: async ({ req, res, url }) => {
        const { userId: querier } = await ctx.authenticate(req, url);
        integerParam(url, "timeout", 10_000);
        const body = await readJsonObject(req);
        const query = body.device_keys;
        if (!isJsonObject(query)) throw badJson("'device_keys' must be a JSON object");
        if (!Object.values(query).every(isStringArray)) {
          throw badJson("'device_keys' values must be a list of strings");
        }
        const deviceKeys: Record<string, Record<string, JsonObject>> = {};
        const failures: Record<string, unknown> = {};
        const masterKeys: Record<string, JsonObject> = {};
        const selfSigningKeys: Record<string, JsonObject> = {};
        const userSigningKeys: Record<string, JsonObject> = {};
        for (const [userId, wanted] of Object.entries(query as Record<string, string[]>)) {
          const server = serverNameOf(userId);
          if (server === undefined) continue;
          if (server !== ctx.accounts.serverName) {
            failures[server] = NO_FEDERATION;
            continue;
          }
          const deviceIds = wanted.length === 0 ? ctx.keys.devicesWithKeys(userId) : wanted;
          const devices: Record<string, JsonObject> = {};
          for (const deviceId of deviceIds) {
            const keys = queriedDeviceKeys(ctx, userId, deviceId);
            if (keys !== undefined) devices[deviceId] = keys;
          }
          deviceKeys[userId] = devices;
          const master = ctx.keys.crossSigningKey(userId, "master");
          if (master !== undefined) masterKeys[userId] = queriedCrossSigningKey(ctx, master, userId, querier);
          const selfSigning = ctx.keys.crossSigningKey(userId, "self_signing");
          if (selfSigning !== undefined) {
            selfSigningKeys[userId] = queriedCrossSigningKey(ctx, selfSigning, userId, querier);
          }
          // Users see other users' master and self-signing keys, but only their own user-signing key.
          const userSigning = ctx.keys.crossSigningKey(userId, "user_signing");
          if (userId === querier && userSigning !== undefined) userSigningKeys[userId] = userSigning;
        }
        sendJson(res, 200, {
          device_keys: deviceKeys,
          failures,
          master_keys: masterKeys,
          self_signing_keys: selfSigningKeys,
          user_signing_keys: userSigningKeys,
        });
      },
    },
    {
      method: "POST",
      path: `${prefix}/keys/claim`,
      handle: async ({ req, res, url }) => {
        await ctx.authenticate(req, url);
        integerParam(url, "timeout", 10_000);
        const body = await readJsonObject(req);
        const query = body.one_time_keys ?? {};
        if (!isJsonObject(query) || !Object.values(query).every(isStringRecord)) {
          throw badJson("one_time_keys must map user IDs to device IDs to algorithms");
        }
        const claimed: Record<string, Record<string, Record<string, unknown>>> = {};
        const failures: Record<string, unknown> = {};
        for (const [userId, devices] of Object.entries(query as Record<string, Record<string, string>>)) {
          const server = serverNameOf(userId);
          if (server !== undefined && server !== ctx.accounts.serverName) {
            failures[server] = NO_FEDERATION;
            continue;
          }
          for (const [deviceId, algorithm] of Object.entries(devices)) {
            const key = ctx.keys.claimKey(userId, deviceId, algorithm);
            if (key === undefined) continue;
            const [keyId, value] = key;
            claimed[userId] = { ...claimed[userId], [deviceId]: { [keyId]: value } };
          }
        }
        sendJson(res, 200, { one_time_keys: claimed, failures });
      },
    },
  ];
}
