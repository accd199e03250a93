// The scanner checks the QR's intent before anything touches the network (docs/protocol.md §1.3: rust-sdk's
// `InvalidIntent`, which Element X shows as "other device not signed in"). That the scanning path cannot skip
// it is scanned.test.ts.
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../errors";
import type { Intent } from "../types";
import { checkQrIntent } from "./intent";
import type { LoginQr } from "./types";

const KEY = new Uint8Array(32).fill(9);
const QRS: readonly LoginQr[] = [
  {
    version: "v2024",
    intent: "new_device",
    publicKey: KEY,
    rendezvousUrl: "https://hs.example/_synapse/client/rendezvous/01HX9K00Q1H6KPD47EG4G1T3XG",
  },
  {
    version: "v2025",
    intent: "existing_device",
    publicKey: KEY,
    rendezvousId: "01HX9K00Q1H6KPD47EG4G1T3XG",
    baseUrl: "https://hs.example",
    prefix: "IO_ELEMENT_MSC4388",
    idLength: "u8",
    baseUrlLength: "u8",
  },
];

function protocolErrorOf(action: () => unknown): ProtocolError {
  try {
    action();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw new Error("expected a ProtocolError", { cause: error });
  }
  throw new Error("expected a refusal");
}

describe("checkQrIntent(qr, ourRole)", () => {
  it.each(QRS)("a $version QR shown by a device in our own role is wrong_qr", (qr) => {
    expect(
      protocolErrorOf(() => {
        checkQrIntent(qr, qr.intent);
      }).code,
    ).toBe("wrong_qr");
  });

  it.each(QRS)("a $version QR shown by a device in the other role is fine", (qr) => {
    const ourRole: Intent = qr.intent === "new_device" ? "existing_device" : "new_device";
    expect(() => {
      checkQrIntent(qr, ourRole);
    }).not.toThrow();
  });
});
