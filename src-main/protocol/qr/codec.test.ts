import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "../base64";
import { concatBytes, fromHex, utf8 } from "../bytes";
import { ProtocolError, type ProtocolErrorCode } from "../errors";
import { decodeLoginQr, encodeLoginQr, newV2025LoginQr } from "./codec";
import type { LoginQr, V2024LoginQr } from "./types";

// --- Published vectors -------------------------------------------------------------------------------------

/** MSC4108 @87f8317, "Example for QR code generated on new device" (mode 0x03), as printed in hex. */
const MSC4108_LOGIN_HEX = `
  4D 41 54 52 49 58 02 03
  d8 86 68 6a b2 19 7b 78 0e 30 0a 9d 4a 21 47 48 07 00 d7 92 9f 39 ab 31 b9 e5 14 37 02 48 ed 6b
  00 47
  68 74 74 70 73 3a 2f 2f 72 65 6e 64 65 7a 76 6f 75 73 2e 6c 61 62 2e 65 6c 65 6d 65 6e 74 2e 64 65 76 2f
  65 38 64 61 36 33 35 35 2d 35 35 30 62 2d 34 61 33 32 2d 61 31 39 33 2d 31 36 31 39 64 39 38 33 30 36 36 38`;
/** The same QR in base64: matrix-rust-sdk-crypto-wasm's QR code tests, matrix-rust-sdk msc_4108.rs. */
const MSC4108_LOGIN_BASE64 =
  "TUFUUklYAgPYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtawBHaHR0cHM6Ly9yZW5kZXp2b3VzLmxhYi5lbGVtZW50LmRldi9lOGRhNjM1NS01NTBiLTRhMzItYTE5My0xNjE5ZDk4MzA2Njg";
/** MSC4108 @87f8317, "Example for QR code generated on existing device" (mode 0x04, server name matrix.org). */
const MSC4108_RECIPROCATE_BASE64 =
  "TUFUUklYAgTYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtawBHaHR0cHM6Ly9yZW5kZXp2b3VzLmxhYi5lbGVtZW50LmRldi9lOGRhNjM1NS01NTBiLTRhMzItYTE5My0xNjE5ZDk4MzA2NjgACm1hdHJpeC5vcmc";
/** matrix-rust-sdk msc_4108.rs `QR_CODE_DATA_BASE64`: a real Synapse QR with a URL in the server-name slot. */
const RUST_SDK_SYNAPSE_RECIPROCATE_BASE64 =
  "TUFUUklYAgS0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PABaaHR0cHM6Ly9zeW5hcHNlLW9pZGMubGFiLmVsZW1lbnQuZGV2L19zeW5hcHNlL2NsaWVudC9yZW5kZXp2b3VzLzAxSFg5SzAwUTFINktQRDQ3RUc0RzFUM1hHACVodHRwczovL3N5bmFwc2Utb2lkYy5sYWIuZWxlbWVudC5kZXYv";

/** MSC4388 @726e115, "QR code format", example for intent 0x00 (stable prefix), as printed in hex. */
const MSC4388_STABLE_LOGIN_HEX = `
  4D 41 54 52 49 58 03 00
  d8 86 68 6a b2 19 7b 78 0e 30 0a 9d 4a 21 47 48 07 00 d7 92 9f 39 ab 31 b9 e5 14 37 02 48 ed 6b
  24 65 38 64 61 36 33 35 35 2D 35 35 30 62 2D 34 61 33 32 2D 61 31 39 33 2D 31 36 31 39 64 39 38 33 30 36 36 38
  00 20 68 74 74 70 73 3A 2F 2F 6D 61 74 72 69 78 2D 63 6C 69 65 6E 74 2E 6d 61 74 72 69 78 2e 6f 72 67`;
/** MSC4388, "QR code format", intent 0x00 in base64. */
const MSC4388_STABLE_LOGIN_BASE64 =
  "TUFUUklYAwDYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtayRlOGRhNjM1NS01NTBiLTRhMzItYTE5My0xNjE5ZDk4MzA2NjgAIGh0dHBzOi8vbWF0cml4LWNsaWVudC5tYXRyaXgub3Jn";
/** MSC4388, "QR code format", intent 0x01. */
const MSC4388_STABLE_RECIPROCATE_BASE64 =
  "TUFUUklYAwHYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtayRlOGRhNjM1NS01NTBiLTRhMzItYTE5My0xNjE5ZDk4MzA2NjgAIGh0dHBzOi8vbWF0cml4LWNsaWVudC5tYXRyaXgub3Jn";
/** MSC4388, "Unstable QR code format": intent 0x01, u8 rendezvous-ID length (MSC since 2026-06-03). */
const MSC4388_UNSTABLE_U8_ID_BASE64 =
  "SU9fRUxFTUVOVF9NU0M0Mzg4AwHYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtayRlOGRhNjM1NS01NTBiLTRhMzItYTE5My0xNjE5ZDk4MzA2NjgAIGh0dHBzOi8vbWF0cml4LWNsaWVudC5tYXRyaXgub3Jn";
/** matrix-rust-sdk main msc_4388.rs `QR_CODE_DATA_RECIPROCATE`: the same with a u16 rendezvous-ID length. */
const RUST_SDK_MAIN_U16_ID_BASE64 =
  "SU9fRUxFTUVOVF9NU0M0Mzg4AwHYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtawAkZThkYTYzNTUtNTUwYi00YTMyLWExOTMtMTYxOWQ5ODMwNjY4ACBodHRwczovL21hdHJpeC1jbGllbnQubWF0cml4Lm9yZw";
/** matrix-rust-sdk main msc_4388.rs `QR_CODE_DATA_BASE64`: Synapse-style ULID ID, u16 ID length. */
const RUST_SDK_MAIN_ULID_BASE64 =
  "SU9fRUxFTUVOVF9NU0M0Mzg4AwG0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PAAaMDFIWDlLMDBRMUg2S1BENDdFRzRHMVQzWEcAJGh0dHBzOi8vc3luYXBzZS1vaWRjLmxhYi5lbGVtZW50LmRldg";
/** matrix-rust-sdk branch poljar/qr-login/msc4388 msc_4388.rs `QR_CODE_DATA_BASE64`: u8 ID length. */
const RUST_SDK_BRANCH_ULID_BASE64 =
  "SU9fRUxFTUVOVF9NU0M0Mzg4AwG0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PBowMUhYOUswMFExSDZLUEQ0N0VHNEcxVDNYRwAkaHR0cHM6Ly9zeW5hcHNlLW9pZGMubGFiLmVsZW1lbnQuZGV2";

const MSC_KEY = "2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Ws";
const MSC_RENDEZVOUS_URL = "https://rendezvous.lab.element.dev/e8da6355-550b-4a32-a193-1619d9830668";
const MSC_ID = "e8da6355-550b-4a32-a193-1619d9830668";
const MSC_BASE_URL = "https://matrix-client.matrix.org";
const SYNAPSE_KEY = "tMs2dUFaUNY5Z6MVl93eY61kRXxC8Y0toDe6c/cvtzw";
const SYNAPSE_ULID = "01HX9K00Q1H6KPD47EG4G1T3XG";
const SYNAPSE_BASE_URL = "https://synapse-oidc.lab.element.dev";

function hexBytes(printed: string): Uint8Array {
  return fromHex(printed.replace(/\s+/g, ""));
}

/** A decoded value with its key as base64, so expectations read like the published examples. */
function readable(qr: LoginQr): Record<string, unknown> {
  return { ...qr, publicKey: encodeBase64(qr.publicKey) };
}

function expectProtocolError(bytes: Uint8Array, code: ProtocolErrorCode): ProtocolError {
  let caught: unknown;
  try {
    decodeLoginQr(bytes);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).code).toBe(code);
  return caught as ProtocolError;
}

const VECTORS: readonly {
  name: string;
  bytes: Uint8Array;
  length: number;
  expected: Record<string, unknown>;
}[] = [
  {
    name: "MSC4108 new-device example (mode 0x03, hex)",
    bytes: hexBytes(MSC4108_LOGIN_HEX),
    length: 113,
    expected: {
      version: "v2024",
      intent: "new_device",
      publicKey: MSC_KEY,
      rendezvousUrl: MSC_RENDEZVOUS_URL,
    },
  },
  {
    name: "crypto-wasm qr_code.test.js new-device example (mode 0x03, base64)",
    bytes: decodeBase64(MSC4108_LOGIN_BASE64),
    length: 113,
    expected: {
      version: "v2024",
      intent: "new_device",
      publicKey: MSC_KEY,
      rendezvousUrl: MSC_RENDEZVOUS_URL,
    },
  },
  {
    name: "MSC4108 existing-device example (mode 0x04, bare server name)",
    bytes: decodeBase64(MSC4108_RECIPROCATE_BASE64),
    length: 125,
    expected: {
      version: "v2024",
      intent: "existing_device",
      publicKey: MSC_KEY,
      rendezvousUrl: MSC_RENDEZVOUS_URL,
      serverName: "matrix.org",
    },
  },
  {
    name: "rust-sdk msc_4108.rs Synapse QR (mode 0x04, URL as server name)",
    bytes: decodeBase64(RUST_SDK_SYNAPSE_RECIPROCATE_BASE64),
    length: 171,
    expected: {
      version: "v2024",
      intent: "existing_device",
      publicKey: SYNAPSE_KEY,
      rendezvousUrl: `${SYNAPSE_BASE_URL}/_synapse/client/rendezvous/${SYNAPSE_ULID}`,
      serverName: `${SYNAPSE_BASE_URL}/`,
    },
  },
  ...[
    ["MSC4388 stable intent 0x00 (hex)", hexBytes(MSC4388_STABLE_LOGIN_HEX), "new_device"],
    ["MSC4388 stable intent 0x00 (base64)", decodeBase64(MSC4388_STABLE_LOGIN_BASE64), "new_device"],
    ["MSC4388 stable intent 0x01", decodeBase64(MSC4388_STABLE_RECIPROCATE_BASE64), "existing_device"],
  ].map(([name, bytes, intent]) => ({
    name: name as string,
    bytes: bytes as Uint8Array,
    length: 111,
    expected: {
      version: "v2025",
      intent,
      publicKey: MSC_KEY,
      rendezvousId: MSC_ID,
      baseUrl: MSC_BASE_URL,
      prefix: "MATRIX",
      idLength: "u8",
      baseUrlLength: "u16",
    },
  })),
  {
    name: "MSC4388 unstable example (u8 ID length)",
    bytes: decodeBase64(MSC4388_UNSTABLE_U8_ID_BASE64),
    length: 123,
    expected: {
      version: "v2025",
      intent: "existing_device",
      publicKey: MSC_KEY,
      rendezvousId: MSC_ID,
      baseUrl: MSC_BASE_URL,
      prefix: "IO_ELEMENT_MSC4388",
      idLength: "u8",
      baseUrlLength: "u16",
    },
  },
  {
    name: "rust-sdk main msc_4388.rs unstable example (u16 ID length)",
    bytes: decodeBase64(RUST_SDK_MAIN_U16_ID_BASE64),
    length: 124,
    expected: {
      version: "v2025",
      intent: "existing_device",
      publicKey: MSC_KEY,
      rendezvousId: MSC_ID,
      baseUrl: MSC_BASE_URL,
      prefix: "IO_ELEMENT_MSC4388",
      idLength: "u16",
      baseUrlLength: "u16",
    },
  },
  {
    name: "rust-sdk main msc_4388.rs ULID QR (u16 ID length)",
    bytes: decodeBase64(RUST_SDK_MAIN_ULID_BASE64),
    length: 118,
    expected: {
      version: "v2025",
      intent: "existing_device",
      publicKey: SYNAPSE_KEY,
      rendezvousId: SYNAPSE_ULID,
      baseUrl: SYNAPSE_BASE_URL,
      prefix: "IO_ELEMENT_MSC4388",
      idLength: "u16",
      baseUrlLength: "u16",
    },
  },
  {
    name: "rust-sdk branch poljar/qr-login/msc4388 ULID QR (u8 ID length)",
    bytes: decodeBase64(RUST_SDK_BRANCH_ULID_BASE64),
    length: 117,
    expected: {
      version: "v2025",
      intent: "existing_device",
      publicKey: SYNAPSE_KEY,
      rendezvousId: SYNAPSE_ULID,
      baseUrl: SYNAPSE_BASE_URL,
      prefix: "IO_ELEMENT_MSC4388",
      idLength: "u8",
      baseUrlLength: "u16",
    },
  },
];

describe("published sign-in QR vectors (MSC4108 @87f8317, MSC4388, matrix-rust-sdk, crypto-wasm)", () => {
  it("prints the same MSC example in hex and base64", () => {
    expect(hexBytes(MSC4108_LOGIN_HEX)).toEqual(decodeBase64(MSC4108_LOGIN_BASE64));
    expect(hexBytes(MSC4388_STABLE_LOGIN_HEX)).toEqual(decodeBase64(MSC4388_STABLE_LOGIN_BASE64));
  });

  it.each(VECTORS)("$name decodes to its published fields", ({ bytes, length, expected }) => {
    expect(bytes.length).toBe(length);
    expect(readable(decodeLoginQr(bytes))).toStrictEqual(expected);
  });

  it.each(VECTORS)("$name re-encodes to the same bytes", ({ bytes }) => {
    expect(encodeLoginQr(decodeLoginQr(bytes))).toEqual(bytes);
  });

  it("a v2024 new-device QR carries no server-name field at all", () => {
    expect(decodeLoginQr(decodeBase64(MSC4108_LOGIN_BASE64))).not.toHaveProperty("serverName");
  });
});

// --- Building raw QR bytes, valid or not, without our encoder ------------------------------------------------

const KEY = decodeBase64(MSC_KEY);

function u16(length: number): Uint8Array {
  return Uint8Array.of(length >> 8, length & 0xff);
}

function rawV2024(mode: number, url: Uint8Array, server?: Uint8Array, key = KEY): Uint8Array {
  const tail = server === undefined ? [] : [u16(server.length), server];
  return concatBytes(utf8("MATRIX"), Uint8Array.of(0x02, mode), key, u16(url.length), url, ...tail);
}

function rawV2025(fields: { prefix?: string; intent?: number; id: Uint8Array; url: Uint8Array }): Uint8Array {
  return concatBytes(
    utf8(fields.prefix ?? "IO_ELEMENT_MSC4388"),
    Uint8Array.of(0x03, fields.intent ?? 0x00),
    KEY,
    Uint8Array.of(fields.id.length),
    fields.id,
    u16(fields.url.length),
    fields.url,
  );
}

describe("which QR codes are sign-in QR codes", () => {
  // Spec "QR code format" for device verification: MATRIX 0x02 mode, u16 transaction-ID length, ID, two
  // 32-byte keys, shared secret.
  it.each([0x00, 0x01, 0x02])("a device-verification QR (mode 0x%s) is not a sign-in QR", (mode) => {
    const verification = concatBytes(
      utf8("MATRIX"),
      Uint8Array.of(0x02, mode),
      u16(10),
      utf8("T8KjT0Y2zQ"),
      KEY,
      KEY.slice().reverse(),
      utf8("shared-secret-16"),
    );
    expectProtocolError(verification, "not_a_login_qr");
  });

  it("a QR that holds a web address is not a sign-in QR", () => {
    expectProtocolError(utf8("https://matrix.to/#/@alice:example.org"), "not_a_login_qr");
  });

  it("an empty scan and a prefix cut short are not sign-in QRs", () => {
    expectProtocolError(new Uint8Array(0), "not_a_login_qr");
    expectProtocolError(utf8("MATRI"), "not_a_login_qr");
    expectProtocolError(utf8("IO_ELEMENT_MSC43"), "not_a_login_qr");
  });

  it("MATRIX version 0x01 is a Matrix QR of a version we do not speak", () => {
    const bytes = decodeBase64(MSC4108_LOGIN_BASE64);
    bytes[6] = 0x01;
    expectProtocolError(bytes, "unsupported_qr_version");
  });

  it("IO_ELEMENT_MSC4388 type 0x02 is a QR type we do not speak", () => {
    const bytes = decodeBase64(MSC4388_UNSTABLE_U8_ID_BASE64);
    bytes[18] = 0x02;
    expectProtocolError(bytes, "unsupported_qr_version");
  });

  it("MATRIX 0x02 with mode 0x05 is a broken sign-in QR", () => {
    expectProtocolError(rawV2024(0x05, utf8(MSC_RENDEZVOUS_URL)), "invalid_qr");
  });

  it.each([
    ["MATRIX", 0x02],
    ["IO_ELEMENT_MSC4388", 0x02],
    ["MATRIX", 0xff],
  ])("a %s QR with intent 0x%s is a broken sign-in QR", (prefix, intent) => {
    const bytes = rawV2025({ prefix, intent, id: utf8(MSC_ID), url: utf8(MSC_BASE_URL) });
    const error = expectProtocolError(bytes, "invalid_qr");
    expect(error.message).toMatch(/intent/);
  });
});

describe("broken sign-in QR codes are invalid_qr", () => {
  it.each(VECTORS)("$name cut short at every length", ({ bytes }) => {
    const prefixLength = bytes[0] === 0x4d ? "MATRIX".length : "IO_ELEMENT_MSC4388".length;
    for (let length = 0; length < bytes.length; length++) {
      expectProtocolError(bytes.slice(0, length), length < prefixLength ? "not_a_login_qr" : "invalid_qr");
    }
  });

  it.each(VECTORS)("$name with one trailing byte", ({ bytes }) => {
    for (const extra of [0x00, 0x2f, 0xff]) {
      expectProtocolError(concatBytes(bytes, Uint8Array.of(extra)), "invalid_qr");
    }
  });

  it("says how much was missing when the QR is cut inside the rendezvous URL", () => {
    const bytes = decodeBase64(MSC4108_LOGIN_BASE64).slice(0, 60);
    const error = expectProtocolError(bytes, "invalid_qr");
    expect(error.message).toBe("QR code is cut short: the rendezvous URL needs 71 bytes but only 18 remain");
  });

  it("names the u16 reading when a u16 rendezvous-ID length is cut inside the ID", () => {
    const bytes = decodeBase64(RUST_SDK_MAIN_U16_ID_BASE64).slice(0, 70);
    const error = expectProtocolError(bytes, "invalid_qr");
    expect(error.message).toBe("QR code is cut short: the rendezvous ID needs 36 bytes but only 16 remain");
  });

  it("bad UTF-8 in the rendezvous URL", () => {
    const url = utf8(MSC_RENDEZVOUS_URL);
    url[20] = 0xc3; // a lead byte followed by an ASCII byte
    const error = expectProtocolError(rawV2024(0x03, url), "invalid_qr");
    expect(error.message).toBe("QR code's rendezvous URL is not valid UTF-8");
  });

  it("bad UTF-8 in the base URL and in the server name", () => {
    const overlong = Uint8Array.of(0xc0, 0xaf); // an overlong "/": strict decoders refuse it
    const url = concatBytes(utf8("https://example.org"), overlong);
    expectProtocolError(rawV2025({ id: utf8(MSC_ID), url }), "invalid_qr");
    expectProtocolError(
      rawV2024(0x04, utf8(MSC_RENDEZVOUS_URL), concatBytes(utf8("matrix.org"), overlong)),
      "invalid_qr",
    );
  });

  it("a key of 31 bytes makes the rest of the QR unreadable", () => {
    expectProtocolError(rawV2024(0x03, utf8(MSC_RENDEZVOUS_URL), undefined, KEY.slice(0, 31)), "invalid_qr");
  });

  it.each([
    ["an ftp:// URL", "ftp://rendezvous.example.org/abc", "has scheme ftp: (expected http: or https:)"],
    ["a relative URL", "/_synapse/client/rendezvous/abc", "is not an absolute URL"],
    ["a URL with credentials", "https://alice:secret@rendezvous.example.org/abc", "contains credentials"],
    ["a URL with a space", "https://rendezvous.example.org/a b", "contains spaces"],
    ["a scheme without //", "https:rendezvous.example.org/abc", "does not start with"],
    ["a javascript: URL", "javascript:alert(1)", "has scheme javascript:"],
  ])("v2024 rendezvous URL: %s", (_label, url, problem) => {
    const error = expectProtocolError(rawV2024(0x03, utf8(url)), "invalid_qr");
    expect(error.message).toContain(`rendezvous URL ${problem}`);
    expect(error.message).not.toContain(url);
  });

  it.each([
    ["an ftp:// URL", "ftp://matrix-client.matrix.org"],
    ["a relative URL", "matrix-client.matrix.org"],
    ["a URL with credentials", "https://user@matrix-client.matrix.org"],
    ["a URL with empty user info", "https://@matrix-client.matrix.org"],
    ["a query", "https://matrix-client.matrix.org/?next=x"],
    ["an empty query", "https://matrix-client.matrix.org?"],
    ["a fragment", "https://matrix-client.matrix.org#x"],
  ])("v2025 base URL: %s", (_label, url) => {
    const error = expectProtocolError(rawV2025({ id: utf8(MSC_ID), url: utf8(url) }), "invalid_qr");
    expect(error.message).toMatch(/^QR code's base URL /);
  });

  it("an empty rendezvous ID (u16 length 0)", () => {
    const bytes = concatBytes(
      utf8("IO_ELEMENT_MSC4388"),
      Uint8Array.of(0x03, 0x00),
      KEY,
      u16(0),
      u16(MSC_BASE_URL.length),
      utf8(MSC_BASE_URL),
    );
    expect(expectProtocolError(bytes, "invalid_qr").message).toBe("QR code has an empty rendezvous ID");
  });

  it.each([
    ["a space", "e8da6355 550b"],
    ["a slash", "abc/def"],
    ["a non-ASCII letter", "rendezvous-é"],
  ])("a rendezvous ID with %s", (_label, id) => {
    const error = expectProtocolError(rawV2025({ id: utf8(id), url: utf8(MSC_BASE_URL) }), "invalid_qr");
    expect(error.message).toBe("QR code's rendezvous ID contains a character outside 0-9 A-Z a-z . _ ~ -");
  });

  it.each([
    ["a path", "matrix.org/path"],
    ["a port that is not a number", "matrix.org:http"],
    ["an underscore", "matrix_org"],
    ["an ftp URL", "ftp://matrix.org"],
    ["an unclosed IPv6 literal", "[2001:db8::1"],
  ])("a v2024 server name with %s", (_label, server) => {
    const error = expectProtocolError(rawV2024(0x04, utf8(MSC_RENDEZVOUS_URL), utf8(server)), "invalid_qr");
    expect(error.message).toMatch(/^QR code's server name is neither/);
  });

  it("an empty v2024 server name", () => {
    expectProtocolError(rawV2024(0x04, utf8(MSC_RENDEZVOUS_URL), new Uint8Array(0)), "invalid_qr");
  });
});

describe("what a sign-in QR may carry", () => {
  it.each([
    "matrix.org",
    "localhost:8448",
    "192.0.2.10",
    "192.0.2.10:8008",
    "[2001:db8::1]",
    "[::1]:8448",
    "https://matrix-client.matrix.org/",
    "http://localhost:8008",
  ])("v2024 server name %s (bare name or URL, docs/protocol.md §1.1)", (server) => {
    const bytes = rawV2024(0x04, utf8(MSC_RENDEZVOUS_URL), utf8(server));
    const qr = decodeLoginQr(bytes);
    expect(qr).toMatchObject({ version: "v2024", intent: "existing_device", serverName: server });
    expect(encodeLoginQr(qr)).toEqual(bytes);
  });

  it("a v2025 base URL longer than 255 bytes keeps its u16 length even when its first length byte is not 0", () => {
    const url = `https://matrix.example.org/${"a".repeat(300)}`;
    const bytes = rawV2025({ id: utf8(MSC_ID), url: utf8(url) });
    const qr = decodeLoginQr(bytes);
    expect(qr).toMatchObject({ baseUrl: url, idLength: "u8", baseUrlLength: "u16" });
    expect(encodeLoginQr(qr)).toEqual(bytes);
  });

  it("a non-ASCII rendezvous URL is kept exactly as written", () => {
    const url = "https://rendezvous.exämple.org/sessions/ü";
    const bytes = rawV2024(0x03, utf8(url));
    expect(decodeLoginQr(bytes)).toMatchObject({ rendezvousUrl: url });
    expect(encodeLoginQr(decodeLoginQr(bytes))).toEqual(bytes);
  });

  it("the decoded key is a copy, not a view into the scanned bytes", () => {
    const bytes = decodeBase64(MSC4108_LOGIN_BASE64);
    const qr = decodeLoginQr(bytes);
    bytes.fill(0);
    expect(encodeBase64(qr.publicKey)).toBe(MSC_KEY);
  });
});

describe("building a new v2025 QR", () => {
  it("defaults to the unstable prefix and our profile's u8 lengths", () => {
    const qr = newV2025LoginQr({
      intent: "new_device",
      publicKey: KEY,
      rendezvousId: MSC_ID,
      baseUrl: MSC_BASE_URL,
    });
    expect(qr).toMatchObject({ prefix: "IO_ELEMENT_MSC4388", idLength: "u8", baseUrlLength: "u8" });
    const expected = concatBytes(
      utf8("IO_ELEMENT_MSC4388"),
      Uint8Array.of(0x03, 0x00),
      KEY,
      Uint8Array.of(MSC_ID.length),
      utf8(MSC_ID),
      Uint8Array.of(MSC_BASE_URL.length),
      utf8(MSC_BASE_URL),
    );
    expect(encodeLoginQr(qr)).toEqual(expected);
    expect(decodeLoginQr(expected)).toStrictEqual(qr);
  });

  it("writes the MSC's stable example when asked for its prefix and widths", () => {
    const qr = newV2025LoginQr({
      intent: "existing_device",
      publicKey: KEY,
      rendezvousId: MSC_ID,
      baseUrl: MSC_BASE_URL,
      prefix: "MATRIX",
      idLength: "u8",
      baseUrlLength: "u16",
    });
    expect(encodeLoginQr(qr)).toEqual(decodeBase64(MSC4388_STABLE_RECIPROCATE_BASE64));
  });

  it("refuses fields that would not decode", () => {
    const fields = {
      intent: "new_device",
      publicKey: KEY,
      rendezvousId: MSC_ID,
      baseUrl: MSC_BASE_URL,
    } as const;
    expect(() => newV2025LoginQr({ ...fields, rendezvousId: "" })).toThrow(TypeError);
    expect(() => newV2025LoginQr({ ...fields, rendezvousId: "has space" })).toThrow(TypeError);
    expect(() => newV2025LoginQr({ ...fields, baseUrl: "matrix.org" })).toThrow(TypeError);
    expect(() => newV2025LoginQr({ ...fields, publicKey: KEY.slice(1) })).toThrow(TypeError);
  });
});

describe("encoding refuses values that would not decode (programming errors)", () => {
  const login: V2024LoginQr = {
    version: "v2024",
    intent: "new_device",
    publicKey: KEY,
    rendezvousUrl: MSC_RENDEZVOUS_URL,
  };

  it.each<[string, LoginQr]>([
    ["a v2024 new-device QR with a server name", { ...login, serverName: "matrix.org" }],
    ["a v2024 existing-device QR without a server name", { ...login, intent: "existing_device" }],
    ["a 31-byte key", { ...login, publicKey: KEY.slice(1) }],
    ["a 33-byte key", { ...login, publicKey: concatBytes(KEY, Uint8Array.of(0)) }],
    ["an ftp rendezvous URL", { ...login, rendezvousUrl: "ftp://example.org/x" }],
    ["a lone surrogate in the URL", { ...login, rendezvousUrl: "https://example.org/\uD800" }],
    ["a bad server name", { ...login, intent: "existing_device", serverName: "not a server" }],
    [
      "a 256-byte base URL with a u8 length",
      {
        version: "v2025",
        intent: "new_device",
        publicKey: KEY,
        rendezvousId: MSC_ID,
        baseUrl: `https://example.org/${"a".repeat(256 - 20)}`,
        prefix: "IO_ELEMENT_MSC4388",
        idLength: "u8",
        baseUrlLength: "u8",
      },
    ],
    [
      "a 256-character rendezvous ID",
      {
        version: "v2025",
        intent: "new_device",
        publicKey: KEY,
        rendezvousId: "a".repeat(256),
        baseUrl: MSC_BASE_URL,
        prefix: "MATRIX",
        idLength: "u16",
        baseUrlLength: "u16",
      },
    ],
  ])("%s", (_label, qr) => {
    expect(() => encodeLoginQr(qr)).toThrow(TypeError);
  });

  it("a 255-byte base URL still fits a u8 length", () => {
    const baseUrl = `https://example.org/${"a".repeat(255 - 20)}`;
    const qr = newV2025LoginQr({ intent: "new_device", publicKey: KEY, rendezvousId: MSC_ID, baseUrl });
    expect(decodeLoginQr(encodeLoginQr(qr))).toStrictEqual(qr);
  });
});
