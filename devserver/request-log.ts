// A record of requests for tests and the demo transcript: the path (never the query, which may carry an access
// token), the status and the size of the request body; never a body, a token or an ETag. Each log keeps the
// requests its filter selects: the rendezvous log (rendezvous/log.ts) and the client-server API log (every
// `/_matrix/client/` request, which shows a test what a client uploaded, or that it uploaded nothing).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "./clock";
import { bodyBytesReadFrom, type RequestHandler } from "./http";

export interface RequestLogEntry {
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

export class RequestLog {
  private entries: RequestLogEntry[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly include: (pathname: string) => boolean,
  ) {}

  list(): readonly RequestLogEntry[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }

  /** Starts recording a request the filter selects; the entry is added when the response is sent or dropped. */
  observe(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!this.include(url.pathname)) return;
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

/** A log as a handler-chain observer: records and never answers. */
export function createLogObserver(log: RequestLog): RequestHandler {
  return (req, res, url) => {
    log.observe(req, res, url);
    return Promise.resolve(false);
  };
}

export function isClientApiPath(pathname: string): boolean {
  return pathname.startsWith("/_matrix/client/");
}
