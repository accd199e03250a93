import { describe, expect, it } from "vitest";
import { lengthPrefixed } from "./length-prefix";
import { encodeLoginQr } from "./qr/codec";
import { encodeRendezvousAad } from "./channel/v2025";
import { OUR_V2025_PROFILE, RUST_SDK_BRANCH_PROFILE } from "./v2025-profile";

describe("length prefixes (MSC4108 and MSC4388 QR codes, MSC4388 AAD)", () => {
  it("writes a big-endian u8 or u16 length in front of the bytes", () => {
    expect(lengthPrefixed(Uint8Array.of(7, 8), "u8", "f")).toEqual(Uint8Array.of(2, 7, 8));
    expect(lengthPrefixed(new Uint8Array(0x123), "u16", "f").subarray(0, 2)).toEqual(Uint8Array.of(1, 0x23));
  });

  it("refuses a field too long for its width, naming the field", () => {
    expect(() => lengthPrefixed(new Uint8Array(256), "u8", "QR base URL")).toThrow(
      new TypeError("QR base URL is 256 bytes, too long for a u8 length"),
    );
    expect(() => lengthPrefixed(new Uint8Array(0x10000), "u16", "f")).toThrow(TypeError);
  });

  it("the QR code and the AAD frame the same base URL the same way under each width", () => {
    const baseUrl = "https://matrix.example.org";
    const qr = (baseUrlLength: "u8" | "u16") =>
      encodeLoginQr({
        version: "v2025",
        intent: "new_device",
        publicKey: new Uint8Array(32),
        rendezvousId: "ID",
        baseUrl,
        prefix: "MATRIX",
        idLength: "u8",
        baseUrlLength,
      });
    const aad = (profile: typeof OUR_V2025_PROFILE) =>
      encodeRendezvousAad({ baseUrl, rendezvousId: "ID", sequenceToken: "T" }, profile);
    const qrTail = (bytes: Uint8Array, width: number) =>
      bytes.subarray(bytes.length - baseUrl.length - width);
    expect(qrTail(qr("u8"), 1)).toEqual(aad(OUR_V2025_PROFILE).subarray(0, baseUrl.length + 1));
    const asQr = { ...RUST_SDK_BRANCH_PROFILE, aadBaseUrlForm: "as_in_qr" as const };
    expect(qrTail(qr("u16"), 2)).toEqual(aad(asQr).subarray(0, baseUrl.length + 2));
  });
});
