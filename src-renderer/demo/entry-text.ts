// How the demo shows one transcript entry in few words: the sanitised entry as it arrives (every entry is rebuilt
// by `sanitizeEntry` on its way in, whoever built it), short paths, shortened ETags and sequence tokens, and
// public keys as 8-character fingerprints (docs/ux.md "Demo mode"). Nothing here adds information the entry
// does not carry; it only shortens.
import type { EventPayload } from "../../src-shared/contract";
import { fingerprint, sanitizeEntry, type TranscriptEntry } from "../../src-shared/transcript";

/** An entry as the contract carries it. */
export type TranscriptItem = EventPayload<"transcript.entry">;

const cleaned = new WeakMap<object, TranscriptEntry>();

/**
 * The entry rebuilt by the transcript's own rules (`sanitizeEntry`): a query string, a token-shaped value or a
 * credential that reached the renderer by mistake is cut or redacted before anything shows it. Cached per object,
 * so a long transcript is not rebuilt on every render.
 */
export function sanitised(item: TranscriptItem): TranscriptEntry {
  const known = cleaned.get(item);
  if (known !== undefined) return known;
  // The contract's schema is the same shape with `| undefined` on optional members; sanitizeEntry drops those.
  const entry = sanitizeEntry(item as TranscriptEntry);
  cleaned.set(item, entry);
  return entry;
}

export function sanitisedAll(items: readonly TranscriptItem[]): TranscriptEntry[] {
  return items.map(sanitised);
}

// A 32-byte key in base64 (standard or URL-safe, padded or not) is 43 characters plus an optional "=".
const KEY_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{43}=?(?![A-Za-z0-9+/_=-])/g;

function keyBytes(text: string): Uint8Array | undefined {
  const standard = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  try {
    const binary = atob(standard);
    return binary.length === 32 ? Uint8Array.from(binary, (char) => char.charCodeAt(0)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every 32-byte base64 value in `text` (a Curve25519 device key used as a device ID, an Ed25519 key in a step's
 * detail) as its 8-character fingerprint and "…". Not for ETags or sequence tokens: those are SHA-256 hashes of
 * the same length, and are shown as they are.
 */
export function withKeyFingerprints(text: string): string {
  return text.replace(KEY_RUN, (run) => {
    const bytes = keyBytes(run);
    return bytes === undefined ? run : `${fingerprint(bytes)}…`;
  });
}

function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The path with each segment percent-decoded and any key in it fingerprinted. */
export function displayPath(path: string): string {
  return path
    .split("/")
    .map((segment) => {
      const decoded = decodedSegment(segment);
      const shown = withKeyFingerprints(decoded);
      return shown === decoded ? segment : shown;
    })
    .join("/");
}

const CLIENT_API_PREFIX = /^\/_matrix\/client\/(?:(?:v\d+|r0|unstable(?:\/[^/]+)?)\/)?/;

/**
 * A path short enough for a diagram label: `rendezvous` for the rendezvous (its long IDs say nothing to an
 * audience), the client API without its version prefix (`devices/QWERTYUIOP`), OAuth paths as they are.
 */
export function shortPath(layer: TranscriptEntry["layer"], path: string): string {
  if (layer === "rendezvous") return "rendezvous";
  const shown = displayPath(path).replace(CLIENT_API_PREFIX, "");
  const trimmed = shown.startsWith("/_matrix/") ? shown.replace(/^\/_matrix\//, "") : shown;
  return trimmed.length > 30 ? `${trimmed.slice(0, 29)}…` : trimmed;
}

/**
 * A path for the transcript's list: the last two segments, long ones cut (`…/rendezvous/01JVQEVPQ1…`). The
 * selected entry and the exports show it whole.
 */
export function compactPath(path: string): string {
  const segments = displayPath(path)
    .split("/")
    .filter((segment) => segment !== "");
  const kept = segments
    .slice(-2)
    .map((segment) => (segment.length > 14 ? `${segment.slice(0, 10)}…` : segment));
  return `${segments.length > 2 ? "…/" : "/"}${kept.join("/")}`;
}

/** An ETag or sequence token cut to `keep` characters (quotes kept), for labels; the pane shows it whole. */
export function shortToken(token: string, keep = 8): string {
  const quoted = token.startsWith('"') && token.endsWith('"') && token.length >= 2;
  const inner = quoted ? token.slice(1, -1) : token;
  const cut = inner.length > keep ? `${inner.slice(0, keep)}…` : inner;
  return quoted ? `"${cut}"` : cut;
}

/** Seconds from the first entry, as `+12.345 s`. */
export function offsetText(time: number, first: number | undefined): string {
  const offset = first === undefined ? 0 : (time - first) / 1000;
  return `${offset < 0 ? "-" : "+"}${Math.abs(offset).toFixed(3)} s`;
}
