// The scanner checks the QR's intent before anything touches the network (PROTOCOL.md §1.3: rust-sdk's
// `InvalidIntent`, which Element X shows as "other device not signed in").
import { describe, expect, it } from "vitest";
import { createScannerChannel } from "../channel/create";
import { ProtocolError } from "../errors";
import { joinRendezvous } from "../rendezvous/join";
import { testRuntime } from "../rendezvous/test-doubles";
import type { FetchFunction } from "../rendezvous/transport";
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

  it.each(QRS)(
    "createScannerChannel and joinRendezvous refuse it with ourRole, before any request ($version)",
    async (qr) => {
      const requests: string[] = [];
      const fetch: FetchFunction = (url) => {
        requests.push(url);
        return Promise.resolve(new Response(null, { status: 404 }));
      };
      expect(protocolErrorOf(() => createScannerChannel(qr, { ourRole: qr.intent })).code).toBe("wrong_qr");
      const joined = await joinRendezvous(qr, {
        runtime: testRuntime(fetch),
        ourRole: qr.intent,
        signal: new AbortController().signal,
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(joined).toBeInstanceOf(ProtocolError);
      expect((joined as ProtocolError).code).toBe("wrong_qr");
      expect(requests).toEqual([]);
    },
  );
});
