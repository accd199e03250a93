// The response context of the v2025 channel (MSC4388 Establishment steps 5-6; docs/protocol.md §3.2): G -> S messages are not sealed
// with HPKE's own context but with an AEAD whose key and base nonce come from an exported secret and a random
// nonce G sends in front of LoginOk, after RFC 9458 §4.4 (Oblivious HTTP responses). vodozemac's hpke module is
// the reference; the library cannot build such a context, so this is the one piece of key schedule we own.
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, utf8 } from "../../bytes";
import { RESPONSE_KEY_LABEL, RESPONSE_NONCE_LABEL } from "../../v2025-profile";

/** ChaCha20-Poly1305 sizes (RFC 8439): Nk, Nn and the tag. */
const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
export const AEAD_TAG_LENGTH = 16;

export interface ResponseKeys {
  readonly key: Uint8Array;
  readonly baseNonce: Uint8Array;
}

/**
 * PRK = HKDF-Extract(SHA-256, salt = enc || n_r, IKM = secret); key = Expand(PRK, "key", Nk);
 * base nonce = Expand(PRK, "nonce", Nn). `enc` is S's HPKE encapsulation (= Sp), `n_r` G's response nonce.
 */
export function deriveResponseKeys(
  secret: Uint8Array,
  enc: Uint8Array,
  responseNonce: Uint8Array,
): ResponseKeys {
  const prk = extract(sha256, secret, concatBytes(enc, responseNonce));
  const keys = {
    key: expand(sha256, prk, utf8(RESPONSE_KEY_LABEL), KEY_LENGTH),
    baseNonce: expand(sha256, prk, utf8(RESPONSE_NONCE_LABEL), NONCE_LENGTH),
  };
  prk.fill(0);
  return keys;
}

/** RFC 9180 §5.2 ComputeNonce: base_nonce XOR I2OSP(seq, Nn), big-endian (unlike v2024's little-endian counter). */
function computeNonce(baseNonce: Uint8Array, seq: number): Uint8Array {
  const nonce = Uint8Array.from(baseNonce);
  let rest = seq;
  for (let i = nonce.length - 1; i >= 0 && rest > 0; i--) {
    nonce[i] = (nonce[i] ?? 0) ^ (rest % 256);
    rest = Math.floor(rest / 256);
  }
  return nonce;
}

/**
 * One direction of the response context with its own sequence number, starting at 0 for LoginOk. Open
 * returns undefined on a failed tag; the caller closes the channel, so the sequence number only moves on
 * success, as in RFC 9180 §5.2.
 */
export class ResponseContext {
  #keys: ResponseKeys | undefined;
  #seq = 0;

  constructor(keys: ResponseKeys) {
    this.#keys = keys;
  }

  seal(plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const keys = this.#live();
    const ciphertext = chacha20poly1305(keys.key, computeNonce(keys.baseNonce, this.#seq), aad).encrypt(
      plaintext,
    );
    this.#advance();
    return ciphertext;
  }

  open(ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
    const keys = this.#live();
    let plaintext: Uint8Array;
    try {
      plaintext = chacha20poly1305(keys.key, computeNonce(keys.baseNonce, this.#seq), aad).decrypt(
        ciphertext,
      );
    } catch {
      return undefined;
    }
    this.#advance();
    return plaintext;
  }

  /** Overwrites the key material; the context is unusable afterwards. */
  forget(): void {
    this.#keys?.key.fill(0);
    this.#keys?.baseNonce.fill(0);
    this.#keys = undefined;
  }

  #live(): ResponseKeys {
    if (this.#keys === undefined) throw new TypeError("the response context was forgotten");
    return this.#keys;
  }

  #advance(): void {
    if (this.#seq >= Number.MAX_SAFE_INTEGER)
      throw new TypeError("response context sequence number exhausted");
    this.#seq += 1;
  }
}
