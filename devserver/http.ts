// What every devserver module shares: the handler contract, Matrix-style errors and JSON replies, request
// bodies read under a byte limit, and the CORS headers Synapse puts on every response (docs/synapse.md), except
// on the test hooks, which no web page may use.
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * One concern of the devserver. Returns true when it answered the request, false to let the next handler try.
 * Handlers either write the response themselves or throw a `MatrixError`; the server turns anything else into 500.
 */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/** A Matrix error response: `{"errcode", "error", ...extra}` with `status` and optional extra headers. */
export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "MatrixError";
  }
}

/**
 * Synapse's answer for a path no servlet serves (404), a method the servlet lacks (405), or a path a resource
 * cannot split into its parts (400, the v2024 session resource).
 */
export function unrecognized(status: 400 | 404 | 405 = 404): MatrixError {
  return new MatrixError(status, "M_UNRECOGNIZED", "Unrecognized request");
}

export function notFound(): MatrixError {
  return new MatrixError(404, "M_NOT_FOUND", "Not found");
}

export function setHeaders(res: ServerResponse, headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}

// Synapse's Python JSON encoder keeps `ensure_ascii`, so every character beyond ASCII goes out as `\uXXXX` (a
// character outside the BMP as its two surrogate escapes). JSON.stringify already escapes lone surrogates.
function encodeJson(body: unknown): string {
  return JSON.stringify(body).replace(
    /[\u0080-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

// Headers are set one by one (never through writeHead's argument) so that wrappers such as fault injection can
// still read and rewrite them just before the response goes out.
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.statusCode = status;
  setHeaders(res, headers);
  res.setHeader("Content-Type", "application/json");
  res.end(encodeJson(body));
}

/** What Synapse's `respond_with_json` puts on JSON it does not mean to be cached: every error, and MSC4388. */
export const NO_CACHE = { "Cache-Control": "no-cache, no-store, must-revalidate" } as const;

export function sendMatrixError(res: ServerResponse, error: MatrixError): void {
  sendJson(
    res,
    error.status,
    { errcode: error.errcode, error: error.message, ...error.extra },
    // An error's own headers win: v2024's 412 carries the session's `no-store, no-transform` instead.
    { ...NO_CACHE, ...error.headers },
  );
}

export function sendEmpty(
  res: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.statusCode = status;
  setHeaders(res, headers);
  res.end();
}

export function sendBytes(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: Uint8Array,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.statusCode = status;
  setHeaders(res, headers);
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", String(body.byteLength));
  res.end(body);
}

/** The declared `Content-Length`, or undefined when absent (e.g. a chunked body). Malformed values are 400. */
export function declaredContentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers["content-length"];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid header: content-length");
  return Number(raw);
}

const bodyBytesRead = new WeakMap<IncomingMessage, number>();

/** How many body bytes a handler read from `req` (undefined when no handler read the body). */
export function bodyBytesReadFrom(req: IncomingMessage): number | undefined {
  return bodyBytesRead.get(req);
}

/**
 * Reads the whole request body, refusing with 413 `M_TOO_LARGE` as soon as it is known to exceed `limit` bytes
 * (from `Content-Length` before reading, or while reading a chunked body).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = declaredContentLength(req);
  if (declared !== undefined && declared > limit) {
    discardBody(req);
    return Promise.reject(tooLarge());
  }
  // Event listeners rather than `for await`: leaving an async iterator early destroys the socket, and the 413
  // must still reach the client.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.byteLength;
      bodyBytesRead.set(req, total);
      if (total <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      req.off("end", onEnd);
      discardBody(req);
      reject(tooLarge());
    };
    const onEnd = (): void => {
      bodyBytesRead.set(req, total);
      resolve(new Uint8Array(Buffer.concat(chunks)));
    };
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", reject);
  });
}

/**
 * Reads the whole body (up to `limit` bytes) as UTF-8 JSON: 400 `M_NOT_JSON` when it is not, as Synapse's
 * `parse_json_from_request` answers. What the value must be is the caller's to check.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const bytes = await readBody(req, limit);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new MatrixError(400, "M_NOT_JSON", "Content not JSON.");
  }
}

/** Lets an unread request body drain so that the connection stays usable for the response. */
export function discardBody(req: IncomingMessage): void {
  req.resume();
}

function tooLarge(): MatrixError {
  return new MatrixError(413, "M_TOO_LARGE", "Payload too large");
}

/**
 * The access token of a request, read as Synapse's `get_access_token_from_request` does: `Authorization: Bearer
 * <token>` (exactly that shape), else the legacy `access_token` query parameter. Undefined (which the caller
 * answers with `M_MISSING_TOKEN`) for any other Authorization header, or both ways at once.
 */
export function accessTokenOf(req: IncomingMessage, url: URL): string | undefined {
  const authorization = req.headers.authorization;
  const query = url.searchParams.get("access_token");
  if (authorization === undefined) return query ?? undefined;
  if (query !== null) return undefined;
  const parts = authorization.split(" ");
  return parts.length === 2 && parts[0] === "Bearer" ? parts[1] : undefined;
}

/**
 * What the request's access token acts for, as `authenticate` tells it, or the 401 Synapse answers with MAS in
 * charge of tokens: `M_MISSING_TOKEN`, or `M_UNKNOWN_TOKEN` "Token is not active" (what it says when MAS's
 * introspection says so). The client-server API and MSC4388's authenticated mode both check tokens this way.
 */
export async function requireSession<Session>(
  authenticate: (token: string) => Promise<Session | null>,
  req: IncomingMessage,
  url: URL,
): Promise<Session> {
  const token = accessTokenOf(req, url);
  if (token === undefined) throw new MatrixError(401, "M_MISSING_TOKEN", "Missing access token");
  const session = await authenticate(token);
  if (session === null) {
    throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Token is not active", { soft_logout: false });
  }
  return session;
}

/** Paths of the v2024 rendezvous API, for which Synapse's rendezvous resource sends its own CORS set. */
export const V2024_CREATE_PATH = "/_matrix/client/unstable/org.matrix.msc4108/rendezvous";
export const V2024_SESSION_PREFIX = "/_synapse/client/rendezvous";

const CORS_ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS";

/**
 * The CORS headers Synapse 1.160 was measured to send on errors and preflights (docs/synapse.md, "Headers").
 * Everywhere: `set_cors_headers` in `synapse/http/server.py`. The v2024 create path and everything below
 * `/_synapse/client/rendezvous` (a plain string prefix there, so `/_synapse/client/rendezvousX` too) get the
 * rendezvous resource's set instead: its own Allow-Headers, and ETag exposed. A v2024 success narrows these further
 * (`v2024SuccessCors` in rendezvous/v2024.ts).
 */
export function corsHeaders(pathname: string): Record<string, string> {
  const v2024 = pathname === V2024_CREATE_PATH || pathname.startsWith(V2024_SESSION_PREFIX);
  return {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": CORS_ALLOW_METHODS,
    "Access-Control-Allow-Headers": v2024
      ? "Content-Type, If-Match, If-None-Match"
      : "X-Requested-With, Content-Type, Authorization, Date",
    "Access-Control-Expose-Headers": v2024 ? "Synapse-Trace-Id, Server, ETag" : "Synapse-Trace-Id, Server",
  };
}

/** Where the test-control paths live (`testHooks`): never faulted, never given CORS headers. */
export const TEST_HOOKS_PREFIX = "/_devserver/";

/**
 * Puts the CORS headers on every response and answers every preflight (`OPTIONS`, any path) with 204, as
 * Synapse's `OptionsResource` does. Mounted first so that later handlers may still override a header. The test
 * hooks get neither: with CORS `*` any page in the developer's browser could mint tokens, approve device codes,
 * read the rendezvous log and inject faults (test-hooks.ts `createTestHooksGate` refuses other origins too).
 */
export const corsHandler: RequestHandler = (req, res, url) => {
  if (url.pathname.startsWith(TEST_HOOKS_PREFIX)) return Promise.resolve(false);
  setHeaders(res, corsHeaders(url.pathname));
  if (req.method !== "OPTIONS") return Promise.resolve(false);
  discardBody(req);
  res.statusCode = 204;
  res.setHeader("Content-Length", "0");
  res.end();
  return Promise.resolve(true);
};
