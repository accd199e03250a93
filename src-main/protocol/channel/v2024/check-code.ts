// The v2024 check code (PROTOCOL.md §3.1, §9 item 12): two decimal digits, the first may be 0 ("00".."99").

/** `b0 % 10` then `b1 % 10`, as vodozemac's `CheckCode::to_digit` shown with two digits. */
export function checkCodeDigits(checkBytes: Uint8Array): string {
  return String((checkBytes[0] ?? 0) % 10) + String((checkBytes[1] ?? 0) % 10);
}

/**
 * Whether the user typed the expected code. Anything but exactly two ASCII digits is a mismatch. The secret
 * digits are compared without an early exit, so timing does not tell which digit was wrong.
 */
export function checkCodeMatches(expected: string, typed: string): boolean {
  const wellFormed = /^[0-9]{2}$/.test(typed);
  let diff = wellFormed ? 0 : 1;
  for (let i = 0; i < 2; i++) diff |= expected.charCodeAt(i) ^ typed.charCodeAt(i);
  return diff === 0;
}
