// Key arithmetic the device does itself, independently of the Rust crypto, so that it can check what another
// device sent against what the server publishes before anything is imported: the public half of a private key
// (`m.login.secrets` carries 32-byte seeds, docs/protocol.md §7), and Matrix JSON signatures (Ed25519 over
// canonical JSON without `signatures` and `unsigned`, spec "Signing JSON").
import { ed25519, x25519 } from "@noble/curves/ed25519.js";

export function decodeUnpaddedBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, "base64"));
}

export function encodeUnpaddedBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

/** The 32 bytes of a private key in unpadded base64 (padding tolerated, as rust-sdk does), or undefined. */
export function privateKeyBytes(text: string): Uint8Array | undefined {
  const bytes = decodeUnpaddedBase64(text);
  return bytes?.length === 32 ? bytes : undefined;
}

/** The Ed25519 public key (unpadded base64) of a 32-byte seed. */
export function ed25519PublicKey(seed: Uint8Array): string {
  return encodeUnpaddedBase64(ed25519.getPublicKey(seed));
}

/** The Curve25519 public key (unpadded base64) of a 32-byte private key: the backup's `auth_data.public_key`. */
export function curve25519PublicKey(privateKey: Uint8Array): string {
  return encodeUnpaddedBase64(x25519.getPublicKey(privateKey));
}

/** Canonical JSON (spec appendix "Canonical JSON"): sorted keys, no insignificant whitespace, UTF-8. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, entry]) => entry !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(",")}}`;
}

/** Whether `object` carries a valid signature by `signer`'s key `keyId` (`ed25519:<id>`) with `publicKey`. */
export function hasValidSignature(
  object: Record<string, unknown>,
  signer: string,
  keyId: string,
  publicKey: string,
): boolean {
  const signatures = object.signatures as Record<string, Record<string, unknown> | undefined> | undefined;
  const signature = signatures?.[signer]?.[keyId];
  if (typeof signature !== "string") return false;
  const signatureBytes = decodeUnpaddedBase64(signature);
  const publicBytes = decodeUnpaddedBase64(publicKey);
  if (signatureBytes?.length !== 64 || publicBytes?.length !== 32) return false;
  const { signatures: _signatures, unsigned: _unsigned, ...content } = object;
  try {
    return ed25519.verify(signatureBytes, new TextEncoder().encode(canonicalJson(content)), publicBytes);
  } catch {
    // A malformed point is an invalid signature, not an error.
    return false;
  }
}
