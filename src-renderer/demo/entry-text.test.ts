// How the demo shortens what it shows: public keys as 8-character fingerprints (in paths too, where a device
// ID is a Curve25519 key), ETags and sequence tokens left alone by that rule, short paths for the diagram and the
// list, and every entry rebuilt by the transcript's own rules on its way in.
import { describe, expect, it } from "vitest";
import { fingerprint, type TranscriptEntry } from "../../src-shared/transcript";
import {
  compactPath,
  displayPath,
  sanitised,
  shortPath,
  shortToken,
  withKeyFingerprints,
  type TranscriptItem,
} from "./entry-text";

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const keyBase64 = btoa(String.fromCharCode(...KEY)).replace(/=+$/, "");

describe("the demo's short forms", () => {
  it("show a 32-byte key as its fingerprint, in text and in a percent-encoded path", () => {
    const print = fingerprint(KEY);
    expect(print).toHaveLength(8);
    expect(withKeyFingerprints(`signed by ${keyBase64} today`)).toBe(`signed by ${print}… today`);
    const path = `/_matrix/client/v3/devices/${encodeURIComponent(keyBase64)}`;
    expect(displayPath(path)).toBe(`/_matrix/client/v3/devices/${print}…`);
    expect(shortPath("matrix", path)).toBe(`devices/${print}…`);
    // Not a key: 42 characters, or not base64.
    expect(withKeyFingerprints(keyBase64.slice(1))).toBe(keyBase64.slice(1));
    expect(displayPath("/_matrix/client/v3/devices/QWERTYUIOP")).toBe(
      "/_matrix/client/v3/devices/QWERTYUIOP",
    );
  });

  it("shorten paths for the diagram and the list, and tokens for labels", () => {
    expect(shortPath("rendezvous", "/_synapse/client/rendezvous/01JVQ8ABCDEFGHJKMNPQRSTVWX")).toBe(
      "rendezvous",
    );
    expect(shortPath("matrix", "/_matrix/client/versions")).toBe("versions");
    expect(shortPath("oauth", "/_matrix/client/v1/auth_metadata")).toBe("auth_metadata");
    expect(shortPath("oauth", "/oauth2/token")).toBe("/oauth2/token");
    expect(compactPath("/_synapse/client/rendezvous/01JVQ8ABCDEFGHJKMNPQRSTVWX")).toBe(
      "…/rendezvous/01JVQ8ABCD…",
    );
    expect(compactPath("/oauth2/token")).toBe("/oauth2/token");
    expect(shortToken('"Jq3xK9vLmN0pQrSt"')).toBe('"Jq3xK9vL…"');
    expect(shortToken("abc")).toBe("abc");
  });

  it("rebuild each entry by the transcript's rules, whoever made it", () => {
    const leaky = {
      kind: "http",
      time: 1,
      layer: "matrix",
      method: "GET",
      path: "/_matrix/client/v3/devices/syt_YWxpY2U_SECRETVALUE1",
      error: "Bearer mat_SECRETVALUE2 refused",
    } satisfies TranscriptEntry as TranscriptItem;
    const clean = sanitised(leaky);
    expect(JSON.stringify(clean)).not.toContain("SECRETVALUE");
    expect(sanitised(leaky)).toBe(clean);
  });
});
