// Canonical JSON and JSON signatures against the Matrix spec's own examples (appendices "Canonical JSON" and
// "JSON signing" test vectors): the verifier every key endpoint uses stands on these.
import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  decodeBase64,
  encodeUnpaddedBase64,
  isEd25519PublicKey,
  signedContent,
  verifyJsonSignature,
} from "./signing";

describe("canonical JSON, spec appendix examples", () => {
  it.each([
    ["{}", "{}"],
    ['{"one": 1, "two": "Two"}', '{"one":1,"two":"Two"}'],
    ['{"b": "2", "a": "1"}', '{"a":"1","b":"2"}'],
    ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
    [
      '{"auth": {"success": true, "mxid": "@john.doe:example.com", "profile": {"display_name": "John Doe", ' +
        '"three_pids": [{"medium": "email", "address": "john.doe@example.org"}, ' +
        '{"medium": "msisdn", "address": "123456789"}]}}}',
      '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":' +
        '[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},' +
        '"success":true}}',
    ],
    ['{"a": "日本語"}', '{"a":"日本語"}'],
    ['{"本": 2, "日": 1}', '{"日":1,"本":2}'],
    ['{"a": "\\u65E5"}', '{"a":"日"}'],
    ['{"a": null}', '{"a":null}'],
    ['{"a": -0, "b": 1e10}', '{"a":0,"b":10000000000}'],
  ])("%s", (input, expected) => {
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });

  it("sorts keys by code point, where UTF-16 order differs (U+FFFF before U+10000)", () => {
    expect(canonicalJson({ "\u{10000}": 2, "\uffff": 1 })).toBe('{"\uffff":1,"\u{10000}":2}');
  });

  it("refuses numbers canonical JSON has no encoding for", () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(TypeError);
    expect(() => canonicalJson({ a: 2 ** 53 })).toThrow(TypeError);
  });
});

describe("JSON signatures, spec appendix test vectors", () => {
  // SIGNING_KEY_SEED, key ID "ed25519:1", entity "domain".
  const seed = decodeBase64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1") ?? new Uint8Array();
  const publicKey = encodeUnpaddedBase64(ed25519.getPublicKey(seed));

  it.each([
    [{}, "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"],
    [
      { one: 1, two: "Two" },
      "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
    ],
  ])("%j is signed as the spec says, and verifies", (object, signature) => {
    const message = new TextEncoder().encode(signedContent(object));
    expect(encodeUnpaddedBase64(ed25519.sign(message, seed))).toBe(signature);
    const signed = { ...object, signatures: { domain: { "ed25519:1": signature } }, unsigned: { age_ts: 1 } };
    expect(verifyJsonSignature(signed, "domain", "ed25519:1", publicKey)).toBe(true);
  });

  const signed = {
    one: 1,
    two: "Two",
    signatures: {
      domain: {
        "ed25519:1": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
      },
    },
  };

  it("fails for changed content, another signer or key ID, and another public key", () => {
    expect(verifyJsonSignature({ ...signed, two: "2" }, "domain", "ed25519:1", publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, "other", "ed25519:1", publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, "domain", "ed25519:2", publicKey)).toBe(false);
    const otherKey = encodeUnpaddedBase64(ed25519.getPublicKey(new Uint8Array(32)));
    expect(verifyJsonSignature(signed, "domain", "ed25519:1", otherKey)).toBe(false);
  });

  it("fails, without throwing, for malformed signatures and keys", () => {
    const withSignature = (value: unknown) => ({ ...signed, signatures: { domain: { "ed25519:1": value } } });
    expect(verifyJsonSignature(withSignature("not base64!"), "domain", "ed25519:1", publicKey)).toBe(false);
    expect(verifyJsonSignature(withSignature("AAAA"), "domain", "ed25519:1", publicKey)).toBe(false);
    expect(verifyJsonSignature(withSignature(42), "domain", "ed25519:1", publicKey)).toBe(false);
    expect(verifyJsonSignature({ one: 1 }, "domain", "ed25519:1", publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, "domain", "ed25519:1", "AAAA")).toBe(false);
    expect(verifyJsonSignature({ ...signed, x: 0.5 }, "domain", "ed25519:1", publicKey)).toBe(false);
  });

  it("accepts padded base64 as well as unpadded", () => {
    const padded = withPadding(signed.signatures.domain["ed25519:1"]);
    const withPadded = { ...signed, signatures: { domain: { "ed25519:1": padded } } };
    expect(verifyJsonSignature(withPadded, "domain", "ed25519:1", withPadding(publicKey))).toBe(true);
  });

  it("knows an Ed25519 public key from 32 bytes that are not a curve point", () => {
    expect(isEd25519PublicKey(publicKey)).toBe(true);
    // y = 2 has no x on edwards25519.
    expect(isEd25519PublicKey(encodeUnpaddedBase64(new Uint8Array([2, ...new Uint8Array(31)])))).toBe(false);
    expect(isEd25519PublicKey("AAAA")).toBe(false);
  });
});

function withPadding(base64: string): string {
  return base64.padEnd(Math.ceil(base64.length / 4) * 4, "=");
}
