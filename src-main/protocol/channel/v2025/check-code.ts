// The v2025 check code (MSC4388 Establishment steps 6-7; vodozemac hpke `check_code.rs` `to_digit_no_leading_zero`):
// two digits "10".."99", the first never 0, unlike v2024's "00".."99". S shows it, the user types it on G.

/** (b0 % 9) + 1, then b1 % 10. */
export function checkCodeFromBytes(checkBytes: Uint8Array): string {
  const [first = 0, second = 0] = checkBytes;
  return `${(first % 9) + 1}${second % 10}`;
}
