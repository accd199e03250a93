// The v2025 check code (MSC4388 Establishment steps 6-7; vodozemac hpke `check_code.rs` `to_digit_no_leading_zero`):
// two digits "10".."99", the first never 0, unlike v2024's "00".."99". S shows it, the user types it on G.
import { bytesEqual, utf8 } from "../../bytes";

/** (b0 % 9) + 1, then b1 % 10. */
export function checkCodeFromBytes(checkBytes: Uint8Array): string {
  const [first = 0, second = 0] = checkBytes;
  return `${(first % 9) + 1}${second % 10}`;
}

const TWO_ASCII_DIGITS = /^[0-9]{2}$/;

/**
 * Whether the typed code is the check code. Anything other than exactly two ASCII digits (full-width digits,
 * spaces, a single digit) is never a match. The comparison of well-formed codes is constant time, so the
 * timing does not reveal which digit was right.
 */
export function typedCodeMatches(typedCode: string, checkCode: string): boolean {
  if (!TWO_ASCII_DIGITS.test(typedCode)) return false;
  return bytesEqual(utf8(typedCode), utf8(checkCode));
}
