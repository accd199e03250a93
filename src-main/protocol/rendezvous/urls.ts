// URL handling shared by both clients: API paths under a homeserver base URL, and URLs the server hands back.
import { RendezvousError } from "./errors";

function isHttp(url: URL): boolean {
  return url.protocol === "https:" || url.protocol === "http:";
}

/**
 * `path` under the client-server API base URL. The base URL may carry a path prefix and a trailing slash; it
 * must be absolute http(s), which our own callers guarantee (the QR codec and discovery check it).
 */
export function apiUrl(baseUrl: string, path: string): string {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new TypeError(`not an absolute URL: ${baseUrl}`);
  }
  if (!isHttp(parsed) || parsed.search !== "" || parsed.hash !== "") {
    throw new TypeError(`not an http(s) base URL: ${baseUrl}`);
  }
  return `${parsed.href.replace(/\/+$/, "")}${path}`;
}

/** A URL from the server (a session URL, a redirect), resolved against the request URL; http(s) only. */
export function serverUrl(value: string, relativeTo: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value, relativeTo);
  } catch {
    throw new RendezvousError("invalid_response", `${what} is not a URL`);
  }
  if (!isHttp(parsed)) throw new RendezvousError("invalid_response", `${what} is not an http(s) URL`);
  return parsed.href;
}

/** A caller-supplied absolute http(s) URL (a v2024 session URL from a QR code). */
export function checkAbsoluteHttpUrl(value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new TypeError(`not an absolute URL: ${value}`);
  }
  if (!isHttp(parsed)) throw new TypeError(`not an http(s) URL: ${value}`);
  return value;
}
