// The source of randomness for ephemeral keys and nonces. Injectable so that fixed-key vectors can be
// reproduced through the public channel API; production code uses the platform CSPRNG.

/** Returns `length` fresh random bytes. */
export type RandomSource = (length: number) => Uint8Array;

export const secureRandom: RandomSource = (length) => crypto.getRandomValues(new Uint8Array(length));

/**
 * `length` bytes from `random`, copied so that zeroing them later cannot reach into the source's buffer. A source
 * that answers with another length is our own wiring bug: TypeError.
 */
export function takeRandom(random: RandomSource, length: number): Uint8Array {
  const bytes = random(length);
  if (bytes.length !== length) {
    throw new TypeError(`random source returned ${bytes.length} bytes, not ${length}`);
  }
  return Uint8Array.from(bytes);
}
