// Field writers for the encoder. A value that would not decode again is our own bug, so every failure here is
// a TypeError (src-main/protocol/errors.ts: programming errors stay TypeErrors).
import { decodeUtf8, utf8 } from "../bytes";
import { lengthPrefixed, type LengthWidth } from "../length-prefix";
import { PUBLIC_KEY_LENGTH } from "./fields";

export function publicKeyBytes(key: Uint8Array): Uint8Array {
  if (key.length !== PUBLIC_KEY_LENGTH) {
    throw new TypeError(`QR public key must be ${PUBLIC_KEY_LENGTH} bytes, got ${key.length}`);
  }
  return key;
}

/** The field's length prefix followed by its UTF-8 bytes, after checking it against the decoder's rule. */
export function encodeText(
  text: string,
  width: LengthWidth,
  field: string,
  problemOf: (text: string) => string | undefined,
): Uint8Array {
  const problem = problemOf(text);
  if (problem !== undefined) throw new TypeError(`QR ${field} ${problem}`);
  const bytes = utf8(text);
  // A lone surrogate would be written as U+FFFD and read back as a different string.
  if (decodeUtf8(bytes) !== text) throw new TypeError(`QR ${field} is not well-formed Unicode`);
  if (bytes.length === 0) throw new TypeError(`QR ${field} is empty`);
  return lengthPrefixed(bytes, width, `QR ${field}`);
}
