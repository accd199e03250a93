// Comparing the check code the user typed on G with the one G derived (MSC4108 / MSC4388 "check code" step).
// The digits differ per wire version (v2024/check-code.ts, v2025/check-code.ts); the comparison does not.

const TWO_ASCII_DIGITS = /^[0-9]{2}$/;

/**
 * Whether `typed` is the `expected` check code. Anything other than exactly two ASCII digits (full-width
 * digits, spaces, a single digit) never matches. The digits are compared without an early exit, so timing does
 * not tell which digit was wrong.
 */
export function checkCodeMatches(expected: string, typed: string): boolean {
  let diff = TWO_ASCII_DIGITS.test(typed) && expected.length === 2 ? 0 : 1;
  for (let i = 0; i < 2; i++) diff |= expected.charCodeAt(i) ^ typed.charCodeAt(i);
  return diff === 0;
}
