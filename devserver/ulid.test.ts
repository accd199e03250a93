// ULIDs as the ULID spec (https://github.com/ulid/spec) defines them, checked against its own example.
import { describe, expect, it } from "vitest";
import { createUlid, isUlid, ulidTime } from "./ulid";

describe("ULID", () => {
  it("the spec's example time 1469918176385 encodes as the prefix 01ARYZ6S41", () => {
    const ulid = createUlid(1469918176385, (length) => new Uint8Array(length));
    expect(ulid).toBe("01ARYZ6S410000000000000000");
    expect(ulidTime(ulid)).toBe(1469918176385);
  });

  it("80 random bits fill the last 16 characters, most significant first", () => {
    const ulid = createUlid(0, (length) => new Uint8Array(length).fill(0xff));
    expect(ulid).toBe("0000000000ZZZZZZZZZZZZZZZZ");
  });

  it("is 26 Crockford base32 characters and sorts by time", () => {
    const earlier = createUlid(Date.parse("2026-11-27T12:00:00Z"));
    const later = createUlid(Date.parse("2026-11-27T12:00:00.001Z"));
    expect(isUlid(earlier)).toBe(true);
    expect(earlier < later).toBe(true);
    expect(isUlid("01ARYZ6S41TSV4RRFFQ69G5FAV")).toBe(true);
    expect(isUlid("01ARYZ6S41TSV4RRFFQ69G5FAI")).toBe(false);
    expect(isUlid("81ARYZ6S41TSV4RRFFQ69G5FAV")).toBe(false);
  });

  it("refuses a time that does not fit in 48 bits", () => {
    expect(() => createUlid(2 ** 48)).toThrow(RangeError);
    expect(() => createUlid(-1)).toThrow(RangeError);
  });
});
