// The text grammars of the protocol core, in one place so that the QR codec, the login-message schemas and the
// rendezvous clients can never disagree about what a URL, a server name or an identifier is. Every check
// returns what is wrong in plain words, or undefined, and never repeats the text (it comes from outside and may
// be long, hostile or secret). Callers turn a complaint into their own error: `invalid_qr`, `invalid_message`,
// `invalid_response`, or a TypeError when the text came from our own code.

/**
 * An absolute http: or https: URL (v2024 rendezvous URL, v2025 base URL, URL fields of login messages). The
 * WHATWG parser is lenient (it drops tabs, turns "\" into "/", reads "https:host" as "https://host"); rust-url
 * and other peers may not be, so only what a URL serialiser would write is accepted. Credentials are refused:
 * nothing legitimate puts them in a QR code or a login message, and they would leak to whoever reads it.
 */
export function httpUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "is not an absolute URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    const got = url.protocol.length <= 16 ? url.protocol : "another scheme";
    return `has scheme ${got} (expected http: or https:)`;
  }
  if (!/^https?:\/\//i.test(text)) return 'does not start with "http://" or "https://"';
  if (hasSpaceControlOrBackslash(text)) return "contains spaces, control characters or backslashes";
  // The authority as written, not as parsed: the parser drops an empty user info ("https://@host").
  const authority = /^https?:\/\/([^/?#]*)/i.exec(text)?.[1] ?? "";
  if (authority.includes("@")) return "contains credentials (user info before an @)";
  return undefined;
}

export function isAbsoluteHttpUrl(text: string): boolean {
  return httpUrlProblem(text) === undefined;
}

/**
 * A homeserver's client-server API base URL (v2025 QR base URL, `m.login.protocols` base URL or homeserver
 * URL): an absolute http(s) URL that is only scheme, host, port and path. API paths are appended to it, so a
 * query or fragment would end up in the middle of every request URL, and the v2025 AAD binds its exact bytes.
 */
export function baseUrlProblem(text: string): string | undefined {
  const problem = httpUrlProblem(text);
  if (problem !== undefined) return problem;
  if (text.includes("?")) return "has a query (a base URL is scheme, host and path only)";
  if (text.includes("#")) return "has a fragment (a base URL is scheme, host and path only)";
  return undefined;
}

export function isBaseUrl(text: string): boolean {
  return baseUrlProblem(text) === undefined;
}

function hasSpaceControlOrBackslash(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

/**
 * Matrix spec, appendices, "Server name": hostname [":" port], hostname = IPv4address / "[" IPv6address "]" /
 * dns-name (1*255 of ALPHA, DIGIT, "-", "."), port = 1*5DIGIT. The grammar is syntactic only, and so is this
 * pattern (an IPv4 address is also a dns-name here, as in the spec's grammar).
 */
export const SERVER_NAME = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[0-9A-Za-z.-]{1,255})(?::[0-9]{1,5})?$/;

export function isServerName(text: string): boolean {
  return SERVER_NAME.test(text);
}

/**
 * v2024's homeserver fields (the mode-0x04 QR "server name", `m.login.protocols.homeserver` on reading): the MSC
 * says a server name, rust-sdk writes the homeserver URL and matrix-js-sdk the server name (docs/protocol.md §1),
 * so either form is accepted.
 */
export function serverNameOrUrlProblem(text: string): string | undefined {
  if (isBaseUrl(text) || isServerName(text)) return undefined;
  return "is neither a base URL (absolute http(s), no query or fragment) nor a server name (host name, IPv4 or [IPv6], optional :port)";
}

/**
 * Matrix spec, appendices, "Opaque identifiers": what MSC4388 requires of rendezvous IDs and transaction IDs, and
 * what we require of a peer's `backup_version` (it goes into `/room_keys/version/{version}`).
 */
export const OPAQUE_ID = /^[0-9A-Za-z._~-]{1,255}$/;

export function opaqueIdProblem(text: string): string | undefined {
  if (text.length === 0) return "is empty";
  if (text.length > 255) return `is ${text.length} characters long (at most 255 allowed)`;
  if (!OPAQUE_ID.test(text)) return "contains a character outside 0-9 A-Z a-z . _ ~ -";
  return undefined;
}

export function isOpaqueId(text: string): boolean {
  return OPAQUE_ID.test(text);
}

/**
 * The device ID a new device asks for in `m.login.protocol` (MSC4108), which ends up in the device scope
 * `urn:matrix:client:device:<id>` and in the existing device's `GET /devices/{id}`. MAS's policy
 * (`policies/authorization_grant.rego`, docs/protocol.md §6): at least 10 of RFC 3986 unreserved, sub-delims, ":",
 * "@" and "/". rust-sdk's IDs (unpadded base64 of a Curve25519 key, 43 characters with "+" and "/") and
 * js-sdk's (10 random alphanumerics) fit. The 255 cap is ours: a peer must not make us carry, log or put into a
 * URL an unbounded string.
 *
 * This pattern is the character and length rule only; `isDeviceId` and `deviceIdProblem` also refuse an ID with a
 * "." or ".." segment between its slashes (`../../_matrix/...`): such an ID names a path, not a device, wherever
 * it is put into a URL, and no client generates one.
 */
export const DEVICE_ID = /^[A-Za-z0-9._~!$&'()*+,;=:@/-]{10,255}$/;

const DEVICE_ID_CHARACTER = /^[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/;

/** Whether `/`-separated `text` has a segment that URL parsers read as "this level" or "one level up". */
export function hasDotSegment(text: string): boolean {
  return text.split("/").some((segment) => segment === "." || segment === "..");
}

export function deviceIdProblem(text: string): string | undefined {
  if (text.length === 0) return "is empty";
  if (text.length < 10 || text.length > 255) {
    return `is ${text.length} characters long (10 to 255 allowed)`;
  }
  if (!DEVICE_ID_CHARACTER.test(text)) {
    return "contains a character outside A-Z a-z 0-9 . _ ~ ! $ & ' ( ) * + , ; = : @ / -";
  }
  if (hasDotSegment(text)) return 'has a "." or ".." segment between slashes';
  return undefined;
}

export function isDeviceId(text: string): boolean {
  return deviceIdProblem(text) === undefined;
}

/**
 * Whether a URL's host (as `URL.hostname` gives it: lower case, IPv4 in dotted decimal, IPv6 in brackets) is this
 * machine: 127.0.0.0/8, [::1] or `localhost`. The one place plain http is ever allowed, for a local development
 * server (the rendezvous clients' `allowInsecureHttp`, `checkVerificationUri`'s `allowInsecureLoopback`).
 */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}
