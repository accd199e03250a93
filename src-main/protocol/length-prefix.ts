// Big-endian length prefixes, as both the sign-in QR codes (MSC4108, MSC4388 "QR code format") and the v2025
// AAD (MSC4388 "Secure channel") put them in front of their text fields. One writer for both, so the two can
// never frame a field differently.
import { concatBytes } from "./bytes";

/** Width of a length prefix. */
export type LengthWidth = "u8" | "u16";

export const MAX_PREFIXED_LENGTH: Readonly<Record<LengthWidth, number>> = { u8: 0xff, u16: 0xffff };

/**
 * `bytes` behind its length in `width`. A field too long for its width is our caller's bug (the decoders and
 * schemas bound what comes from outside), so it is a TypeError naming `field`.
 */
export function lengthPrefixed(bytes: Uint8Array, width: LengthWidth, field: string): Uint8Array {
  if (bytes.length > MAX_PREFIXED_LENGTH[width]) {
    throw new TypeError(`${field} is ${bytes.length} bytes, too long for a ${width} length`);
  }
  const prefix =
    width === "u8" ? Uint8Array.of(bytes.length) : Uint8Array.of(bytes.length >> 8, bytes.length & 0xff);
  return concatBytes(prefix, bytes);
}
