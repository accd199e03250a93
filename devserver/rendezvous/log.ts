// A record of every request to either rendezvous API, for tests and the demo transcript. It holds the path
// (never the query, which may carry an access token), the status and the size of the request body: never a
// body, a token or an ETag.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../clock";
import { V2024_CREATE_PATH, V2024_SESSION_PREFIX, bodyBytesReadFrom, type RequestHandler } from "../http";
import { V2025_STABLE_BASE, V2025_UNSTABLE_BASE } from "./v2025";

export interface RendezvousLogEntry {
  /** When the request arrived, in the devserver clock's Unix milliseconds. */
  readonly time: number;
  readonly method: string;
  /** The URL path without the query. */
  readonly path: string;
  /** The status sent, or the one that was about to be sent when a fault dropped the connection. */
  readonly status: number;
  /** Request body size: the bytes read, else the declared Content-Length, else 0. */
  readonly bodyBytes: number;
  /** Present when the connection closed before the response was complete (a drop fault, or the client left). */
  readonly dropped?: true;
}

/** Keeps the log bounded in a long-running demo. */
const MAX_ENTRIES = 10_000;

export function isRendezvousPath(pathname: string): boolean {
  return (
    pathname === V2024_CREATE_PATH ||
    pathname.startsWith(`${V2024_SESSION_PREFIX}/`) ||
    [V2025_UNSTABLE_BASE, V2025_STABLE_BASE].some(
      (base) => pathname === base || pathname.startsWith(`${base}/`),
    )
  );
}

export class RendezvousLog {
  private entries: RendezvousLogEntry[] = [];

  constructor(private readonly clock: Clock) {}

  list(): readonly RendezvousLogEntry[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }

  /** Starts recording a rendezvous request; the entry is added when the response is sent or dropped. */
  observe(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!isRendezvousPath(url.pathname)) return;
    const time = this.clock.now();
    const add = (dropped: boolean): void => {
      const declared = Number(req.headers["content-length"] ?? 0);
      this.entries.push({
        time,
        method: req.method ?? "",
        path: url.pathname,
        status: res.statusCode,
        bodyBytes: bodyBytesReadFrom(req) ?? (Number.isSafeInteger(declared) ? declared : 0),
        ...(dropped ? { dropped: true as const } : {}),
      });
      if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    };
    res.once("close", () => {
      add(!res.writableFinished);
    });
  }
}

/** The in-process log as a handler-chain observer: records and never answers. */
export function createLogObserver(log: RendezvousLog): RequestHandler {
  return (req, res, url) => {
    log.observe(req, res, url);
    return Promise.resolve(false);
  };
}
