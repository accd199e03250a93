// Interop with vodozemac's QR codec as shipped in @matrix-org/matrix-sdk-crypto-wasm 18.9.0 (`QrCodeData`), the
// code Element X and Element Web run. It reads v2024 both modes and the unstable MSC4388 form with u16 ID and
// base-URL lengths; it refuses the u8-ID form of the current MSC and the stable prefix (docs/protocol.md §1.2).
import {
  Ecies,
  initAsync,
  QrCodeData,
  QrCodeIntent,
  type Curve25519PublicKey,
} from "@matrix-org/matrix-sdk-crypto-wasm";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "../base64";
import { ProtocolError } from "../errors";
import {
  bareServerName,
  baseUrl,
  httpUrl,
  intent,
  rendezvousId,
  v2024LoginQr,
  v2025LoginQr,
} from "./arbitraries.testing";
import { decodeLoginQr, encodeLoginQr, newV2025LoginQr } from "./codec";
import type { LoginQr, V2025LoginQr } from "./types";

const MSC_KEY = decodeBase64("2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Ws");
const MSC_ID = "e8da6355-550b-4a32-a193-1619d9830668";
const MSC_BASE_URL = "https://matrix-client.matrix.org";

beforeAll(async () => {
  await initAsync();
});

function theirIntent(qrIntent: "new_device" | "existing_device"): QrCodeIntent {
  return qrIntent === "new_device" ? QrCodeIntent.Login : QrCodeIntent.Reciprocate;
}

/** A fresh random key made by vodozemac itself, and its base64 (the key object is consumed when used). */
function vodozemacKey(): { key: Curve25519PublicKey; base64: string } {
  const key = new Ecies().public_key();
  return { key, base64: key.toBase64() };
}

function asV2025(qr: LoginQr): V2025LoginQr {
  if (qr.version !== "v2025") throw new Error(`expected a v2025 QR, got ${qr.version}`);
  return qr;
}

/** What vodozemac 18.9 can read: the unstable prefix with u16 lengths (rust-sdk main). */
const vodozemacReadableV2025 = v2025LoginQr.map((qr): V2025LoginQr => ({
  ...qr,
  prefix: "IO_ELEMENT_MSC4388",
  idLength: "u16",
  baseUrlLength: "u16",
}));

describe("our QRs read by vodozemac (crypto-wasm 18.9.0 QrCodeData.fromBytes)", () => {
  it("v2024 new-device and existing-device QRs, with equal fields", () => {
    fc.assert(
      fc.property(v2024LoginQr, (qr) => {
        const theirs = QrCodeData.fromBytes(encodeLoginQr(qr));
        expect(theirs.mode).toBe(theirIntent(qr.intent));
        expect(theirs.publicKey.toBase64()).toBe(encodeBase64(qr.publicKey));
        // vodozemac holds the URL parsed (WHATWG-equivalent serialisation); we keep the QR's text.
        expect(theirs.rendezvousUrl).toBe(new URL(qr.rendezvousUrl).href);
        expect(theirs.serverName).toBe(qr.serverName);
        expect(theirs.intentData.msc4388).toBeUndefined();
        theirs.free();
      }),
      { numRuns: 150 },
    );
  });

  it("v2025 QRs with the unstable prefix and u16 lengths, with equal fields", () => {
    fc.assert(
      fc.property(vodozemacReadableV2025, (qr) => {
        const theirs = QrCodeData.fromBytes(encodeLoginQr(qr));
        expect(theirs.mode).toBe(theirIntent(qr.intent));
        expect(theirs.publicKey.toBase64()).toBe(encodeBase64(qr.publicKey));
        expect(theirs.intentData.msc4388?.rendezvousId).toBe(qr.rendezvousId);
        expect(theirs.intentData.msc4388?.baseUrl).toBe(new URL(qr.baseUrl).href);
        expect(theirs.rendezvousUrl).toBeUndefined();
        theirs.free();
      }),
      { numRuns: 150 },
    );
  });

  it("refuses the MSC's current unstable form with a u8 rendezvous-ID length", () => {
    const msc = newV2025LoginQr({
      intent: "existing_device",
      publicKey: MSC_KEY,
      rendezvousId: MSC_ID,
      baseUrl: MSC_BASE_URL,
      idLength: "u8",
      baseUrlLength: "u16",
    });
    expect(() => QrCodeData.fromBytes(encodeLoginQr(msc))).toThrow("The QR code data is missing some fields");
  });

  it("refuses a QR in our profile's default framing (unstable prefix, u8 lengths)", () => {
    const ours = newV2025LoginQr({
      intent: "new_device",
      publicKey: MSC_KEY,
      rendezvousId: MSC_ID,
      baseUrl: MSC_BASE_URL,
    });
    expect(() => QrCodeData.fromBytes(encodeLoginQr(ours))).toThrow();
  });

  it("refuses the stable MATRIX 0x03 QR, which it routes to the v2024 parser", () => {
    const stable = newV2025LoginQr({
      intent: "new_device",
      publicKey: MSC_KEY,
      rendezvousId: MSC_ID,
      baseUrl: MSC_BASE_URL,
      prefix: "MATRIX",
      idLength: "u16",
      baseUrlLength: "u16",
    });
    expect(() => QrCodeData.fromBytes(encodeLoginQr(stable))).toThrow(
      "The QR code data contains an unsupported type, expected 2, got 3",
    );
  });
});

describe("vodozemac's QRs read by ours", () => {
  it("v2024 QRs from `new QrCodeData(key, url, serverName?)` with random keys", () => {
    const serverName = fc.option(fc.oneof(bareServerName, baseUrl), { nil: undefined });
    fc.assert(
      fc.property(httpUrl, serverName, (url, server) => {
        const { key, base64 } = vodozemacKey();
        const theirs = new QrCodeData(key, url, server);
        const bytes = theirs.toBytes();
        const ours = decodeLoginQr(bytes);
        expect({ ...ours, publicKey: encodeBase64(ours.publicKey) }).toStrictEqual({
          version: "v2024",
          intent: server === undefined ? "new_device" : "existing_device",
          publicKey: base64,
          rendezvousUrl: theirs.rendezvousUrl,
          ...(server === undefined ? {} : { serverName: server }),
        });
        expect(encodeLoginQr(ours)).toEqual(bytes);
        theirs.free();
      }),
      { numRuns: 150 },
    );
  });

  it("v2025 QRs from `QrCodeData.newMsc4388(key, id, baseUrl, intent)` with random keys", () => {
    fc.assert(
      fc.property(rendezvousId, baseUrl, intent, (id, qrBaseUrl, qrIntent) => {
        const { key, base64 } = vodozemacKey();
        const theirs = QrCodeData.newMsc4388(key, id, qrBaseUrl, theirIntent(qrIntent));
        const bytes = theirs.toBytes();
        const ours = asV2025(decodeLoginQr(bytes));
        expect(ours).toMatchObject({
          intent: qrIntent,
          rendezvousId: id,
          prefix: "IO_ELEMENT_MSC4388",
          idLength: "u16",
          baseUrlLength: "u16",
        });
        expect(encodeBase64(ours.publicKey)).toBe(base64);
        // rust-sdk writes the base URL without the "/" of a bare origin (docs/protocol.md §1.2); parsed, they agree.
        expect(new URL(ours.baseUrl).href).toBe(theirs.intentData.msc4388?.baseUrl);
        expect(encodeLoginQr(ours)).toEqual(bytes);
        theirs.free();
      }),
      { numRuns: 150 },
    );
  });

  it("writes a bare-origin base URL without its trailing slash, and ours keeps it that way", () => {
    const { key } = vodozemacKey();
    const theirs = QrCodeData.newMsc4388(key, MSC_ID, `${MSC_BASE_URL}/`, QrCodeIntent.Login);
    expect(decodeLoginQr(theirs.toBytes())).toMatchObject({ baseUrl: MSC_BASE_URL });
    theirs.free();
  });

  it.each([
    [
      "an empty rendezvous ID",
      () => QrCodeData.newMsc4388(vodozemacKey().key, "", MSC_BASE_URL, QrCodeIntent.Login),
    ],
    [
      "a rendezvous ID with a space",
      () => QrCodeData.newMsc4388(vodozemacKey().key, "a b", MSC_BASE_URL, QrCodeIntent.Login),
    ],
    [
      "an ftp base URL",
      () => QrCodeData.newMsc4388(vodozemacKey().key, MSC_ID, "ftp://example.org/", QrCodeIntent.Login),
    ],
    ["an ftp rendezvous URL", () => new QrCodeData(vodozemacKey().key, "ftp://example.org/r")],
    [
      "credentials in the rendezvous URL",
      () => new QrCodeData(vodozemacKey().key, "https://u:p@example.org/r"),
    ],
    ["a server name with spaces", () => new QrCodeData(vodozemacKey().key, "https://example.org/r", "x y")],
  ])("vodozemac writes a QR with %s; ours refuses it as invalid_qr", (_label, make) => {
    const theirs = make();
    const bytes = theirs.toBytes();
    expect(() => QrCodeData.fromBytes(bytes)).not.toThrow();
    expect(() => decodeLoginQr(bytes)).toThrow(ProtocolError);
    expect(() => decodeLoginQr(bytes)).toThrow(expect.objectContaining({ code: "invalid_qr" }));
    theirs.free();
  });
});
