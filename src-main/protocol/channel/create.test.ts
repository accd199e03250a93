// The version-neutral entry points: the scanner's channel follows the QR code it was built from.
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../errors";
import type { V2025LoginQr } from "../qr/types";
import { OUR_V2025_PROFILE } from "../v2025-profile";
import { createScannerChannel } from "./create";

const QR: V2025LoginQr = {
  version: "v2025",
  intent: "existing_device",
  publicKey: new Uint8Array(32).fill(9),
  rendezvousId: "01HX9K00Q1H6KPD47EG4G1T3XG",
  baseUrl: "https://matrix.example.org",
  prefix: "IO_ELEMENT_MSC4388",
  idLength: "u8",
  baseUrlLength: "u8",
};

describe("createScannerChannel", () => {
  it("refuses a QR whose base URL cannot be bound into the profile's AAD: invalid_qr now, not a TypeError later", () => {
    const qr: V2025LoginQr = {
      ...QR,
      baseUrl: `https://matrix.example.org/${"a".repeat(300)}`,
      baseUrlLength: "u16",
    };
    let error: unknown;
    try {
      createScannerChannel(qr, { profile: OUR_V2025_PROFILE });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe("invalid_qr");
  });
});
