// The version-neutral entry points: the scanner's channel follows the QR code it was built from.
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../errors";
import { encodeLoginQr, newV2025LoginQr } from "../qr/codec";
import { acceptScannedQr } from "../qr/scanned";
import type { V2025LoginQr } from "../qr/types";
import { OUR_V2025_PROFILE, RUST_SDK_BRANCH_PROFILE, profileForQrFraming } from "../v2025-profile";
import { createGeneratorChannel, createScannerChannel } from "./create";

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
      createScannerChannel(acceptScannedQr(encodeLoginQr(qr), "new_device"), { profile: OUR_V2025_PROFILE });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe("invalid_qr");
  });
});

const AAD_BASE = { rendezvousId: QR.rendezvousId };

/** G seals, S opens, with strict ping-pong tokens, from the QR bytes S scanned; returns both check codes. */
async function handshakeThroughQr(
  generator: ReturnType<typeof createGeneratorChannel>,
  qrBytes: Uint8Array,
  scannerOptions: Parameters<typeof createScannerChannel>[1] = {},
): Promise<{ scannerCode: string; matched: boolean }> {
  const accepted = acceptScannedQr(qrBytes, "existing_device");
  const scanned = accepted.qr;
  if (scanned.version !== "v2025") throw new Error("expected a v2025 QR");
  const aad = (sequenceToken: string) => ({ ...AAD_BASE, baseUrl: scanned.baseUrl, sequenceToken });
  const scanner = createScannerChannel(accepted, scannerOptions);
  const initiate = await scanner.sealInitiate(aad("SEQ1"));
  const pending = await generator.openInitiate(initiate, aad("SEQ1"));
  const { okMessage, unconfirmed } = await pending.sealOk(aad("SEQ2"));
  const shown = await scanner.openOk(okMessage, aad("SEQ2"));
  const result = unconfirmed.confirm(shown.checkCode);
  if (result.ok) {
    const sealed = await shown.acknowledge().seal('{"type":"m.login.protocols"}', aad("SEQ3"));
    expect(await result.channel.open(sealed, aad("SEQ3"))).toBe('{"type":"m.login.protocols"}');
  }
  return { scannerCode: shown.checkCode, matched: result.ok };
}

describe("the scanner's v2025 profile follows the QR's framing", () => {
  // A bare origin: the rust-sdk branch's AAD serialises it with a trailing "/", ours takes the QR's bytes.
  const baseUrl = "https://matrix-client.example.org";

  it("a rust-sdk-branch-framed QR (u16 base-URL length) handshakes with a RUST_SDK_BRANCH_PROFILE generator", async () => {
    const generator = createGeneratorChannel("v2025", { profile: RUST_SDK_BRANCH_PROFILE });
    const qr = newV2025LoginQr({
      intent: "new_device",
      publicKey: generator.publicKey,
      rendezvousId: QR.rendezvousId,
      baseUrl,
      idLength: "u8",
      baseUrlLength: "u16",
    });
    expect(profileForQrFraming(qr)).toBe(RUST_SDK_BRANCH_PROFILE);
    expect((await handshakeThroughQr(generator, encodeLoginQr(qr))).matched).toBe(true);
  });

  it("a QR in our framing (u8 base-URL length) handshakes with a generator in our profile", async () => {
    const generator = createGeneratorChannel("v2025");
    const qr = newV2025LoginQr({
      intent: "new_device",
      publicKey: generator.publicKey,
      rendezvousId: QR.rendezvousId,
      baseUrl,
    });
    expect(profileForQrFraming(qr)).toBe(OUR_V2025_PROFILE);
    expect((await handshakeThroughQr(generator, encodeLoginQr(qr))).matched).toBe(true);
  });

  it("an explicit profile wins over the framing (and a wrong one fails the handshake as insecure_channel)", async () => {
    const generator = createGeneratorChannel("v2025", { profile: RUST_SDK_BRANCH_PROFILE });
    const qr = newV2025LoginQr({
      intent: "new_device",
      publicKey: generator.publicKey,
      rendezvousId: QR.rendezvousId,
      baseUrl,
      baseUrlLength: "u16",
    });
    const failed = await handshakeThroughQr(generator, encodeLoginQr(qr), {
      profile: OUR_V2025_PROFILE,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(ProtocolError);
    expect((failed as ProtocolError).code).toBe("insecure_channel");
  });
});
