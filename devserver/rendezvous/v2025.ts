// The MSC4388 rendezvous API (the v2025 wire version) as Synapse 1.160 serves it (docs/protocol.md §2.2, measured in
// docs/synapse.md; Synapse `rust/src/msc4388_rendezvous/`). Under each base path:
//   GET    {base}                                    discover -> {"create_available": true}
//   POST   {base}             {data}                 create   -> {id, sequence_token, expires_in_ms}
//   GET    {base}/{id}                               receive  -> {data, sequence_token, expires_in_ms}
//   PUT    {base}/{id}        {sequence_token, data} send     -> {sequence_token}   (v2025Put plain | both)
//   PUT    {base}/{id}/{txnId} the same, answered once per txnId                   (v2025Put txn | both)
//   DELETE {base}/{id}                               cancel   -> []
// The base is the unstable `/_matrix/client/unstable/io.element.msc4388/rendezvous`, plus the stable
// `/_matrix/client/v1/rendezvous` when `v2025Stable` is set. In `authenticated` mode discover and create need an
// access token; receive, send and cancel never do. Every answer carries Synapse's no-cache header; neither the
// request's Content-Type nor its Content-Length is looked at (measured).
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../clock";
import {
  MatrixError,
  NO_CACHE,
  notFound,
  readBody,
  requireSession,
  sendJson,
  type RequestHandler,
} from "../http";
import type { Authenticate, ResolvedRendezvousOptions } from "../options";
import { createRouter, type Route } from "../router";
import { createUlid } from "../ulid";
import { synapseSessionStore } from "./session-store";

export const V2025_UNSTABLE_BASE = "/_matrix/client/unstable/io.element.msc4388/rendezvous";
export const V2025_STABLE_BASE = "/_matrix/client/v1/rendezvous";

/** Outcomes remembered per session for `PUT …/{txnId}` (Synapse keeps 100). */
const MAX_RECORDED_TRANSACTIONS = 100;
/** The spec's opaque-identifier grammar, which MSC4388 requires of transaction IDs. */
const TXN_ID = /^[0-9A-Za-z._~-]{1,255}$/;

type PutOutcome = { readonly accepted: true; readonly token: string } | { readonly accepted: false };

interface V2025Session {
  readonly expiresAt: number;
  data: string;
  token: string;
  /** The token the last write replaced: a retry of that write is answered without writing again. */
  previousToken: string | undefined;
  /** The milliseconds hashed into `token`. */
  tokenMillis: number;
  readonly transactions: Map<string, PutOutcome>;
}

/** Synapse 1.160: base64url-nopad(SHA-256(data ‖ u128-BE milliseconds)), 43 characters, opaque to clients. */
export function v2025SequenceToken(data: string, millis: number): string {
  const suffix = new Uint8Array(16);
  new DataView(suffix.buffer).setBigUint64(8, BigInt(millis));
  return createHash("sha256").update(data, "utf8").update(suffix).digest("base64url");
}

// A session's token must change on every write, even for the same data in the same millisecond (a frozen test
// clock), so the hashed time never repeats within a session. On a real clock this is just `now`.
function nextToken(session: Pick<V2025Session, "tokenMillis">, data: string, now: number): [string, number] {
  const millis = Math.max(now, session.tokenMillis + 1);
  return [v2025SequenceToken(data, millis), millis];
}

export interface V2025Dependencies {
  readonly options: ResolvedRendezvousOptions;
  readonly clock: Clock;
  readonly authenticate: Authenticate;
}

interface BaseVariant {
  readonly base: string;
  /** The 409 errcode: MSC4388's unstable prefix on the unstable path, the stable code on the stable path. */
  readonly concurrentWriteErrcode: string;
}

// Synapse deserialises the body straight into the request type, so every way of getting it wrong (not UTF-8, not
// JSON, empty, not an object, a field missing or of another type) is one and the same 400 (measured).
async function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const bytes = await readBody(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw invalidBody();
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidBody();
  return value as Record<string, unknown>;
}

function invalidBody(): MatrixError {
  return new MatrixError(400, "M_INVALID_PARAM", "Invalid JSON in request body");
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== "string") throw invalidBody();
  return value;
}

// Synapse checks the Sec-Fetch-* request headers so that a browser never renders rendezvous content in a page
// (MSC4388 "Receive"): any destination but `empty`, navigation, user activation or a request from no site.
function checkFetchMetadata(req: IncomingMessage): void {
  const dest = req.headers["sec-fetch-dest"];
  if (dest !== undefined && dest !== "empty") {
    throw new MatrixError(
      403,
      "M_FORBIDDEN",
      "Rendezvous content is not accessible from the request destination",
    );
  }
  if (req.headers["sec-fetch-mode"] === "navigate") {
    throw new MatrixError(
      403,
      "M_FORBIDDEN",
      "Rendezvous content is not accessible via top-level navigation",
    );
  }
  if (req.headers["sec-fetch-user"] === "?1") {
    throw new MatrixError(
      403,
      "M_FORBIDDEN",
      "Rendezvous content is not accessible from requests with user activation",
    );
  }
  if (req.headers["sec-fetch-site"] === "none") {
    throw new MatrixError(
      403,
      "M_FORBIDDEN",
      "Rendezvous content is not accessible from requests from user interaction",
    );
  }
}

export function createV2025Handler({ options, clock, authenticate }: V2025Dependencies): RequestHandler {
  if (options.msc4388Mode === "off") return () => Promise.resolve(false);

  const store = synapseSessionStore<V2025Session>(clock, options.capacity);
  // Read at each create (see v2024.ts).
  const ttlMs = (): number => options.ttlV2025S * 1000;
  // The whole JSON body may be larger than `data`: escaping can take up to 6 bytes per byte of data.
  const bodyLimit = 6 * options.maxBytes + 64 * 1024;

  async function authorize(req: IncomingMessage, url: URL): Promise<void> {
    if (options.msc4388Mode !== "authenticated") return;
    // The same 401s as the client-server API's; the inactive-token answer was measured on Synapse with MAS.
    await requireSession(authenticate, req, url);
  }

  function checkDataLength(data: string): void {
    if (Buffer.byteLength(data, "utf8") > options.maxBytes) {
      throw new MatrixError(413, "M_TOO_LARGE", "Payload too large");
    }
  }

  function lookup(id: string): V2025Session {
    const session = store.get(id.toUpperCase());
    if (session === undefined) throw notFound();
    return session;
  }

  function expiresInMs(session: V2025Session): number {
    return Math.max(0, session.expiresAt - clock.now());
  }

  async function create(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    await authorize(req, url);
    const data = stringField(await readJsonObject(req, bodyLimit), "data");
    checkDataLength(data);
    const now = clock.now();
    const id = createUlid(now);
    const session: V2025Session = {
      data,
      token: v2025SequenceToken(data, now),
      tokenMillis: now,
      previousToken: undefined,
      expiresAt: now + ttlMs(),
      transactions: new Map(),
    };
    store.insert(id, session);
    sendJson(res, 200, { id, sequence_token: session.token, expires_in_ms: ttlMs() }, NO_CACHE);
  }

  function receive(req: IncomingMessage, res: ServerResponse, id: string): void {
    checkFetchMetadata(req);
    const session = lookup(id);
    sendJson(
      res,
      200,
      {
        data: session.data,
        sequence_token: session.token,
        expires_in_ms: expiresInMs(session),
      },
      NO_CACHE,
    );
  }

  // The compare-and-swap of MSC4388 "Send", with the safe retry Synapse 1.160 was measured to allow.
  function compareAndSwap(session: V2025Session, token: string, data: string): PutOutcome {
    if (token === session.token) {
      const [next, millis] = nextToken(session, data, clock.now());
      session.previousToken = session.token;
      session.data = data;
      session.token = next;
      session.tokenMillis = millis;
      return { accepted: true, token: next };
    }
    // A client whose response to a successful write was lost resends it: same (now previous) token, same data.
    if (token === session.previousToken && data === session.data)
      return { accepted: true, token: session.token };
    return { accepted: false };
  }

  function record(session: V2025Session, txnId: string, outcome: PutOutcome): void {
    session.transactions.set(txnId, outcome);
    for (const oldest of session.transactions.keys()) {
      if (session.transactions.size <= MAX_RECORDED_TRANSACTIONS) break;
      session.transactions.delete(oldest);
    }
  }

  async function send(
    req: IncomingMessage,
    res: ServerResponse,
    variant: BaseVariant,
    id: string,
    txnId?: string,
  ): Promise<void> {
    if (txnId !== undefined && !TXN_ID.test(txnId)) {
      throw new MatrixError(400, "M_INVALID_PARAM", "Invalid transaction ID");
    }
    const body = await readJsonObject(req, bodyLimit);
    const token = stringField(body, "sequence_token");
    const data = stringField(body, "data");
    // Measured on Synapse 1.160: the size check comes before the session lookup and the token comparison.
    checkDataLength(data);
    const session = lookup(id);
    // With a transaction ID the first outcome is the answer to every resend of that transaction (Synapse's
    // transaction record), whatever the resend carries.
    let outcome = txnId === undefined ? undefined : session.transactions.get(txnId);
    if (outcome === undefined) {
      outcome = compareAndSwap(session, token, data);
      if (txnId !== undefined) record(session, txnId, outcome);
    }
    if (!outcome.accepted) {
      throw new MatrixError(409, variant.concurrentWriteErrcode, "sequence_token does not match");
    }
    sendJson(res, 200, { sequence_token: outcome.token }, NO_CACHE);
  }

  function cancel(res: ServerResponse, id: string): void {
    if (!store.delete(id.toUpperCase())) throw notFound();
    // Synapse 1.160 answers the cancel with a JSON empty list (measured).
    sendJson(res, 200, [], NO_CACHE);
  }

  const variants: BaseVariant[] = [
    { base: V2025_UNSTABLE_BASE, concurrentWriteErrcode: "IO_ELEMENT_MSC4388_CONCURRENT_WRITE" },
  ];
  if (options.v2025Stable)
    variants.push({ base: V2025_STABLE_BASE, concurrentWriteErrcode: "M_CONCURRENT_WRITE" });

  const routes: Route[] = variants.flatMap((variant): Route[] => {
    const session = `${variant.base}/{id}`;
    const shapes: Route[] = [];
    if (options.v2025Put !== "txn") {
      shapes.push({
        method: "PUT",
        path: session,
        handle: ({ req, res, params }) => send(req, res, variant, params.id ?? ""),
      });
    }
    if (options.v2025Put !== "plain") {
      shapes.push({
        method: "PUT",
        path: `${session}/{txnId}`,
        handle: ({ req, res, params }) => send(req, res, variant, params.id ?? "", params.txnId ?? ""),
      });
    }
    return [
      {
        method: "GET",
        path: variant.base,
        handle: async ({ req, res, url }) => {
          await authorize(req, url);
          sendJson(res, 200, { create_available: true }, NO_CACHE);
        },
      },
      { method: "POST", path: variant.base, handle: ({ req, res, url }) => create(req, res, url) },
      {
        method: "GET",
        path: session,
        handle: ({ req, res, params }) => {
          receive(req, res, params.id ?? "");
        },
      },
      {
        method: "DELETE",
        path: session,
        handle: ({ res, params }) => {
          cancel(res, params.id ?? "");
        },
      },
      ...shapes,
    ];
  });
  return createRouter(routes);
}
