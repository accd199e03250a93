import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "./base64";
import { ProtocolError } from "./errors";

describe("channel base64 (standard alphabet, unpadded out, padding-indifferent in)", () => {
  it("round-trips every length from 0 to 40 against Node's encoder", () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const expected = Buffer.from(bytes).toString("base64").replace(/=+$/, "");
      expect(encodeBase64(bytes)).toBe(expected);
      expect(decodeBase64(expected)).toEqual(bytes);
      expect(decodeBase64(Buffer.from(bytes).toString("base64"))).toEqual(bytes);
    }
  });

  it.each([
    ["URL-safe alphabet", "_-8"],
    ["non-canonical trailing bits", "QR"],
    ["impossible length", "QUJDR"],
    ["wrong padding", "QQ="],
    ["padding in the middle", "QQ==QQ"],
    ["whitespace", "QUJD RA"],
  ])("refuses %s with a ProtocolError", (_label, text) => {
    expect(() => decodeBase64(text)).toThrow(ProtocolError);
  });
});
