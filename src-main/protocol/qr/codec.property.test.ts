import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64 } from "../base64";
import { concatBytes, utf8 } from "../bytes";
import { ProtocolError } from "../errors";
import { v2024LoginQr, v2025LoginQr } from "./arbitraries.testing";
import { decodeLoginQr, encodeLoginQr } from "./codec";
import type { LoginQr } from "./types";

// Published vectors (see codec.test.ts for their sources) as seeds for mutation.
const PUBLISHED = [
  // MSC4108 @87f8317 mode 0x03 and 0x04, rust-sdk msc_4108.rs Synapse QR.
  "TUFUUklYAgPYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtawBHaHR0cHM6Ly9yZW5kZXp2b3VzLmxhYi5lbGVtZW50LmRldi9lOGRhNjM1NS01NTBiLTRhMzItYTE5My0xNjE5ZDk4MzA2Njg",
  "TUFUUklYAgTYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtawBHaHR0cHM6Ly9yZW5kZXp2b3VzLmxhYi5lbGVtZW50LmRldi9lOGRhNjM1NS01NTBiLTRhMzItYTE5My0xNjE5ZDk4MzA2NjgACm1hdHJpeC5vcmc",
  "TUFUUklYAgS0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PABaaHR0cHM6Ly9zeW5hcHNlLW9pZGMubGFiLmVsZW1lbnQuZGV2L19zeW5hcHNlL2NsaWVudC9yZW5kZXp2b3VzLzAxSFg5SzAwUTFINktQRDQ3RUc0RzFUM1hHACVodHRwczovL3N5bmFwc2Utb2lkYy5sYWIuZWxlbWVudC5kZXYv",
  // MSC4388 stable intent 0x00, unstable u8 ID; rust-sdk main u16 ID; rust-sdk main and branch ULID QRs.
  "TUFUUklYAwDYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtayRlOGRhNjM1NS01NTBiLTRhMzItYTE5My0xNjE5ZDk4MzA2NjgAIGh0dHBzOi8vbWF0cml4LWNsaWVudC5tYXRyaXgub3Jn",
  "SU9fRUxFTUVOVF9NU0M0Mzg4AwHYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtayRlOGRhNjM1NS01NTBiLTRhMzItYTE5My0xNjE5ZDk4MzA2NjgAIGh0dHBzOi8vbWF0cml4LWNsaWVudC5tYXRyaXgub3Jn",
  "SU9fRUxFTUVOVF9NU0M0Mzg4AwHYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtawAkZThkYTYzNTUtNTUwYi00YTMyLWExOTMtMTYxOWQ5ODMwNjY4ACBodHRwczovL21hdHJpeC1jbGllbnQubWF0cml4Lm9yZw",
  "SU9fRUxFTUVOVF9NU0M0Mzg4AwG0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PAAaMDFIWDlLMDBRMUg2S1BENDdFRzRHMVQzWEcAJGh0dHBzOi8vc3luYXBzZS1vaWRjLmxhYi5lbGVtZW50LmRldg",
  "SU9fRUxFTUVOVF9NU0M0Mzg4AwG0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PBowMUhYOUswMFExSDZLUEQ0N0VHNEcxVDNYRwAkaHR0cHM6Ly9zeW5hcHNlLW9pZGMubGFiLmVsZW1lbnQuZGV2",
].map((text) => decodeBase64(text));

const anyLoginQr: fc.Arbitrary<LoginQr> = fc.oneof(v2024LoginQr, v2025LoginQr);

/** The only two outcomes allowed for any input: a ProtocolError, or a value that writes back the same bytes. */
function decodeIsTotal(bytes: Uint8Array): void {
  let qr: LoginQr;
  try {
    qr = decodeLoginQr(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return;
  }
  expect(encodeLoginQr(qr)).toEqual(bytes);
}

type Mutation =
  | { kind: "flip"; at: number; mask: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; byte: number }
  | { kind: "delete"; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = m.at % (bytes.length + 1);
  switch (m.kind) {
    case "flip": {
      const out = bytes.slice();
      if (at < out.length) out[at] = (out[at] ?? 0) ^ m.mask;
      return out;
    }
    case "truncate":
      return bytes.slice(0, at);
    case "insert":
      return concatBytes(bytes.slice(0, at), Uint8Array.of(m.byte), bytes.slice(at));
    case "delete":
      return concatBytes(bytes.slice(0, at), bytes.slice(at + 1));
  }
}

describe("decodeLoginQr never fails other than with a ProtocolError (fast-check)", () => {
  it("random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), decodeIsTotal), { numRuns: 500 });
  });

  it("random bytes behind each prefix and version byte, so the field readers are reached", () => {
    const head = fc.constantFrom(
      ...["MATRIX", "MATRIX\x02", "MATRIX\x02\x03", "MATRIX\x02\x04", "MATRIX\x03", "MATRIX\x03\x00"].map(
        utf8,
      ),
      ...["IO_ELEMENT_MSC4388\x03", "IO_ELEMENT_MSC4388\x03\x01"].map(utf8),
    );
    fc.assert(
      fc.property(head, fc.uint8Array({ maxLength: 400 }), (prefix, rest) => {
        decodeIsTotal(concatBytes(prefix, rest));
      }),
      { numRuns: 1000 },
    );
  });

  it("published vectors with random flips, truncations, insertions and deletions", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PUBLISHED),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (seed, ms) => {
          decodeIsTotal(ms.reduce(mutate, seed));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("generated valid QRs with random mutations", () => {
    fc.assert(
      fc.property(anyLoginQr, fc.array(mutation, { minLength: 1, maxLength: 3 }), (qr, ms) => {
        decodeIsTotal(ms.reduce(mutate, encodeLoginQr(qr)));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("valid QR values round-trip (fast-check)", () => {
  it("v2024 values with any key, URL and server name", () => {
    fc.assert(
      fc.property(v2024LoginQr, (qr) => {
        expect(decodeLoginQr(encodeLoginQr(qr))).toStrictEqual(qr);
      }),
      { numRuns: 300 },
    );
  });

  it("v2025 values with any key, ID, base URL, prefix and length widths", () => {
    fc.assert(
      fc.property(v2025LoginQr, (qr) => {
        expect(decodeLoginQr(encodeLoginQr(qr))).toStrictEqual(qr);
      }),
      { numRuns: 500 },
    );
  });
});
