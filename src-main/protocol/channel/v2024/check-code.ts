// The v2024 check code (docs/protocol.md §3.1): two decimal digits, the first may be 0 ("00".."99").

/** `b0 % 10` then `b1 % 10`, as vodozemac's `CheckCode::to_digit` shown with two digits. */
export function checkCodeDigits(checkBytes: Uint8Array): string {
  return String((checkBytes[0] ?? 0) % 10) + String((checkBytes[1] ?? 0) % 10);
}
