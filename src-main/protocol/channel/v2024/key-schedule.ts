// The v2024 (vodozemac `ecies`) key schedule, docs/protocol.md §3.1: X25519, then HKDF-SHA-512 with no salt and
// info strings bound to both public keys. The MSC4108 2024 text says HKDF-SHA256; deployed vodozemac uses
// SHA-512 (docs/protocol.md §3.1), and vodozemac is what the other device runs.
import { x25519 } from "@noble/curves/ed25519.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { encodeBase64 } from "../../base64";
import { utf8 } from "../../bytes";
import { ProtocolError } from "../../errors";
import { CHECK_CODE_LABEL, QR_LOGIN_INFO } from "../handshake";

export const KEY_LENGTH = 32;

export interface V2024Keys {
  /** Key for messages S -> G. */
  readonly encKeyS: Uint8Array;
  /** Key for messages G -> S. */
  readonly encKeyG: Uint8Array;
  /** Two bytes the check code digits come from. */
  readonly checkBytes: Uint8Array;
}

/** X25519 public key of a 32-byte private key (clamped by X25519 itself, as vodozemac's StaticSecret is). */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(privateKey);
}

/**
 * X25519 that refuses a non-contributory result, as vodozemac does (`was_contributory`): a low-order peer key
 * would make the "shared" secret a constant known to anyone.
 */
export function sharedSecret(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  let secret: Uint8Array;
  try {
    // noble rejects the low-order points before the ladder; those are exactly the keys that give all zeros.
    secret = x25519.getSharedSecret(privateKey, peerPublicKey);
  } catch (cause) {
    throw new ProtocolError("insecure_channel", "the peer's key gives a non-contributory shared secret", {
      cause,
    });
  }
  if (secret.every((b) => b === 0)) {
    throw new ProtocolError("insecure_channel", "the peer's key gives a non-contributory shared secret");
  }
  return secret;
}

/**
 * HKDF-SHA-512 over the shared secret. The info tail is always `|b64(Gp)|b64(Sp)`, generator key first, on
 * both sides (docs/protocol.md §3.1), so that both derive the same keys.
 */
export function deriveKeys(secret: Uint8Array, generatorKey: Uint8Array, scannerKey: Uint8Array): V2024Keys {
  const tail = `|${encodeBase64(generatorKey)}|${encodeBase64(scannerKey)}`;
  // No salt: HKDF then uses HashLen zero bytes, which is what vodozemac's `Hkdf::new(None, ...)` does.
  const prk = extract(sha512, secret);
  try {
    return {
      encKeyS: expand(sha512, prk, utf8(`${QR_LOGIN_INFO}_ENCKEY_S${tail}`), KEY_LENGTH),
      encKeyG: expand(sha512, prk, utf8(`${QR_LOGIN_INFO}_ENCKEY_G${tail}`), KEY_LENGTH),
      checkBytes: expand(sha512, prk, utf8(`${CHECK_CODE_LABEL}${tail}`), 2),
    };
  } finally {
    prk.fill(0);
  }
}
