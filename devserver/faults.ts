// Fault injection for tests: the next `count` requests whose method and path match a fault misbehave in one of
// four ways real deployments do.
// - `status`: answered at once with that status and nothing applied. 429 carries `M_LIMIT_EXCEEDED`,
//   `retry_after_ms` and `Retry-After` (seconds), as a rate-limited homeserver answers; any other status carries
//   `M_UNKNOWN`, as a failing server or gateway would.
// - `dropResponseAfterCommit`: the request is served (a write is applied) and then the connection is destroyed
//   before any byte of the response: a proxy timeout or network cut after the server committed.
// - `statusAfterCommit`: the request is served (a write is applied) and then answered with that 5xx status
//   instead of the real response: a gateway that gave up waiting (502, 504) while the origin committed. The
//   origin's headers (ETag, Expires, Content-Type, ...) are dropped with its body, as a gateway's own error page
//   carries none of them; what the devserver set before any handler ran (Date, CORS) stays. The body is the same
//   `M_UNKNOWN` error a `status` fault sends, and the rendezvous log records the status the client saw.
// - `rewriteEtag`: the response is served, but its ETag header (v2024) and the `sequence_token` of a JSON body
//   (v2025) are altered the way middleboxes alter validators. `weak` models nginx's gzip filter, which turns a
//   strong `"x"` into a weak `W/"x"` when it compresses; `suffix` models Apache's mod_deflate, which appends
//   `-gzip` inside the quotes (`"x-gzip"`, DeflateAlterETag AddSuffix). Either way If-Match echoing the altered
//   tag no longer matches (a weak tag never passes the strong comparison), so the client sees 412 unless it
//   recovers. No compressing proxy rewrites a JSON field; applied to `sequence_token` the same transform stands
//   for any middlebox or cache that hands the client a token the server never issued (`W/` + token, or token +
//   `-gzip`), which a client must carry opaquely and recover from through 409.
// The `/_devserver/` paths are never faulted, so a test can always clear faults.
import type { ServerResponse } from "node:http";
import { MatrixError, discardBody, sendMatrixError, type RequestHandler } from "./http";

export type EtagRewrite = "weak" | "suffix";

export interface FaultSpec {
  /** HTTP method to match (case-insensitive), or `*` for any. */
  readonly method: string;
  /** A regular expression (source text) tested against the URL path, without the query. */
  readonly pathPattern: string;
  /** How many matching requests the fault applies to. */
  readonly count: number;
  /** Answer with this status (400-599) instead of serving the request. */
  readonly status?: number;
  /** With status 429: the advised wait (default 1000 ms). */
  readonly retryAfterMs?: number;
  /** Serve the request, then destroy the connection without responding. */
  readonly dropResponseAfterCommit?: boolean;
  /** Serve the request (applying a write), then answer this status (500-599) instead of the real response. */
  readonly statusAfterCommit?: number;
  /** Serve the request, then alter ETag / sequence_token in the response. */
  readonly rewriteEtag?: EtagRewrite;
}

export interface PendingFault extends FaultSpec {
  /** Matching requests still to be faulted. */
  readonly remaining: number;
}

interface ActiveFault {
  readonly spec: FaultSpec;
  readonly pattern: RegExp;
  remaining: number;
}

const DEFAULT_RETRY_AFTER_MS = 1000;

function invalid(message: string): MatrixError {
  return new MatrixError(400, "M_INVALID_PARAM", message);
}

/** Checks an untrusted fault description (from JSON) and returns it typed. */
export function parseFaultSpec(value: unknown): FaultSpec {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid("fault must be an object");
  const input = value as Record<string, unknown>;
  const {
    method,
    pathPattern,
    count,
    status,
    retryAfterMs,
    dropResponseAfterCommit,
    statusAfterCommit,
    rewriteEtag,
  } = input;
  if (typeof method !== "string" || method === "") throw invalid("method must be a non-empty string");
  if (typeof pathPattern !== "string") throw invalid("pathPattern must be a string");
  try {
    new RegExp(pathPattern);
  } catch {
    throw invalid("pathPattern is not a valid regular expression");
  }
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 1) {
    throw invalid("count must be a positive integer");
  }
  const kinds = [
    status !== undefined,
    dropResponseAfterCommit === true,
    statusAfterCommit !== undefined,
    rewriteEtag !== undefined,
  ];
  if (kinds.filter(Boolean).length !== 1) {
    throw invalid(
      "give exactly one of status, dropResponseAfterCommit: true, statusAfterCommit, rewriteEtag",
    );
  }
  if (dropResponseAfterCommit !== undefined && typeof dropResponseAfterCommit !== "boolean") {
    throw invalid("dropResponseAfterCommit must be a boolean");
  }
  if (
    status !== undefined &&
    (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599)
  ) {
    throw invalid("status must be an integer from 400 to 599");
  }
  if (
    statusAfterCommit !== undefined &&
    (typeof statusAfterCommit !== "number" ||
      !Number.isInteger(statusAfterCommit) ||
      statusAfterCommit < 500 ||
      statusAfterCommit > 599)
  ) {
    throw invalid("statusAfterCommit must be an integer from 500 to 599");
  }
  if (retryAfterMs !== undefined) {
    if (status !== 429) throw invalid("retryAfterMs goes with status 429");
    if (typeof retryAfterMs !== "number" || !Number.isSafeInteger(retryAfterMs) || retryAfterMs < 0) {
      throw invalid("retryAfterMs must be a non-negative integer");
    }
  }
  if (rewriteEtag !== undefined && rewriteEtag !== "weak" && rewriteEtag !== "suffix") {
    throw invalid('rewriteEtag must be "weak" or "suffix"');
  }
  return {
    method,
    pathPattern,
    count,
    ...(typeof status === "number" ? { status } : {}),
    ...(typeof retryAfterMs === "number" ? { retryAfterMs } : {}),
    ...(dropResponseAfterCommit === true ? { dropResponseAfterCommit } : {}),
    ...(typeof statusAfterCommit === "number" ? { statusAfterCommit } : {}),
    ...(rewriteEtag === "weak" || rewriteEtag === "suffix" ? { rewriteEtag } : {}),
  };
}

export function rewriteEntityTag(etag: string, mode: EtagRewrite): string {
  const strong = /^"(.*)"$/.exec(etag);
  if (strong === null) return etag;
  return mode === "weak" ? `W/${etag}` : `"${strong[1] ?? ""}-gzip"`;
}

export function rewriteSequenceToken(token: string, mode: EtagRewrite): string {
  return mode === "weak" ? `W/${token}` : `${token}-gzip`;
}

function statusFault(spec: Pick<FaultSpec, "retryAfterMs"> & { status: number }): MatrixError {
  if (spec.status === 429) {
    const retryAfterMs = spec.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
    return new MatrixError(
      429,
      "M_LIMIT_EXCEEDED",
      "Too Many Requests",
      { retry_after_ms: retryAfterMs },
      { "Retry-After": String(Math.ceil(retryAfterMs / 1000)) },
    );
  }
  return new MatrixError(spec.status, "M_UNKNOWN", `Injected fault: HTTP ${spec.status}`);
}

type RawEnd = (...args: unknown[]) => void;

// Replaces `res.end` for one response. Handlers set every header with setHeader before calling end (see
// http.ts), so the headers and the body can still be changed here.
function interceptEnd(res: ServerResponse, replacement: (original: RawEnd, args: unknown[]) => void): void {
  const original = res.end.bind(res) as RawEnd;
  res.end = ((...args: unknown[]) => {
    replacement(original, args);
    return res;
  }) as ServerResponse["end"];
}

function dropConnection(res: ServerResponse): void {
  interceptEnd(res, () => {
    res.socket?.destroy();
    res.destroy();
  });
}

function answerStatusAfterCommit(res: ServerResponse, status: number): void {
  // Set before any handler ran, so the gateway's as much as the origin's.
  const gatewayHeaders = new Set(res.getHeaderNames());
  interceptEnd(res, (original) => {
    for (const name of res.getHeaderNames()) if (!gatewayHeaders.has(name)) res.removeHeader(name);
    res.end = original as ServerResponse["end"];
    sendMatrixError(res, statusFault({ status }));
  });
}

function rewriteValidators(res: ServerResponse, mode: EtagRewrite): void {
  interceptEnd(res, (original, args) => {
    const etag = res.getHeader("etag");
    if (typeof etag === "string") res.setHeader("ETag", rewriteEntityTag(etag, mode));
    const chunk = args[0];
    const isJson = String(res.getHeader("content-type") ?? "").startsWith("application/json");
    if (isJson && (typeof chunk === "string" || chunk instanceof Uint8Array)) {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      try {
        const body: unknown = JSON.parse(text);
        if (typeof body === "object" && body !== null && "sequence_token" in body) {
          const token = body.sequence_token;
          if (typeof token === "string") {
            original(JSON.stringify({ ...body, sequence_token: rewriteSequenceToken(token, mode) }));
            return;
          }
        }
      } catch {
        // Not JSON after all: send it unchanged.
      }
    }
    original(...args);
  });
}

export class FaultInjector {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    const checked = parseFaultSpec(spec);
    this.faults.push({ spec: checked, pattern: new RegExp(checked.pathPattern), remaining: checked.count });
  }

  clear(): void {
    this.faults = [];
  }

  pending(): readonly PendingFault[] {
    return this.faults.map(({ spec, remaining }) => ({ ...spec, remaining }));
  }

  /**
   * The handler-chain entry: answers status faults, arms drop, status-after-commit and rewrite faults, never
   * answers otherwise.
   */
  readonly handler: RequestHandler = (req, res, url) => {
    if (url.pathname.startsWith("/_devserver/")) return Promise.resolve(false);
    const method = (req.method ?? "").toUpperCase();
    const fault = this.faults.find(
      ({ spec, pattern }) =>
        (spec.method === "*" || spec.method.toUpperCase() === method) && pattern.test(url.pathname),
    );
    if (fault === undefined) return Promise.resolve(false);
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((other) => other !== fault);
    const { spec } = fault;
    if (spec.status !== undefined) {
      discardBody(req);
      sendMatrixError(res, statusFault({ ...spec, status: spec.status }));
      return Promise.resolve(true);
    }
    if (spec.dropResponseAfterCommit === true) dropConnection(res);
    if (spec.statusAfterCommit !== undefined) answerStatusAfterCommit(res, spec.statusAfterCommit);
    if (spec.rewriteEtag !== undefined) rewriteValidators(res, spec.rewriteEtag);
    return Promise.resolve(false);
  };
}
