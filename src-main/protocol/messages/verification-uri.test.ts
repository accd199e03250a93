// The existing device opens the new device's `verification_uri(_complete)` in a browser where the user is
// signed in to their account: only a page of the account's own OAuth server may be opened.
import { describe, expect, it } from "vitest";
import { checkVerificationUri, type VerificationUriContext } from "./verification-uri";

const MAS: VerificationUriContext = {
  issuer: "https://account.example.org/",
  deviceAuthorizationEndpoint: "https://account.example.org/oauth2/device",
};
const TUWUNEL: VerificationUriContext = {
  issuer: "https://hs.example.org",
  deviceAuthorizationEndpoint: "https://auth.hs.example.org/_tuwunel/oidc/device_authorization",
};
const DEVSERVER: VerificationUriContext = {
  issuer: "http://127.0.0.1:8008/oauth2/",
  deviceAuthorizationEndpoint: "http://127.0.0.1:8008/oauth2/device",
  allowInsecureLoopback: true,
};

describe("checkVerificationUri (before the existing device opens a browser)", () => {
  it.each([
    ["MAS's /link", "https://account.example.org/link", MAS],
    ["MAS's /link with the user code filled in", "https://account.example.org/link?code=ABC123", MAS],
    ["the issuer's origin with an explicit default port", "https://account.example.org:443/link", MAS],
    [
      "a page on the device authorization endpoint's origin",
      "https://auth.hs.example.org/device?user_code=X",
      TUWUNEL,
    ],
    ["the devserver over loopback http, when allowed", "http://127.0.0.1:8008/device", DEVSERVER],
  ])("opens %s", (_label, uri, context) => {
    expect(checkVerificationUri(uri, context)).toEqual({ ok: true, url: new URL(uri).href });
  });

  it.each([
    ["a relative path", "/link", MAS, "not_a_url"],
    ["a javascript: URL", "javascript:alert(document.cookie)", MAS, "not_a_url"],
    ["a file: URL", "file:///etc/passwd", MAS, "not_a_url"],
    ["a URL with credentials", "https://account.example.org@evil.example/link", MAS, "not_a_url"],
    ["a URL with a newline smuggled in", "https://account.example.org/li\nnk", MAS, "not_a_url"],
    ["plain http on the issuer's host", "http://account.example.org/link", MAS, "insecure_scheme"],
    [
      "plain http to loopback without allowInsecureLoopback",
      "http://127.0.0.1:8008/device",
      { ...DEVSERVER, allowInsecureLoopback: false },
      "insecure_scheme",
    ],
    [
      "plain http to a non-loopback host even when loopback is allowed",
      "http://10.0.0.8:8008/device",
      DEVSERVER,
      "insecure_scheme",
    ],
    ["another host", "https://evil.example/link", MAS, "foreign_origin"],
    ["a subdomain of the issuer", "https://login.account.example.org/link", MAS, "foreign_origin"],
    ["another port on the issuer's host", "https://account.example.org:8443/link", MAS, "foreign_origin"],
    ["a look-alike host", "https://account.example.org.evil.example/link", MAS, "foreign_origin"],
  ] as const)("refuses %s: %s", (_label, uri, context, reason) => {
    expect(checkVerificationUri(uri, context)).toEqual({ ok: false, reason });
  });

  it("treats localhost and [::1] as loopback too", () => {
    const context: VerificationUriContext = {
      issuer: "http://localhost:8008/",
      deviceAuthorizationEndpoint: "http://[::1]:8008/device",
      allowInsecureLoopback: true,
    };
    expect(checkVerificationUri("http://localhost:8008/link", context).ok).toBe(true);
    expect(checkVerificationUri("http://[::1]:8008/link", context).ok).toBe(true);
  });

  it("matches nothing when the account's own OAuth URLs do not parse", () => {
    const broken: VerificationUriContext = { issuer: "not a url", deviceAuthorizationEndpoint: "" };
    expect(checkVerificationUri("https://account.example.org/link", broken)).toEqual({
      ok: false,
      reason: "foreign_origin",
    });
  });
});
