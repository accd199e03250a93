// One comparator for both wire versions, with the expected code first and the typed one second.
import { describe, expect, it } from "vitest";
import { checkCodeMatches } from "./check-code";

describe("comparing the typed check code (expected, typed)", () => {
  it("matches exactly the same two digits, a leading zero included (v2024 codes run 00..99)", () => {
    expect(checkCodeMatches("07", "07")).toBe(true);
    expect(checkCodeMatches("42", "42")).toBe(true);
    expect(checkCodeMatches("42", "24")).toBe(false);
    expect(checkCodeMatches("42", "43")).toBe(false);
  });

  it.each(["7", "007", "4 2", " 42", "４２", "", "4a"])(
    "never matches the malformed typed code %j",
    (typed) => {
      expect(checkCodeMatches("42", typed)).toBe(false);
      expect(checkCodeMatches(typed, typed)).toBe(false);
    },
  );

  it("reads its arguments as (expected, typed): only the typed code has to be well-formed digits", () => {
    // A malformed value in the `typed` position never matches, whatever is expected.
    expect(checkCodeMatches("x7", "x7")).toBe(false);
  });
});
