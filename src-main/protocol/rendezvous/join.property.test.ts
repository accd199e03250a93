// Property test of the scanning device's whole join path: whatever QR code it reads, the bytes either fail to
// decode, or the channel and the rendezvous join fail with a typed error (ProtocolError, RendezvousError). A
// TypeError means our own code let peer input through to a place that assumes it is valid. The server answers
// 404 to everything, so every join ends in an error; nothing here waits on a real timer (a virtual clock).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, utf8 } from "../bytes";
import { createScannerChannel } from "../channel/create";
import { ProtocolError, isProtocolError } from "../errors";
import { acceptScannedQr, type ScannedQr } from "../qr/scanned";
import { isRendezvousError } from "./errors";
import { joinRendezvous } from "./join";
import { testRuntime } from "./doubles.testing";
import type { FetchFunction } from "./transport";

const notFound: FetchFunction = () =>
  Promise.resolve(Response.json({ errcode: "M_NOT_FOUND", error: "scripted" }, { status: 404 }));

function typed(error: unknown): boolean {
  return error instanceof ProtocolError || isRendezvousError(error);
}

/** Fails the property with the untyped error, so its message and stack show up in the counterexample. */
function rethrow(error: unknown): never {
  throw error instanceof Error ? error : new Error("a non-Error was thrown", { cause: error });
}

/** Runs `step` and returns its error, failing the property on a success or an untyped error. */
async function typedFailure(step: () => Promise<unknown>): Promise<void> {
  let caught: unknown;
  try {
    await step();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error("expected the step to fail against a server that answers 404");
  if (!typed(caught)) rethrow(caught);
}

function lengthPrefix(bytes: Uint8Array, width: "u8" | "u16"): Uint8Array {
  const length = bytes.length;
  return width === "u8" ? Uint8Array.of(length & 0xff) : Uint8Array.of((length >> 8) & 0xff, length & 0xff);
}

// Field text far looser than the codec allows, so that whatever it lets through reaches the join path.
const looseUrl = fc.oneof(
  fc.webUrl({
    withQueryParameters: true,
    withFragments: true,
    authoritySettings: { withUserInfo: true, withIPv4: true, withIPv6: true, withPort: true },
  }),
  fc.constantFrom(
    "https://hs.example/?",
    "https://hs.example/#",
    "https://@hs.example",
    "https://hs.example/a%2F..%2Fb",
    "https://hs.example:0",
    "https://hs.example:65535/",
    "http://[::1]/",
    "https://xn--nxasmq6b.example/",
    "https://hs.example/é",
    `https://hs.example/${"a".repeat(300)}`,
  ),
  fc.string(),
);
const looseId = fc.oneof(
  fc.stringMatching(/^[0-9A-Za-z._~-]{1,40}$/),
  fc.string(),
  fc.constant("a".repeat(255)),
);
const width = fc.constantFrom("u8" as const, "u16" as const);
const key = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constant(new Uint8Array(32)));

const v2025Bytes = fc
  .tuple(fc.constantFrom("MATRIX", "IO_ELEMENT_MSC4388"), fc.nat(1), key, looseId, width, looseUrl, width)
  .map(([prefix, intent, publicKey, id, idWidth, url, urlWidth]) => {
    const idBytes = utf8(id);
    const urlBytes = utf8(url);
    return concatBytes(
      utf8(prefix),
      Uint8Array.of(0x03, intent),
      publicKey,
      lengthPrefix(idBytes, idWidth),
      idBytes,
      lengthPrefix(urlBytes, urlWidth),
      urlBytes,
    );
  });

const v2024Bytes = fc
  .tuple(fc.constantFrom(0x03, 0x04), key, looseUrl, fc.oneof(looseUrl, fc.domain()))
  .map(([mode, publicKey, url, server]) => {
    const urlBytes = utf8(url);
    const serverBytes = utf8(server);
    const tail = mode === 0x04 ? [lengthPrefix(serverBytes, "u16"), serverBytes] : [];
    return concatBytes(
      utf8("MATRIX"),
      Uint8Array.of(0x02, mode),
      publicKey,
      lengthPrefix(urlBytes, "u16"),
      urlBytes,
      ...tail,
    );
  });

/** Accepts the bytes in the role that may scan them: the generated QR codes show either intent. */
function acceptInEitherRole(bytes: Uint8Array): ScannedQr {
  try {
    return acceptScannedQr(bytes, "existing_device");
  } catch (error) {
    if (!isProtocolError(error, "wrong_qr")) throw error;
    return acceptScannedQr(bytes, "new_device");
  }
}

async function joinPathIsTyped(bytes: Uint8Array, allowInsecureHttp: boolean): Promise<boolean> {
  let scanned: ScannedQr;
  try {
    scanned = acceptInEitherRole(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return false;
  }
  const { qr } = scanned;
  const signal = new AbortController().signal;
  let channel;
  try {
    channel = createScannerChannel(scanned);
  } catch (error) {
    if (!typed(error)) rethrow(error);
  }
  if (channel !== undefined) {
    // The channel binds every message to the QR's base URL and ID: sealing must work or fail typed.
    const aad =
      qr.version === "v2025"
        ? { baseUrl: qr.baseUrl, rendezvousId: qr.rendezvousId, sequenceToken: "T".repeat(43) }
        : undefined;
    try {
      await channel.sealInitiate(aad);
    } catch (error) {
      if (!typed(error)) rethrow(error);
    }
  }
  await typedFailure(() =>
    joinRendezvous(scanned, { runtime: testRuntime(notFound), allowInsecureHttp, signal }),
  );
  return true;
}

describe("the join path under any QR code (fast-check)", () => {
  it.each([
    ["v2025", v2025Bytes],
    ["v2024", v2024Bytes],
  ])(
    "%s: a decodable QR either joins or fails with a typed error, never a TypeError",
    async (_label, bytes) => {
      let decoded = 0;
      await fc.assert(
        fc.asyncProperty(bytes, fc.boolean(), async (qrBytes, allowInsecureHttp) => {
          if (await joinPathIsTyped(qrBytes, allowInsecureHttp)) decoded++;
        }),
        { numRuns: 300 },
      );
      // The generators are loose on purpose, but not so loose that nothing reaches the join.
      expect(decoded).toBeGreaterThan(0);
    },
  );
});
