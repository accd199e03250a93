// URL handling shared by both clients: API paths under a homeserver base URL, and URLs the server hands back.
// What counts as a URL is ../grammar.ts's rule, the same the QR codec applies.
import { baseUrlProblem, httpUrlProblem } from "../grammar";
import { RendezvousError } from "./errors";

/**
 * `path` under the client-server API base URL. The base URL may carry a path prefix and a trailing slash; it
 * must be absolute http(s) without query or fragment, which our own callers guarantee (the QR codec and
 * discovery check it), so a violation is a TypeError.
 */
export function apiUrl(baseUrl: string, path: string): string {
  const problem = baseUrlProblem(baseUrl);
  if (problem !== undefined) throw new TypeError(`the base URL ${problem}`);
  return `${new URL(baseUrl).href.replace(/\/+$/, "")}${path}`;
}

/** A URL from the server (a session URL, a redirect), resolved against the request URL; http(s) only. */
export function serverUrl(value: string, relativeTo: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value, relativeTo);
  } catch {
    throw new RendezvousError("invalid_response", `${what} is not a URL`);
  }
  const problem = httpUrlProblem(parsed.href);
  if (problem !== undefined) throw new RendezvousError("invalid_response", `${what} ${problem}`);
  return parsed.href;
}

/** A caller-supplied absolute http(s) URL (a v2024 session URL from a QR code). */
export function checkAbsoluteHttpUrl(value: string): string {
  const problem = httpUrlProblem(value);
  if (problem !== undefined) throw new TypeError(`the session URL ${problem}`);
  return value;
}
