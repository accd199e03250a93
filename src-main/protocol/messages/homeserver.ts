// How login messages name a homeserver. v2024 `m.login.protocols.homeserver` is a "server name" in the MSC
// but an absolute URL from rust-sdk/Element X (`https://…/`) and a server name from matrix-js-sdk
// (`matrix.org`); v2025 `base_url` and every other URL field must be absolute http(s) URLs, because rust-sdk
// parses them with `Url::parse` (PROTOCOL.md §1.1, §4.1).

// WHATWG URL parsing (which rust-url follows) silently strips these; a URL that only parses after stripping is
// not one we want to show a user or hand to a browser.
function hasWhitespaceOrControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** An absolute `http:` or `https:` URL with a host and no user info. */
export function isAbsoluteHttpUrl(value: string): boolean {
  if (hasWhitespaceOrControl(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    (url.protocol === "https:" || url.protocol === "http:") &&
    url.hostname !== "" &&
    url.username === "" &&
    url.password === ""
  );
}

// Matrix spec appendix "Server name": hostname [":" port], hostname = IPv4 / "[" IPv6 "]" / dns-name
// (1*255 of ALPHA, DIGIT, "-", "."), port = 1*5DIGIT.
const SERVER_NAME = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,255})(?::[0-9]{1,5})?$/;

/** A Matrix server name such as `matrix.org` or `example.com:8448`. */
export function isServerName(value: string): boolean {
  return SERVER_NAME.test(value);
}

export type HomeserverLocator =
  | { readonly kind: "base_url"; readonly baseUrl: string }
  | { readonly kind: "server_name"; readonly serverName: string };

/**
 * Tells the flow how to reach the homeserver named in `m.login.protocols`: use a URL as the base URL, resolve a
 * server name through `.well-known` (what Element Web's `resolveServerURLs` does with the same field).
 */
export function classifyHomeserver(homeserver: string): HomeserverLocator {
  return isAbsoluteHttpUrl(homeserver)
    ? { kind: "base_url", baseUrl: homeserver }
    : { kind: "server_name", serverName: homeserver };
}
