// Canonical JSON and Ed25519 signatures on JSON objects, as the client-server API uses them for device keys and
// cross-signing keys (spec appendices "Canonical JSON" and "Signing JSON"). The one verifier every key endpoint
// shares.
import { ed25519 } from "@noble/curves/ed25519.js";

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Keys sort by Unicode code point, not by UTF-16 code unit (which is what `<` on strings compares): the two
// disagree between characters above U+FFFF and those in U+E000..U+FFFF. UTF-8 bytes sort in code point order.
function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * The canonical JSON encoding: no insignificant whitespace, object keys in code point order, non-ASCII characters
 * as themselves (JSON.stringify's string escaping is exactly that), and only integers in [-(2^53)+1, 2^53-1].
 * Throws a `TypeError` for values canonical JSON cannot represent.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON has no number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isJsonObject(value)) {
    const entries = Object.keys(value)
      .sort(compareCodePoints)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(",")}}`;
  }
  throw new TypeError(`canonical JSON has no ${typeof value}`);
}

/** What a signature covers: the object without `signatures` and `unsigned`, in canonical JSON. */
export function signedContent(object: JsonObject): string {
  const { signatures: _signatures, unsigned: _unsigned, ...rest } = object;
  return canonicalJson(rest);
}

/** Decodes (un)padded standard base64; undefined for anything else. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, "").length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(text, "base64"));
}

export function encodeUnpaddedBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

/** `signatures[signer][keyId]` when it is a string. */
export function signatureOf(object: JsonObject, signer: string, keyId: string): string | undefined {
  const signatures = object.signatures;
  if (!isJsonObject(signatures)) return undefined;
  const bySigner = signatures[signer];
  if (!isJsonObject(bySigner)) return undefined;
  const signature = bySigner[keyId];
  return typeof signature === "string" ? signature : undefined;
}

/**
 * Whether `object` carries a valid Ed25519 signature by `signer` under `keyId` ("ed25519:<id>") made with the
 * 32-byte public key `publicKeyBase64`. False for a missing, malformed or wrong signature and for content
 * canonical JSON cannot encode.
 */
export function verifyJsonSignature(
  object: JsonObject,
  signer: string,
  keyId: string,
  publicKeyBase64: string,
): boolean {
  const signature = signatureOf(object, signer, keyId);
  if (signature === undefined) return false;
  const signatureBytes = decodeBase64(signature);
  const publicKey = decodeBase64(publicKeyBase64);
  if (signatureBytes?.length !== 64 || publicKey?.length !== 32) return false;
  let message: Uint8Array;
  try {
    message = new TextEncoder().encode(signedContent(object));
  } catch {
    return false;
  }
  try {
    return ed25519.verify(signatureBytes, message, publicKey);
  } catch {
    // Not a point on the curve.
    return false;
  }
}

/** Whether the 32 bytes of an unpadded base64 Ed25519 public key decode to a point on the curve. */
export function isEd25519PublicKey(publicKeyBase64: string): boolean {
  const bytes = decodeBase64(publicKeyBase64);
  if (bytes?.length !== 32) return false;
  try {
    ed25519.Point.fromBytes(bytes);
    return true;
  } catch {
    return false;
  }
}
