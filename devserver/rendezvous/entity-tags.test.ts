// If-Match / If-None-Match evaluation against RFC 9110 §8.8.3.2's comparison table and §13.1.1-2.
import { describe, expect, it } from "vitest";
import { ifMatchPasses, ifNoneMatchPasses } from "./entity-tags";

describe("RFC 9110 §8.8.3.2 comparison examples", () => {
  // | ETag 1 | ETag 2 | strong | weak |
  const table: readonly [string, string, boolean, boolean][] = [
    ['W/"1"', 'W/"1"', false, true],
    ['W/"1"', 'W/"2"', false, false],
    ['W/"1"', '"1"', false, true],
    ['"1"', '"1"', true, true],
  ];
  for (const [first, second, strong, weak] of table) {
    it(`${first} vs ${second}: strong ${strong}, weak ${weak}`, () => {
      // If-Match uses the strong comparison; If-None-Match fails (304) when the weak comparison matches.
      expect(ifMatchPasses(first, second) && ifMatchPasses(second, first)).toBe(strong);
      expect(!ifNoneMatchPasses(first, second)).toBe(weak);
    });
  }
});

describe("header lists", () => {
  it("* matches any current tag", () => {
    expect(ifMatchPasses("*", '"abc"')).toBe(true);
    expect(ifNoneMatchPasses("*", '"abc"')).toBe(false);
  });

  it("any member of a list may match; members that are not entity tags never do", () => {
    expect(ifMatchPasses('"x", "abc"', '"abc"')).toBe(true);
    expect(ifMatchPasses("abc", '"abc"')).toBe(false);
    expect(ifNoneMatchPasses('"x", W/"abc"', '"abc"')).toBe(false);
    expect(ifNoneMatchPasses("abc", '"abc"')).toBe(true);
  });
});
