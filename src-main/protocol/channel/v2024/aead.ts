// One direction of the v2024 channel: ChaCha20-Poly1305 (RFC 8439) with no AAD, under one key, with a
// message counter as nonce (docs/protocol.md §3.1). Each direction has its own key and its own counter from 0.
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";

const NONCE_LENGTH = 12;

/**
 * vodozemac's nonce is the first 12 bytes of the little-endian u128 counter, i.e. u64-LE(n) and four zero
 * bytes. The counter is a JS number: 2^53 messages will not happen in one sign-in.
 */
function nonceFor(counter: number): Uint8Array {
  const nonce = new Uint8Array(NONCE_LENGTH);
  const view = new DataView(nonce.buffer);
  view.setUint32(0, counter >>> 0, true);
  view.setUint32(4, Math.floor(counter / 2 ** 32), true);
  return nonce;
}

export class DirectionalCipher {
  private counter = 0;

  constructor(private readonly key: Uint8Array) {}

  seal(plaintext: Uint8Array): Uint8Array {
    const nonce = nonceFor(this.counter);
    this.counter += 1;
    return chacha20poly1305(this.key, nonce).encrypt(plaintext);
  }

  /**
   * Throws when the tag does not verify. The counter moves first, as vodozemac's does, so a failed message
   * still uses up its nonce (docs/protocol.md §3.1); the caller closes the channel anyway.
   */
  open(ciphertext: Uint8Array): Uint8Array {
    const nonce = nonceFor(this.counter);
    this.counter += 1;
    return chacha20poly1305(this.key, nonce).decrypt(ciphertext);
  }

  forget(): void {
    this.key.fill(0);
  }
}
