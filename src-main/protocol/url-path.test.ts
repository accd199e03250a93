// urlPath: text from outside becomes exactly one path segment, and no URL parser can normalise a "." or ".."
// segment away (the WHATWG parser reads "%2E" as a dot, so percent-encoding the dot alone is not enough).
import { describe, expect, it } from "vitest";
import { pathSegment, urlPath } from "./url-path";

const BASE = "https://hs.example/_matrix/client/v3/devices";

describe("urlPath", () => {
  it.each([
    ["..", "%252E%252E"],
    [".", "%252E"],
    ["../../_matrix/client/v3/keys", "..%2F..%2F_matrix%2Fclient%2Fv3%2Fkeys"],
    ["a/b?c#d%e", "a%2Fb%3Fc%23d%25e"],
    ["QdZkLm3XpA", "QdZkLm3XpA"],
    ["wjLpTLRq+bqBz/sSRQ2oAKk4", "wjLpTLRq%2BbqBz%2FsSRQ2oAKk4"],
    ["...", "..."],
  ])("puts %j into one segment that survives new URL: %s", (segment, encoded) => {
    const url = urlPath(BASE, segment);
    expect(url).toBe(`${BASE}/${encoded}`);
    const parsed = new URL(url);
    // Still below the base, with exactly one more segment, whatever the segment held.
    expect(parsed.pathname).toBe(`/_matrix/client/v3/devices/${encoded}`);
    expect(parsed.search).toBe("");
    expect(parsed.hash).toBe("");
  });

  it("shows why: the dots percent-encoded once are still removed by the URL parser", () => {
    expect(new URL(`${BASE}/%2E%2E`).pathname).toBe("/_matrix/client/v3/");
    expect(new URL(`${BASE}/%2e`).pathname).toBe("/_matrix/client/v3/devices/");
  });

  it("appends several segments and ignores the base's trailing slashes", () => {
    expect(urlPath(`${BASE}//`, "..", "txn")).toBe(`${BASE}/%252E%252E/txn`);
  });

  it("refuses an empty segment and a base that is not a base URL (our own bugs)", () => {
    expect(() => pathSegment("")).toThrow(TypeError);
    expect(() => urlPath(`${BASE}?q=1`, "x")).toThrow(TypeError);
    expect(() => urlPath("/relative", "x")).toThrow(TypeError);
  });
});
