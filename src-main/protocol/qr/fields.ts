// The rules every text field of a sign-in QR code must follow, shared by the decoder (which turns a broken rule
// into ProtocolError `invalid_qr`) and the encoder (which turns it into a TypeError: our own bug). Each check
// returns what is wrong in plain words, or undefined, and never repeats the field's content.

/** Curve25519 public keys are 32 raw bytes in both wire versions (MSC4108, MSC4388 "QR code format"). */
export const PUBLIC_KEY_LENGTH = 32;

/**
 * An absolute http: or https: URL (v2024 rendezvous URL, v2025 base URL, v2024 server name in URL form).
 * The WHATWG parser is lenient (it drops tabs, turns "\" into "/", reads "https:host" as "https://host"); other
 * implementations may not be, so only what a URL serialiser would write is accepted. Credentials are refused:
 * nothing legitimate puts them in a QR code, and they would leak to whoever scans it.
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
  if (url.username !== "" || url.password !== "") return "contains credentials (user name or password)";
  return undefined;
}

function hasSpaceControlOrBackslash(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

// Matrix spec, appendices, "Server name": hostname [":" port], hostname = IPv4address / "[" IPv6address "]" /
// dns-name, port = 1*5DIGIT. The grammar is syntactic only, and so is this check.
const SERVER_NAME =
  /^(?:[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|\[[0-9A-Fa-f:.]{2,45}\]|[0-9A-Za-z.-]{1,255})(?::[0-9]{1,5})?$/;

/**
 * The v2024 mode-0x04 "server name": the MSC says a server name, rust-sdk writes the homeserver URL and
 * matrix-js-sdk the server name (PROTOCOL.md §1.1), so either form is accepted.
 */
export function serverNameProblem(text: string): string | undefined {
  if (httpUrlProblem(text) === undefined || SERVER_NAME.test(text)) return undefined;
  return "is neither an absolute http(s) URL nor a server name (host name, IPv4 or [IPv6], optional :port)";
}

// Matrix spec, appendices, "Opaque identifiers", which MSC4388 requires of rendezvous IDs.
const OPAQUE_ID = /^[0-9A-Za-z._~-]{1,255}$/;

export function rendezvousIdProblem(text: string): string | undefined {
  if (text.length === 0) return "is empty";
  if (text.length > 255) return `is ${text.length} characters long (at most 255 allowed)`;
  if (!OPAQUE_ID.test(text)) return "contains a character outside 0-9 A-Z a-z . _ ~ -";
  return undefined;
}
