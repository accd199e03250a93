// The one way to put text from outside (a rendezvous ID from a QR code, a peer's device ID or backup version)
// into a URL path. Each piece becomes exactly one path segment, whatever it contains: "/", "?", "#" and "%" are
// percent-encoded, and so is a segment that is only "." or "..", which URL parsers and servers would otherwise
// read as "this level" or "one level up" and remove (`GET /devices/..` would ask for the device list).
import { baseUrlProblem } from "./grammar";

/**
 * One path segment for `text`: `encodeURIComponent`, and for "." and ".." the dots as `%252E`. A single `%2E` is
 * not enough: the WHATWG URL parser and RFC 3986 §5.2.4 treat `%2e` as a dot, so `/a/%2E%2E` still collapses to
 * `/`. With the percent sign encoded too the server reads the name `%2E%2E`, which matches nothing, instead of
 * climbing a level. An empty segment has no spelling that survives (`a//b` is collapsed by many servers): TypeError.
 */
export function pathSegment(text: string): string {
  if (text === "") throw new TypeError("an empty URL path segment");
  if (text === "." || text === "..") return text.replaceAll(".", "%252E");
  return encodeURIComponent(text);
}

/**
 * `base` (an absolute http(s) URL without query or fragment, e.g. an API path under a homeserver base URL) with
 * each of `segments` appended as one path segment (`pathSegment`). The base is our own code's, so a malformed one
 * is a TypeError.
 */
export function urlPath(base: string, ...segments: readonly string[]): string {
  const problem = baseUrlProblem(base);
  if (problem !== undefined) throw new TypeError(`the URL path base ${problem}`);
  let end = base.length;
  while (end > 0 && base[end - 1] === "/") end--;
  return [base.slice(0, end), ...segments.map(pathSegment)].join("/");
}
