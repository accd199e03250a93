// Cross-signing: `POST /keys/device_signing/upload` and `POST /keys/signatures/upload`, as Synapse 1.160 answers
// them with MAS in charge of authentication (synapse/rest/client/keys.py, synapse/handlers/e2e_keys.py).
//
// - The first upload of cross-signing keys needs no user-interactive auth (MSC3967), and re-sending the stored
//   keys unchanged is 200 `{}`. Replacing them is refused: with MAS, Synapse cannot run user-interactive auth and
//   answers 401 with a UIA-shaped body whose only "stage" sends the user to MAS's account page
//   (`?action=org.matrix.cross_signing_reset`, MSC4312) to approve the reset first. Once approved, MAS tells
//   Synapse to allow a replacement for 10 minutes (`_allow_cross_signing_replacement_without_uia`); here the test
//   hook `POST /_devserver/cross-signing-reset` (csapi/test-hooks.ts) plays that approval.
// - Self-signing and user-signing keys must be signed by the master key (400 `M_INVALID_SIGNATURE`).
// - Signature uploads are checked one key at a time; what fails is reported per key in `failures`, in Synapse's
//   `{status, errcode, message}` shape, and the rest is stored.
import { MatrixError, sendJson } from "../http";
import type { Route } from "../router";
import type { CsApiContext } from "./context";
import { CROSS_SIGNING_KEY_TYPES, crossSigningKeyId, type CrossSigningKeyType } from "./key-store";
import { badJson, invalidParam, readJsonObject } from "./request";
import {
  canonicalJson,
  isEd25519PublicKey,
  isJsonObject,
  signatureOf,
  signedContent,
  verifyJsonSignature,
  type JsonObject,
} from "./signing";

const BODY_FIELDS: Readonly<Record<CrossSigningKeyType, string>> = {
  master: "master_key",
  self_signing: "self_signing_key",
  user_signing: "user_signing_key",
};

/** A failure for one key in `/keys/signatures/upload`, as Synapse's `_exception_to_failure` shapes it. */
class KeyFailure extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }

  toJson(): Record<string, unknown> {
    return { status: this.status, errcode: this.errcode, message: this.message };
  }
}

const invalidSignature = (): KeyFailure => new KeyFailure(400, "M_INVALID_SIGNATURE", "Invalid signature");
const unknownDevice = (): KeyFailure => new KeyFailure(404, "M_NOT_FOUND", "Unknown device");

/** Synapse's `_check_cross_signing_key`: the right user, the usage, exactly one key (and a valid signature). */
function checkCrossSigningKey(
  key: JsonObject,
  userId: string,
  type: CrossSigningKeyType,
  master?: { keyId: string; publicKey: string },
): void {
  const usage = key.usage;
  const id = crossSigningKeyId(key);
  if (
    key.user_id !== userId ||
    !Array.isArray(usage) ||
    !usage.includes(type) ||
    id === undefined ||
    !isEd25519PublicKey(id.publicKey)
  ) {
    throw invalidParam(`Invalid ${type} key`);
  }
  if (master !== undefined && !verifyJsonSignature(key, userId, master.keyId, master.publicKey)) {
    throw new MatrixError(400, "M_INVALID_SIGNATURE", `Invalid signature on ${type} key`);
  }
}

/**
 * Synapse's `_check_device_signature`: the uploaded object must be the stored one (signatures and `unsigned`
 * aside), and carry a valid signature by `signer` under `keyId`.
 */
function checkSignedCopy(
  uploaded: JsonObject,
  stored: JsonObject,
  signer: string,
  keyId: string,
  publicKey: string,
): string {
  let same: boolean;
  try {
    same = signedContent(uploaded) === signedContent(stored);
  } catch {
    same = false;
  }
  if (!same) throw new KeyFailure(400, "M_UNKNOWN", "Key does not match");
  if (!verifyJsonSignature(uploaded, signer, keyId, publicKey)) throw invalidSignature();
  return signatureOf(uploaded, signer, keyId) ?? "";
}

export function crossSigningRoutes(ctx: CsApiContext, prefix: string): Route[] {
  /** The user's own keys signed: devices by the self-signing key, the master key by devices. */
  function storeSelfSignatures(
    userId: string,
    signed: Record<string, JsonObject>,
    failures: Record<string, unknown>,
  ): boolean {
    const entries = Object.entries(signed);
    if (entries.length === 0) return false;
    const master = ctx.keys.crossSigningKey(userId, "master");
    const selfSigning = ctx.keys.crossSigningKey(userId, "self_signing");
    const masterId = master === undefined ? undefined : crossSigningKeyId(master);
    const selfSigningId = selfSigning === undefined ? undefined : crossSigningKeyId(selfSigning);
    const deviceIds = ctx.keys.devicesWithKeys(userId);
    // Synapse fetches these first and fails every key of the user when one is missing.
    const missing =
      selfSigningId === undefined
        ? new KeyFailure(404, "M_NOT_FOUND", `No self_signing key found for ${userId}`)
        : masterId === undefined
          ? new KeyFailure(404, "M_NOT_FOUND", `No master key found for ${userId}`)
          : deviceIds.length === 0
            ? new KeyFailure(404, "M_NOT_FOUND", "No device keys found")
            : undefined;
    const userFailures: Record<string, unknown> = {};
    let stored = false;
    for (const [targetId, object] of entries) {
      try {
        if (missing !== undefined) throw missing;
        const signatures = object.signatures;
        if (!isJsonObject(signatures) || !isJsonObject(signatures[userId])) throw invalidSignature();
        if (master !== undefined && targetId === masterId?.publicKey) {
          // The master key, signed by one or more of the user's devices.
          for (const keyId of Object.keys(signatures[userId])) {
            const signingDeviceId = keyId.slice(keyId.indexOf(":") + 1);
            const deviceKeys = ctx.keys.deviceKeysOf(userId, signingDeviceId);
            const devicePublicKey = isJsonObject(deviceKeys?.keys) ? deviceKeys.keys[keyId] : undefined;
            if (typeof devicePublicKey !== "string") throw invalidSignature();
            const signature = checkSignedCopy(object, master, userId, keyId, devicePublicKey);
            ctx.keys.addSignature(userId, targetId, userId, keyId, signature);
            stored = true;
          }
          continue;
        }
        if (selfSigningId === undefined || !(selfSigningId.keyId in signatures[userId]))
          throw invalidSignature();
        const device = ctx.keys.deviceKeysOf(userId, targetId);
        if (device === undefined) throw unknownDevice();
        if (ctx.keys.hasAddedSignature(userId, targetId, userId, selfSigningId.keyId)) continue;
        const signature = checkSignedCopy(
          object,
          device,
          userId,
          selfSigningId.keyId,
          selfSigningId.publicKey,
        );
        ctx.keys.addSignature(userId, targetId, userId, selfSigningId.keyId, signature);
        stored = true;
      } catch (error) {
        if (error instanceof KeyFailure) userFailures[targetId] = error.toJson();
        else throw error;
      }
    }
    if (Object.keys(userFailures).length > 0) failures[userId] = userFailures;
    return stored;
  }

  /** Other users' master keys, signed by the uploader's user-signing key. Returns whom the uploader signed. */
  function storeOtherSignatures(
    userId: string,
    signed: Record<string, Record<string, JsonObject>>,
    failures: Record<string, unknown>,
  ): string[] {
    const userSigning = ctx.keys.crossSigningKey(userId, "user_signing");
    const userSigningId = userSigning === undefined ? undefined : crossSigningKeyId(userSigning);
    const signedUsers: string[] = [];
    for (const [targetUser, byKey] of Object.entries(signed)) {
      const failAll = (failure: KeyFailure): void => {
        failures[targetUser] = Object.fromEntries(Object.keys(byKey).map((id) => [id, failure.toJson()]));
      };
      if (userSigningId === undefined) {
        failAll(new KeyFailure(404, "M_NOT_FOUND", `No user_signing key found for ${userId}`));
        continue;
      }
      const master = ctx.keys.crossSigningKey(targetUser, "master");
      const masterId = master === undefined ? undefined : crossSigningKeyId(master);
      if (master === undefined || masterId === undefined) {
        failAll(new KeyFailure(404, "M_NOT_FOUND", `No master key found for ${targetUser}`));
        continue;
      }
      const object = byKey[masterId.publicKey];
      if (object === undefined) {
        failAll(unknownDevice());
        continue;
      }
      // Only the master key can be signed this way; anything else named is unknown.
      const userFailures: Record<string, unknown> = Object.fromEntries(
        Object.keys(byKey)
          .filter((id) => id !== masterId.publicKey)
          .map((id) => [id, unknownDevice().toJson()]),
      );
      try {
        if (!ctx.keys.hasAddedSignature(targetUser, masterId.publicKey, userId, userSigningId.keyId)) {
          const signature = checkSignedCopy(
            object,
            master,
            userId,
            userSigningId.keyId,
            userSigningId.publicKey,
          );
          ctx.keys.addSignature(targetUser, masterId.publicKey, userId, userSigningId.keyId, signature);
          signedUsers.push(targetUser);
        }
      } catch (error) {
        if (!(error instanceof KeyFailure)) throw error;
        userFailures[masterId.publicKey] = error.toJson();
      }
      if (Object.keys(userFailures).length > 0) failures[targetUser] = userFailures;
    }
    return signedUsers;
  }

  return [
    {
      method: "POST",
      path: `${prefix}/keys/device_signing/upload`,
      handle: async ({ req, res, url }) => {
        const { userId } = await ctx.authenticate(req, url);
        const body = await readJsonObject(req);
        const uploaded = new Map<CrossSigningKeyType, JsonObject>();
        for (const type of CROSS_SIGNING_KEY_TYPES) {
          const key = body[BODY_FIELDS[type]];
          if (key === undefined) continue;
          if (!isJsonObject(key)) throw badJson(`${BODY_FIELDS[type]} must be an object`);
          uploaded.set(type, key);
        }
        const isSetUp = ctx.keys.crossSigningKey(userId, "master") !== undefined;
        const different = [...uploaded].some(([type, key]) => {
          const stored = ctx.keys.crossSigningKey(userId, type);
          return stored === undefined || canonicalJson(stored) !== canonicalJson(key);
        });
        if (!different) {
          sendJson(res, 200, {});
          return;
        }
        if (isSetUp && !ctx.keys.isReplaceable(userId, ctx.clock.now())) {
          const resetUrl = `${ctx.accountManagementUrl}?action=org.matrix.cross_signing_reset`;
          sendJson(res, 401, {
            session: "dummy",
            flows: [{ stages: ["m.oauth"] }, { stages: ["org.matrix.cross_signing_reset"] }],
            params: { "m.oauth": { url: resetUrl }, "org.matrix.cross_signing_reset": { url: resetUrl } },
            msg:
              "To reset your end-to-end encryption cross-signing identity, you first need to approve it at " +
              `${resetUrl} and then try again.`,
          });
          return;
        }
        const master = uploaded.get("master") ?? ctx.keys.crossSigningKey(userId, "master");
        if (master === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "No master key available");
        checkCrossSigningKey(master, userId, "master");
        const masterId = crossSigningKeyId(master);
        for (const type of ["self_signing", "user_signing"] as const) {
          const key = uploaded.get(type);
          if (key !== undefined) checkCrossSigningKey(key, userId, type, masterId);
        }
        for (const [type, key] of uploaded) ctx.keys.setCrossSigningKey(userId, type, key);
        ctx.deviceLists.markChanged(userId);
        sendJson(res, 200, {});
      },
    },
    {
      method: "POST",
      path: `${prefix}/keys/signatures/upload`,
      handle: async ({ req, res, url }) => {
        const { userId } = await ctx.authenticate(req, url);
        const body = await readJsonObject(req);
        for (const byKey of Object.values(body)) {
          if (!isJsonObject(byKey) || !Object.values(byKey).every(isJsonObject)) {
            throw invalidParam("Invalid parameter");
          }
        }
        const { [userId]: own, ...others } = body as Record<string, Record<string, JsonObject>>;
        const failures: Record<string, unknown> = {};
        if (storeSelfSignatures(userId, own ?? {}, failures)) ctx.deviceLists.markChanged(userId);
        const signedUsers = storeOtherSignatures(userId, others, failures);
        // Only the signer learns of their user-signing signatures (Synapse's user signature stream).
        for (const signedUser of signedUsers) ctx.deviceLists.markChanged(signedUser, [userId]);
        sendJson(res, 200, { failures });
      },
    },
  ];
}
