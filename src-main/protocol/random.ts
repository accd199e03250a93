// The source of randomness for ephemeral keys and nonces. Injectable so that fixed-key vectors can be
// reproduced through the public channel API; production code uses the platform CSPRNG.

/** Returns `length` fresh random bytes. */
export type RandomSource = (length: number) => Uint8Array;

export const secureRandom: RandomSource = (length) => crypto.getRandomValues(new Uint8Array(length));
