// Base64 as the secure channels use it (docs/protocol.md §3): encode with the standard alphabet and no padding;
// decode accepting padding or not, and refusing the URL-safe alphabet and non-canonical trailing bits, as
// vodozemac does. Failures are ProtocolErrors with the code the caller chooses.
import { ProtocolError, type ProtocolErrorCode } from "./errors";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Standard alphabet, unpadded. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out +=
      ALPHABET.charAt((n >> 18) & 63) +
      ALPHABET.charAt((n >> 12) & 63) +
      ALPHABET.charAt((n >> 6) & 63) +
      ALPHABET.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] ?? 0) << 16;
    out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63);
  } else if (rest === 2) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63) + ALPHABET.charAt((n >> 6) & 63);
  }
  return out;
}

/**
 * Standard alphabet, padding optional (but if present, it must be exactly right), canonical trailing bits.
 * Throws ProtocolError(`code`) on anything else.
 */
export function decodeBase64(text: string, code: ProtocolErrorCode = "invalid_channel_message"): Uint8Array {
  let body = text;
  const padAt = text.indexOf("=");
  if (padAt !== -1) {
    body = text.slice(0, padAt);
    const padding = text.slice(padAt);
    if (!/^={1,2}$/.test(padding) || (body.length + padding.length) % 4 !== 0) {
      throw new ProtocolError(code, "base64 has wrong padding");
    }
  }
  if (body.length % 4 === 1) throw new ProtocolError(code, "base64 has an impossible length");
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? (LOOKUP[c] ?? -1) : -1;
    if (v < 0) throw new ProtocolError(code, `base64 has a character outside the standard alphabet`);
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  if (bits > 0 && (buffer & ((1 << bits) - 1)) !== 0) {
    throw new ProtocolError(code, "base64 has non-canonical trailing bits");
  }
  return out;
}
