// The scanning device's first step (MSC4108 "QR code intent"; steps A-S1, B-S1): acceptScannedQr is the only
// way to a ScannedQr, and joinRendezvous and createScannerChannel take nothing else, so a QR code that does not
// decode, or that a device in our own role shows, never keys a channel or makes a request. The
// `@ts-expect-error` lines are checked by `npm run typecheck` (tsc fails on an unused directive).
import { describe, expect, it } from "vitest";
import { concatBytes, utf8 } from "../bytes";
import { createScannerChannel } from "../channel/create";
import { ProtocolError, type ProtocolErrorCode } from "../errors";
import { isRendezvousError } from "../rendezvous/errors";
import { testRuntime } from "../rendezvous/doubles.testing";
import { joinRendezvous } from "../rendezvous/join";
import type { FetchFunction } from "../rendezvous/transport";
import type { Intent } from "../types";
import { decodeLoginQr, encodeLoginQr } from "./codec";
import { acceptScannedQr, type ScannedQr } from "./scanned";
import type { LoginQr } from "./types";

const KEY = new Uint8Array(32).fill(9);
const NEW_DEVICE_V2024: LoginQr = {
  version: "v2024",
  intent: "new_device",
  publicKey: KEY,
  rendezvousUrl: "https://hs.example/_synapse/client/rendezvous/01HX9K00Q1H6KPD47EG4G1T3XG",
};
const EXISTING_DEVICE_V2025: LoginQr = {
  version: "v2025",
  intent: "existing_device",
  publicKey: KEY,
  rendezvousId: "01HX9K00Q1H6KPD47EG4G1T3XG",
  baseUrl: "https://hs.example",
  prefix: "IO_ELEMENT_MSC4388",
  idLength: "u8",
  baseUrlLength: "u8",
};
const QRS = [NEW_DEVICE_V2024, EXISTING_DEVICE_V2025];

function otherRole(role: Intent): Intent {
  return role === "new_device" ? "existing_device" : "new_device";
}

/** A homeserver that knows no session, and the URLs it was asked for. */
function recordingFetch(): { fetch: FetchFunction; requests: string[] } {
  const requests: string[] = [];
  const fetch: FetchFunction = (url) => {
    requests.push(url);
    return Promise.resolve(Response.json({ errcode: "M_NOT_FOUND", error: "scripted" }, { status: 404 }));
  };
  return { fetch, requests };
}

/** What the scanning device does with the bytes before the handshake: accept them, key its channel, join. */
async function scanAndJoin(bytes: Uint8Array, ourRole: Intent, fetch: FetchFunction): Promise<void> {
  const scanned = acceptScannedQr(bytes, ourRole);
  createScannerChannel(scanned);
  await joinRendezvous(scanned, { runtime: testRuntime(fetch), signal: new AbortController().signal });
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a refusal");
    },
    (error: unknown) => error,
  );
}

describe("acceptScannedQr(bytes, ourRole)", () => {
  it.each(QRS)("accepts a $version QR code shown by a device in the other role", (qr) => {
    const bytes = encodeLoginQr(qr);
    const scanned = acceptScannedQr(bytes, otherRole(qr.intent));
    expect(scanned.qr).toEqual(decodeLoginQr(bytes));
    expect(scanned.ourRole).toBe(otherRole(qr.intent));
    expect(Object.isFrozen(scanned)).toBe(true);
  });

  const verification = concatBytes(utf8("MATRIX"), Uint8Array.of(0x02, 0x00), KEY);
  const refusals: [string, Uint8Array, Intent, ProtocolErrorCode][] = [
    ["a v2024 QR code of our own role", encodeLoginQr(NEW_DEVICE_V2024), "new_device", "wrong_qr"],
    ["a v2025 QR code of our own role", encodeLoginQr(EXISTING_DEVICE_V2025), "existing_device", "wrong_qr"],
    ["a web link", utf8("https://matrix.to/#/@alice:example.org"), "new_device", "not_a_login_qr"],
    ["a device-verification QR code", verification, "existing_device", "not_a_login_qr"],
    [
      "a Matrix QR code of version 0x05",
      concatBytes(utf8("MATRIX"), Uint8Array.of(0x05)),
      "new_device",
      "unsupported_qr_version",
    ],
    [
      "a truncated v2024 QR code",
      encodeLoginQr(NEW_DEVICE_V2024).slice(0, -1),
      "existing_device",
      "invalid_qr",
    ],
    [
      "a truncated v2025 QR code",
      encodeLoginQr(EXISTING_DEVICE_V2025).slice(0, -1),
      "new_device",
      "invalid_qr",
    ],
  ];

  it.each(refusals)(
    "refuses %s with a typed error, before any request",
    async (_label, bytes, ourRole, code) => {
      const { fetch, requests } = recordingFetch();
      const error = await failureOf(scanAndJoin(bytes, ourRole, fetch));
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).code).toBe(code);
      expect(requests).toEqual([]);
    },
  );
});

describe("a QR code of our own role never reaches the network", () => {
  it.each(QRS)(
    "$version: scanning, keying the channel and joining stop at wrong_qr; the other role gets as far as the server",
    async (qr) => {
      const bytes = encodeLoginQr(qr);
      const { fetch, requests } = recordingFetch();
      const refused = await failureOf(scanAndJoin(bytes, qr.intent, fetch));
      expect(refused).toBeInstanceOf(ProtocolError);
      expect((refused as ProtocolError).code).toBe("wrong_qr");
      expect(requests).toEqual([]);

      // The same bytes scanned in the other role reach the rendezvous, which knows no such session.
      const notFound = await failureOf(scanAndJoin(bytes, otherRole(qr.intent), fetch));
      expect(isRendezvousError(notFound)).toBe(true);
      expect(requests.length).toBeGreaterThan(0);
    },
  );
});

/** Never called: tsc checks that each of these is refused. */
export function scanningApisTakeOnlyAScannedQr(
  qr: LoginQr,
  scanned: ScannedQr,
  options: { fetch: FetchFunction; signal: AbortSignal },
): unknown[] {
  return [
    // @ts-expect-error: a plain object lacks the brand that only acceptScannedQr gives
    { qr, ourRole: "existing_device" } satisfies ScannedQr,
    // @ts-expect-error: a decoded QR code whose intent nobody checked does not key a channel
    createScannerChannel(qr),
    // @ts-expect-error: nor does it join a rendezvous
    joinRendezvous(qr, options),
    // @ts-expect-error: the intent is no longer an option that can be left out
    createScannerChannel(scanned, { ourRole: "existing_device" }),
    // @ts-expect-error: nor here
    joinRendezvous(scanned, { ...options, ourRole: "existing_device" }),
  ];
}

describe("a ScannedQr comes from acceptScannedQr only", () => {
  it("a plain QR value, or one passed off as a ScannedQr by a cast or a copy, is a TypeError and makes no request", async () => {
    const { fetch, requests } = recordingFetch();
    const signal = new AbortController().signal;
    const qr = NEW_DEVICE_V2024;
    const real = acceptScannedQr(encodeLoginQr(qr), "existing_device");
    const impostors: ScannedQr[] = [
      qr as unknown as ScannedQr,
      { qr, ourRole: "existing_device" } as unknown as ScannedQr,
      { ...real },
      { ...real, qr: EXISTING_DEVICE_V2025 },
    ];
    for (const impostor of impostors) {
      expect(() => createScannerChannel(impostor)).toThrow(TypeError);
      await expect(joinRendezvous(impostor, { runtime: testRuntime(fetch), signal })).rejects.toThrow(
        TypeError,
      );
    }
    expect(requests).toEqual([]);
    // The real one passes the same check.
    expect(createScannerChannel(real).version).toBe("v2024");
  });
});
