// The grammars of grammar.ts, and the guarantee that every part of the protocol core applies the same one:
// a URL the QR codec refuses is refused by the login-message schemas too, and the other way round.
import { describe, expect, it } from "vitest";
import { concatBytes, utf8 } from "./bytes";
import { ProtocolError } from "./errors";
import {
  baseUrlProblem,
  deviceIdProblem,
  httpUrlProblem,
  isDeviceId,
  isAbsoluteHttpUrl,
  isLoopbackHostname,
  isOpaqueId,
  isServerName,
  opaqueIdProblem,
  serverNameOrUrlProblem,
} from "./grammar";
import { parseLoginMessage } from "./messages";
import { decodeLoginQr } from "./qr/codec";
import { apiUrl } from "./rendezvous/urls";

/** A v2024 new-device QR whose rendezvous URL is `url`, written without our encoder. */
function qrWithRendezvousUrl(url: string): Uint8Array {
  const bytes = utf8(url);
  return concatBytes(
    utf8("MATRIX"),
    Uint8Array.of(0x02, 0x03),
    new Uint8Array(32).fill(9),
    Uint8Array.of(bytes.length >> 8, bytes.length & 0xff),
    bytes,
  );
}

function accepts(action: () => unknown): boolean {
  try {
    action();
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return false;
  }
}

describe("absolute http(s) URLs", () => {
  it.each([
    ["https://matrix-client.matrix.org", true],
    ["https://matrix-client.matrix.org/", true],
    ["http://127.0.0.1:8008/_matrix", true],
    ["HTTPS://Matrix.Example.ORG/", true],
    ["https://hs.example/a?b=c#d", true],
    ["https://@hs.example/", false],
    ["https:matrix.org", false],
    ["https://hs.example\\path", false],
    ["https://hs.example/a b", false],
    ["https://hs.example/\ttab", false],
    ["https://alice:pw@hs.example/", false],
    ["ftp://hs.example/", false],
    ["javascript:alert(1)", false],
    ["matrix.org", false],
    ["", false],
  ])("%j: %s, the same in the QR codec and in the device grant's URL fields", (text, valid) => {
    expect(isAbsoluteHttpUrl(text)).toBe(valid);
    expect(httpUrlProblem(text) === undefined).toBe(valid);
    expect(accepts(() => decodeLoginQr(qrWithRendezvousUrl(text)))).toBe(valid);
    const complete = {
      type: "m.login.protocol",
      protocol: "device_authorization_grant",
      device_authorization_grant: {
        verification_uri: "https://auth.example/",
        verification_uri_complete: text,
      },
      device_id: "ABCDEFGHIJ",
    };
    expect(accepts(() => parseLoginMessage(JSON.stringify(complete), "v2025"))).toBe(valid);
    const protocol = {
      type: "m.login.protocol",
      protocol: "device_authorization_grant",
      device_authorization_grant: { verification_uri: text },
      device_id: "ABCDEFGHIJ",
    };
    expect(accepts(() => parseLoginMessage(JSON.stringify(protocol), "v2024"))).toBe(valid);
  });

  it.each([
    ["https://matrix-client.matrix.org", true],
    ["https://matrix-client.matrix.org/", true],
    ["https://hs.example/_matrix/prefix/", true],
    ["http://127.0.0.1:8008", true],
    ["https://hs.example/?", false],
    ["https://hs.example/?a=b", false],
    ["https://hs.example#", false],
    ["https://hs.example/#frag", false],
    ["https://user@hs.example", false],
    ["https://@hs.example", false],
    ["https://user:pw@hs.example", false],
    ["matrix.org", false],
  ])("base URL %j: %s, the same in the v2025 QR, in m.login.protocols and for API paths", (text, valid) => {
    expect(baseUrlProblem(text) === undefined).toBe(valid);
    const qr = concatBytes(
      utf8("IO_ELEMENT_MSC4388"),
      Uint8Array.of(0x03, 0x00),
      new Uint8Array(32).fill(9),
      Uint8Array.of(2),
      utf8("ID"),
      Uint8Array.of(utf8(text).length),
      utf8(text),
    );
    expect(accepts(() => decodeLoginQr(qr))).toBe(valid);
    const protocols = { type: "m.login.protocols", protocols: [], base_url: text };
    expect(accepts(() => parseLoginMessage(JSON.stringify(protocols), "v2025"))).toBe(valid);
    const v2024 = { type: "m.login.protocols", protocols: ["x"], homeserver: text };
    expect(accepts(() => parseLoginMessage(JSON.stringify(v2024), "v2024"))).toBe(
      valid || isServerName(text),
    );
    let joined = true;
    try {
      apiUrl(text, "/x");
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      joined = false;
    }
    expect(joined).toBe(valid);
  });

  it("names what is wrong without repeating the text", () => {
    const text = "https://alice:hunter2@hs.example/";
    const problem = httpUrlProblem(text) ?? "";
    expect(problem).toContain("credentials");
    expect(problem).not.toContain("hunter2");
  });
});

describe("Matrix server names (spec appendices)", () => {
  it.each(["matrix.org", "example.com:8448", "10.0.0.1", "[::1]:8008", "[2001:db8::1]", "localhost"])(
    "%s is a server name",
    (text) => {
      expect(isServerName(text)).toBe(true);
      expect(serverNameOrUrlProblem(text)).toBeUndefined();
    },
  );

  it.each(["matrix org", "matrix_org", "matrix.org/path", "matrix.org:http", "[2001:db8::1", ""])(
    "%j is not",
    (text) => {
      expect(isServerName(text)).toBe(false);
      expect(serverNameOrUrlProblem(text)).toBeDefined();
    },
  );

  it("v2024's homeserver fields take a URL too", () => {
    expect(serverNameOrUrlProblem("https://matrix-client.matrix.org/")).toBeUndefined();
  });
});

describe("opaque identifiers (spec appendices)", () => {
  it("allows 1 to 255 of 0-9 A-Z a-z . _ ~ -", () => {
    expect(isOpaqueId("01HX9K00Q1H6KPD47EG4G1T3XG")).toBe(true);
    expect(isOpaqueId("a.b_c~d-e")).toBe(true);
    expect(isOpaqueId("x".repeat(255))).toBe(true);
  });

  it.each([
    ["", "is empty"],
    ["x".repeat(256), "at most 255"],
    ["a/b", "outside"],
    ["a b", "outside"],
    ["é", "outside"],
  ])("refuses %j", (text, problem) => {
    expect(isOpaqueId(text)).toBe(false);
    expect(opaqueIdProblem(text)).toContain(problem);
  });
});

describe("device IDs (MAS's authorization-grant policy, capped at 255)", () => {
  it.each([
    "QdZkLm3XpA",
    "wjLpTLRqbqBzLs63aYaEv2Boi6cFEbbM/sSRQ2oAKk4",
    "AZaz09._~!$&'()*+,;=:@/-",
    "D".repeat(255),
  ])("%s is a device ID", (text) => {
    expect(isDeviceId(text)).toBe(true);
    expect(deviceIdProblem(text)).toBeUndefined();
  });

  it.each([
    ["", "is empty"],
    ["ABCDEFGHI", "is 9 characters long"],
    ["D".repeat(256), "is 256 characters long"],
    ["ABCDE FGHIJ", "outside"],
    ["ABCDEFGHIJ%", "outside"],
    ["ABCDEFGHIJ?", "outside"],
    ["ABCDEFGHIJ#", "outside"],
    ["ABCDEFGHIé", "outside"],
    ["../../_matrix/client/v3/keys/query", 'has a "." or ".." segment'],
    ["ABCDEFGHIJ/..", 'has a "." or ".." segment'],
    ["./ABCDEFGHIJ", 'has a "." or ".." segment'],
    ["ABCDE/./FGHIJ", 'has a "." or ".." segment'],
  ])("refuses %j", (text, problem) => {
    expect(isDeviceId(text)).toBe(false);
    expect(deviceIdProblem(text)).toContain(problem);
  });

  it.each(["...........", "ABCDEFGHIJ/...", "a.b/c..d/.e/f.", "ABCDEFGHIJ//x"])(
    "%s has dots, but no dot segment: a device ID",
    (text) => {
      expect(isDeviceId(text)).toBe(true);
    },
  );
});

describe("loopback hosts (the only ones plain http may reach, for a local development server)", () => {
  it.each(["localhost", "127.0.0.1", "127.255.0.9", "[::1]"])("%s is this machine", (hostname) => {
    expect(isLoopbackHostname(hostname)).toBe(true);
  });

  it.each([
    "192.168.1.20",
    "10.0.0.1",
    "0.0.0.0",
    "[::ffff:7f00:1]",
    "localhost.example.org",
    "127.0.0.1.example.org",
    "matrix.org",
  ])("%s is not", (hostname) => {
    expect(isLoopbackHostname(hostname)).toBe(false);
  });

  it("is read off URL.hostname, which writes every IPv4 spelling as dotted decimal", () => {
    expect(isLoopbackHostname(new URL("http://127.1:8008/").hostname)).toBe(true);
    expect(isLoopbackHostname(new URL("http://0x7f.0.0.1/").hostname)).toBe(true);
    expect(isLoopbackHostname(new URL("http://LocalHost/").hostname)).toBe(true);
  });
});
