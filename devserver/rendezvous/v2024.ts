// The MSC4108 2024 rendezvous API as Synapse 1.160 serves it (docs/protocol.md §2.1, measured in docs/synapse.md;
// Synapse `rust/src/rendezvous/`):
//   POST /_matrix/client/unstable/org.matrix.msc4108/rendezvous   text/plain body -> 201 {"url"}
//   GET|PUT|DELETE /_synapse/client/rendezvous/{ULID}               ETag / If-Match / If-None-Match
// No endpoint needs an access token.
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../clock";
import {
  MatrixError,
  V2024_CREATE_PATH,
  V2024_SESSION_PREFIX,
  declaredContentLength,
  discardBody,
  notFound,
  readBody,
  sendBytes,
  sendEmpty,
  sendJson,
  unrecognized,
  type RequestHandler,
} from "../http";
import type { ResolvedRendezvousOptions } from "../options";
import { createRouter } from "../router";
import { createUlid } from "../ulid";
import { ifMatchPasses, ifNoneMatchPasses } from "./entity-tags";
import { synapseSessionStore } from "./session-store";

interface V2024Session {
  readonly expiresAt: number;
  data: Uint8Array;
  etag: string;
  lastModified: number;
}

/** `"` + base64url-nopad(SHA-256(body)) + `"`: a hash of the content only, so equal content gives an equal ETag. */
export function v2024Etag(body: Uint8Array): string {
  return `"${createHash("sha256").update(body).digest("base64url")}"`;
}

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

// Synapse's `prepare_headers`: sent with 201, 200, 202, 304 and 412.
function sessionHeaders(session: V2024Session): Record<string, string> {
  return {
    ETag: session.etag,
    Expires: httpDate(session.expiresAt),
    "Last-Modified": httpDate(session.lastModified),
    "Cache-Control": "no-store, no-transform",
    Pragma: "no-cache",
  };
}

// RFC 9110 §8.3.1 media type as the `mime` crate behind Synapse's `headers::ContentType` parses it (measured):
// no whitespace before a `;`, optional whitespace after it, every parameter `name=value`, one trailing `;` allowed.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(
  `^(${TOKEN}/${TOKEN})((?:;[ \\t]*${TOKEN}=(?:${TOKEN}|"(?:[^"\\\\]|\\\\.)*"))*)(?:;[ \\t]*)?$`,
);

// Synapse's `check_input_headers`, in its order: Content-Length (required, bounded), then Content-Type: required,
// a valid media type, and equal to text/plain, which compares the type case-insensitively but any parameter
// (`; charset=utf-8` is what browsers add) makes unequal.
function checkInputHeaders(req: IncomingMessage, maxBytes: number): void {
  const length = declaredContentLength(req);
  if (length === undefined) {
    throw new MatrixError(400, "M_MISSING_PARAM", "Missing required header: content-length");
  }
  if (length > maxBytes) throw new MatrixError(413, "M_TOO_LARGE", "Payload too large");
  const contentType = req.headers["content-type"];
  if (contentType === undefined) {
    throw new MatrixError(400, "M_MISSING_PARAM", "Missing required header: content-type");
  }
  const mediaType = MEDIA_TYPE.exec(contentType.trim());
  if (mediaType === null) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid header: content-type");
  if (mediaType[1]?.toLowerCase() !== "text/plain" || mediaType[2] !== "") {
    throw new MatrixError(400, "M_INVALID_PARAM", "Content-Type must be text/plain");
  }
}

// Synapse's rendezvous resource answers its successes with a narrower CORS set than the one every other response
// gets (http.ts `corsHeaders`): no Allow-Methods or Allow-Headers, and only `etag` exposed (measured).
function v2024SuccessCors(res: ServerResponse): void {
  res.removeHeader("Access-Control-Allow-Methods");
  res.removeHeader("Access-Control-Allow-Headers");
  res.setHeader("Access-Control-Expose-Headers", "etag");
}

// DELETE's 204 carries nothing but Allow-Origin and `Content-Length: 0` (measured).
function v2024DeletedCors(res: ServerResponse): void {
  res.removeHeader("Access-Control-Allow-Methods");
  res.removeHeader("Access-Control-Allow-Headers");
  res.removeHeader("Access-Control-Expose-Headers");
}

export interface V2024Dependencies {
  readonly options: ResolvedRendezvousOptions;
  readonly clock: Clock;
  /** The base URL the server hands out, without a trailing slash. */
  readonly publicBaseUrl: string;
}

export function createV2024Handler({ options, clock, publicBaseUrl }: V2024Dependencies): RequestHandler {
  const store = synapseSessionStore<V2024Session>(clock, options.capacity);
  // Read at each create: a demo may switch between a long lifetime and Synapse's 60 s while it runs.
  const ttlMs = (): number => options.ttlV2024S * 1000;

  async function readChecked(req: IncomingMessage): Promise<Uint8Array> {
    try {
      checkInputHeaders(req, options.maxBytes);
    } catch (error) {
      discardBody(req);
      throw error;
    }
    return readBody(req, options.maxBytes);
  }

  function lookup(id: string): V2024Session {
    const session = store.get(id.toUpperCase());
    if (session === undefined) throw notFound();
    return session;
  }

  async function create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const data = await readChecked(req);
    const now = clock.now();
    const id = createUlid(now);
    const session: V2024Session = {
      data,
      etag: v2024Etag(data),
      lastModified: now,
      expiresAt: now + ttlMs(),
    };
    store.insert(id, session);
    v2024SuccessCors(res);
    // Synapse 1.160 answers 201 with the URL in the body and no Location header.
    sendJson(res, 201, { url: `${publicBaseUrl}${V2024_SESSION_PREFIX}/${id}` }, sessionHeaders(session));
  }

  function receive(req: IncomingMessage, res: ServerResponse, id: string): void {
    const session = lookup(id);
    v2024SuccessCors(res);
    const ifNoneMatch = req.headers["if-none-match"];
    if (ifNoneMatch !== undefined && !ifNoneMatchPasses(ifNoneMatch, session.etag)) {
      // rust-sdk needs ETag, Expires and Last-Modified on the 304 too (docs/protocol.md §2.1).
      sendEmpty(res, 304, sessionHeaders(session));
      return;
    }
    sendBytes(res, 200, "text/plain", session.data, sessionHeaders(session));
  }

  async function send(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const ifMatch = req.headers["if-match"];
    try {
      checkInputHeaders(req, options.maxBytes);
      if (ifMatch === undefined)
        throw new MatrixError(400, "M_MISSING_PARAM", "Missing required header: if-match");
    } catch (error) {
      discardBody(req);
      throw error;
    }
    const data = await readBody(req, options.maxBytes);
    const session = lookup(id);
    if (!ifMatchPasses(ifMatch, session.etag)) {
      // The unstable-prefix convention: M_UNKNOWN plus the real code under `org.matrix.msc4108.errcode`.
      throw new MatrixError(
        412,
        "M_UNKNOWN",
        "ETag does not match",
        { "org.matrix.msc4108.errcode": "M_CONCURRENT_WRITE" },
        sessionHeaders(session),
      );
    }
    // Only the content and Last-Modified change: the lifetime runs from creation (Synapse `Session::update`).
    session.data = data;
    session.etag = v2024Etag(data);
    session.lastModified = clock.now();
    v2024SuccessCors(res);
    sendBytes(res, 202, "text/plain", new Uint8Array(0), sessionHeaders(session));
  }

  function cancel(res: ServerResponse, id: string): void {
    if (!store.delete(id.toUpperCase())) throw notFound();
    v2024DeletedCors(res);
    sendEmpty(res, 204, { "Content-Length": "0" });
  }

  // Synapse mounts one resource at the session prefix and splits the rest of the path itself (measured): another
  // method is 405; anything but exactly one more segment (the bare prefix, `{id}/more`) is 400 M_UNRECOGNIZED,
  // before any header check; an empty or unknown ID is 404 M_NOT_FOUND.
  const sessionResource: RequestHandler = async (req, res, url) => {
    const { pathname } = url;
    if (pathname !== V2024_SESSION_PREFIX && !pathname.startsWith(`${V2024_SESSION_PREFIX}/`)) return false;
    const method = req.method === "HEAD" ? "GET" : req.method;
    if (method !== "GET" && method !== "PUT" && method !== "DELETE") throw unrecognized(405);
    const rest = pathname.slice(V2024_SESSION_PREFIX.length + 1);
    if (pathname === V2024_SESSION_PREFIX || rest.includes("/")) throw unrecognized(400);
    let id: string;
    try {
      id = decodeURIComponent(rest);
    } catch {
      id = ""; // a malformed %-escape names no session
    }
    if (method === "GET") receive(req, res, id);
    else if (method === "PUT") await send(req, res, id);
    else cancel(res, id);
    return true;
  };

  const createResource = createRouter([
    { method: "POST", path: V2024_CREATE_PATH, handle: ({ req, res }) => create(req, res) },
  ]);
  return async (req, res, url) => (await createResource(req, res, url)) || sessionResource(req, res, url);
}
