// The record of every request to either rendezvous API (a `RequestLog` selecting their paths), for tests and the
// demo transcript: path, status and body size, never a body, a token or an ETag.
import type { Clock } from "../clock";
import { V2024_CREATE_PATH, V2024_SESSION_PREFIX } from "../http";
import { RequestLog, type RequestLogEntry } from "../request-log";
import { V2025_STABLE_BASE, V2025_UNSTABLE_BASE } from "./v2025";

export { createLogObserver } from "../request-log";
export type RendezvousLogEntry = RequestLogEntry;

export function isRendezvousPath(pathname: string): boolean {
  return (
    pathname === V2024_CREATE_PATH ||
    pathname.startsWith(`${V2024_SESSION_PREFIX}/`) ||
    [V2025_UNSTABLE_BASE, V2025_STABLE_BASE].some(
      (base) => pathname === base || pathname.startsWith(`${base}/`),
    )
  );
}

export class RendezvousLog extends RequestLog {
  constructor(clock: Clock) {
    super(clock, isRendezvousPath);
  }
}
