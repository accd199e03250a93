// The HTTP layer both rendezvous clients share: the runtime's `fetch`, one transcript entry per request, the
// request-rate ceiling (a short burst, then 4 a second), a deadline on every request (never later than the
// session's end), the retry of transient failures (429, 5xx, the network) until a deadline, and the reading of the
// headers and bodies both APIs have in common. Cancellation always surfaces as the signal's own reason.
import { outsideText } from "../../../src-shared/errors";
import { httpEntry } from "../../../src-shared/transcript";
import { concatBytes, decodeUtf8 } from "../bytes";
import { isLoopbackHostname } from "../grammar";
import type { Runtime } from "../runtime";
import { RendezvousError, isRendezvousError, isTransient } from "./errors";
import {
  DEFAULT_BACKOFF,
  DEFAULT_REQUEST_TIMEOUT_MS,
  RequestPacer,
  backoffDelay,
  deadlineSignal,
  type BackoffOptions,
  type RequestRateLimit,
} from "./timing";
import { untilAborted } from "../../../src-shared/until-aborted";

/** The subset of WHATWG `fetch` the clients use (Node's global fetch, Electron's `net.fetch`, a test script). */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

export interface RendezvousClientOptions {
  /**
   * The network, the clock every expiry and deadline is computed on, sleeping, the randomness of v2025
   * transaction IDs, and the transcript (one entry per HTTP request: method, path, status, sizes, ETag or
   * sequence token; never a body).
   */
  readonly runtime: Runtime;
  readonly backoff?: BackoffOptions;
  /**
   * How long creating, joining and discovering keep retrying transient failures: there is no session deadline
   * yet. Default 20 s.
   */
  readonly retryWindowMs?: number;
  /**
   * How long one request may take, answer body included, before it is cut off (`network`, retried like any
   * network failure) or, when the session ends first, cut off there (`expired`). Default
   * `DEFAULT_REQUEST_TIMEOUT_MS` (15 s).
   */
  readonly requestTimeoutMs?: number;
  /**
   * Allow plain `http:` to a loopback host (127.0.0.0/8, [::1], `localhost`). Off by default: every plain-http
   * request is refused with RendezvousError `insecure_transport` before it goes out, and one to any other host
   * (the LAN included) is refused whatever this says. The secure channel hides the payloads, but over http anyone
   * on the path sees the rendezvous (and a v2025 create or discover carries the access token), can rewrite or drop
   * messages, and can end the session. Only for a local development server (the devserver is http://127.0.0.1).
   */
  readonly allowInsecureHttp?: boolean;
  /**
   * The session's request-rate ceiling. Default REQUEST_RATE_LIMIT, which every host uses; only tests that run
   * hundreds of sessions against a local server pass a higher one, to spend their time on what they check rather
   * than on the pace a public server needs.
   */
  readonly rateLimit?: RequestRateLimit;
}

export const DEFAULT_RETRY_WINDOW_MS = 20_000;

/** The most we read of any response body: both APIs cap payloads at 4096 bytes. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface HttpRequest {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
  /** The local time the response arrived: the base of every expiry read from it (clock-skew safe). */
  readonly receivedAt: number;
}

/** The latest a request may still be running, besides its own timeout. */
export interface RequestDeadline {
  /** Local time (on the runtime's clock). */
  readonly at: number;
  /**
   * True when `at` is the session's end: a request cut off there fails `expired`, as nothing the server could
   * still answer would be of use. False for a retry window (create, join, discover, cancel): `network`.
   */
  readonly sessionEnds: boolean;
}

/** What a transcript entry records of a response besides status and size. */
export type ValidatorsOf = (response: Pick<HttpResponse, "headers" | "body">) => {
  readonly etag?: string;
  readonly sequenceToken?: string;
};

function positiveDuration(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`${what} must be a positive number, got ${value}`);
  return value;
}

export class Transport {
  readonly runtime: Runtime;
  readonly retryWindowMs: number;
  private readonly requestTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly validatorsOf: ValidatorsOf;
  private readonly allowInsecureHttp: boolean;
  /** The session's request-rate ceiling: one Transport per session, whoever of its calls asks. */
  private readonly pacer: RequestPacer;

  constructor(options: RendezvousClientOptions, validatorsOf: ValidatorsOf) {
    this.runtime = options.runtime;
    this.retryWindowMs = positiveDuration(options.retryWindowMs, DEFAULT_RETRY_WINDOW_MS, "retryWindowMs");
    this.requestTimeoutMs = positiveDuration(
      options.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
      "requestTimeoutMs",
    );
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.validatorsOf = validatorsOf;
    this.allowInsecureHttp = options.allowInsecureHttp === true;
    this.pacer = new RequestPacer(options.rateLimit);
  }

  now(): number {
    return this.runtime.now();
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return this.runtime.sleep(ms, signal);
  }

  /**
   * Refuses a plain-http URL unless the caller allowed it (`allowInsecureHttp`) and it names a loopback host.
   * Every request passes here, so a redirect or a session URL from the server cannot downgrade a session either.
   */
  requireSecureTransport(url: string): void {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      // Not a URL at all: the request fails as one (the callers check URLs first; this is only the http gate).
      return;
    }
    if (parsed.protocol !== "http:") return;
    if (!this.allowInsecureHttp) {
      throw new RendezvousError(
        "insecure_transport",
        "the rendezvous URL is plain http; pass allowInsecureHttp only for a local development server",
      );
    }
    if (!isLoopbackHostname(parsed.hostname)) {
      throw new RendezvousError(
        "insecure_transport",
        `the rendezvous URL is plain http to ${outsideText(parsed.host, 100)}, which is not this machine: ` +
          "allowInsecureHttp admits loopback hosts only (127.0.0.0/8, [::1], localhost)",
      );
    }
  }

  /** Sleeps until local time `time` (not at all if it has passed). */
  async sleepUntil(time: number, signal: AbortSignal): Promise<void> {
    const wait = time - this.now();
    if (wait > 0) await this.sleep(wait, signal);
    signal.throwIfAborted();
  }

  /** Waits until the request-rate ceiling (REQUEST_RATE_LIMIT, or the `rateLimit` option) lets the next request start. */
  async readyForRequest(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    while (this.pacer.earliestStart() > this.now()) await this.sleepUntil(this.pacer.earliestStart(), signal);
  }

  /**
   * Waits for the rate ceiling and counts a request as starting now, in one step: nothing else of this session can
   * take the same turn between the wait and the count. Returns the start time.
   */
  private async startRequest(signal: AbortSignal): Promise<number> {
    for (;;) {
      await this.readyForRequest(signal);
      const now = this.now();
      if (this.pacer.earliestStart() <= now) {
        this.pacer.take(now);
        return now;
      }
    }
  }

  /**
   * One HTTP request, whatever its status, answer body included, cut off after `requestTimeoutMs` or at
   * `deadline`, whichever is first: `network` (or `expired` at a session's end). Other network failures throw
   * `network`; an abort rethrows the signal's reason; a plain-http URL that is not allowed throws
   * `insecure_transport` before anything is sent. Requests keep to the session's rate ceiling
   * (REQUEST_RATE_LIMIT), whoever asks.
   */
  async exchange(
    request: HttpRequest,
    signal: AbortSignal,
    deadline: RequestDeadline,
  ): Promise<HttpResponse> {
    this.requireSecureTransport(request.url);
    // Counted even when the deadline then leaves no time to send it: the ceiling errs on the side of fewer requests.
    const startedAt = await this.startRequest(signal);
    const requestBytes = request.body?.length;
    const record = (result: {
      status?: number;
      responseBytes?: number;
      etag?: string;
      sequenceToken?: string;
      error?: string;
    }): void => {
      this.runtime.transcript(
        httpEntry({
          layer: "rendezvous",
          method: request.method,
          url: request.url,
          time: startedAt,
          ...(requestBytes === undefined || requestBytes === 0 ? {} : { requestBytes }),
          ...result,
        }),
      );
    };

    const budgetMs = Math.min(this.requestTimeoutMs, deadline.at - startedAt);
    const endsSession = deadline.sessionEnds && deadline.at - startedAt <= this.requestTimeoutMs;
    const cutOff = (): RendezvousError =>
      remember(
        endsSession
          ? new RendezvousError(
              "expired",
              `${request.method}: the rendezvous session ended before the server's answer was complete`,
            )
          : new RendezvousError(
              "network",
              budgetMs > 0
                ? `${request.method}: no complete answer within ${budgetMs} ms`
                : `${request.method}: no time left before the deadline to send it`,
            ),
      );
    if (budgetMs <= 0) {
      const error = cutOff();
      record({ error: error.message });
      throw error;
    }

    const limit = deadlineSignal(this.runtime.sleep, budgetMs, signal);
    let response: Response;
    let body: Uint8Array;
    let receivedAt: number;
    try {
      response = await untilAborted(
        this.runtime.fetch(request.url, {
          method: request.method,
          headers: request.headers ?? {},
          // Bytes, never a string: Node's fetch would add `;charset=UTF-8`, which Synapse's v2024 API refuses.
          ...(request.body === undefined ? {} : { body: request.body as Uint8Array<ArrayBuffer> }),
          // Redirects are followed by the caller (v2024 create), so that each hop is its own transcript entry.
          redirect: "manual",
          cache: "no-store",
          signal: limit.signal,
        }),
        limit.signal,
      );
      receivedAt = this.now();
      body = await readLimited(response, MAX_RESPONSE_BYTES, limit.signal);
    } catch (error) {
      if (signal.aborted) {
        record({ error: "aborted" });
        throw signal.reason;
      }
      if (limit.timedOut()) {
        const cut = cutOff();
        record({ error: cut.message });
        throw cut;
      }
      if (limit.signal.aborted) {
        // The clock's own sleep failed (a broken test clock): not the network's doing.
        record({ error: "aborted" });
        throw limit.signal.reason;
      }
      if (error instanceof RendezvousError) {
        record({ error: error.message });
        throw error;
      }
      const message = error instanceof Error ? describeNetworkError(error) : outsideText(String(error));
      record({ error: `network: ${message}` });
      throw new RendezvousError("network", `${request.method} failed: ${message}`, { cause: error });
    } finally {
      limit.dispose();
    }
    const result: HttpResponse = { status: response.status, headers: response.headers, body, receivedAt };
    record({ status: response.status, responseBytes: body.length, ...this.validatorsOf(result) });
    return result;
  }

  /**
   * Waits before retrying a transient failure, or throws it when the retry could not start before `deadline`
   * (the session's expiry): retrying is pointless once the server has forgotten the session.
   */
  async waitBeforeRetry(
    error: RendezvousError,
    failures: number,
    deadline: number,
    signal: AbortSignal,
  ): Promise<void> {
    const delay = error.retryAfterMs ?? backoffDelay(this.backoff, failures);
    if (this.now() + delay >= deadline) throw error;
    await this.sleep(delay, signal);
    signal.throwIfAborted();
  }

  /**
   * `exchange`, retrying network failures, 429 and 5xx until `deadline()`; returns the first other response.
   * The deadline is read again before each attempt, as responses may move a session's expiry. When the session
   * ends during a retry, the error is the failure that made us retry (as when the retry cannot start before the
   * end): the network down or the server failing until the end is what the user must know, not the lifetime. A
   * server that only never answered in time stays `expired`.
   */
  async request(
    request: HttpRequest,
    signal: AbortSignal,
    deadline: () => RequestDeadline,
  ): Promise<HttpResponse> {
    let failure: RendezvousError | undefined;
    for (let failures = 0; ; failures++) {
      try {
        const response = await this.exchange(request, signal, deadline());
        const transient = transientStatusError(response);
        if (transient === undefined) return response;
        failure = transient;
      } catch (error) {
        // A request the server never answered in time (cut off) is not a cause of its own: at the session's end
        // it is `expired`, as a server that never answers is (docs/protocol.md §2).
        if (failure !== undefined && !CUT_OFF.has(failure) && isRendezvousError(error, "expired"))
          throw failure;
        if (!isTransient(error)) throw error;
        failure = error;
      }
      await this.waitBeforeRetry(failure, failures, deadline().at, signal);
    }
  }
}

/** The errors of requests cut off for want of a complete answer in time (`exchange`'s cutOff). */
const CUT_OFF = new WeakSet<RendezvousError>();

function remember(error: RendezvousError): RendezvousError {
  CUT_OFF.add(error);
  return error;
}

async function readLimited(response: Response, limit: number, signal: AbortSignal): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await untilAborted(reader.read(), signal);
      if (done) break;
      total += value.length;
      if (total > limit) {
        throw new RendezvousError("invalid_response", `response body over ${limit} bytes`, {
          status: response.status,
        });
      }
      chunks.push(value);
    }
  } catch (error) {
    // The rest of the body is not wanted: let the stream (and its connection) go. How that cancellation itself
    // ends concerns no one, the request has already failed with `error`.
    reader.cancel().catch(() => undefined);
    throw error;
  }
  return concatBytes(...chunks);
}

// Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, "other side closed") is in `cause`.
function describeNetworkError(error: Error): string {
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return outsideText(
      typeof code === "string" ? `${error.message} (${code})` : `${error.message} (${cause.message})`,
    );
  }
  return outsideText(error.message);
}

/** 429 and 5xx as the errors they become once the deadline passes; undefined for any other status. */
export function transientStatusError(response: HttpResponse): RendezvousError | undefined {
  if (response.status === 429) {
    const retryAfterMs = retryAfterOf(response);
    return new RendezvousError("rate_limited", "the server is rate limiting us (429)", {
      status: 429,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (response.status >= 500 && response.status <= 599) {
    return new RendezvousError("server_error", `the server failed (${response.status})`, {
      status: response.status,
    });
  }
  return undefined;
}

/** The server's advised wait: `retry_after_ms` in a Matrix error body, else `Retry-After` (seconds or date). */
export function retryAfterOf(response: HttpResponse): number | undefined {
  const fromBody = jsonObjectOrUndefined(response.body)?.retry_after_ms;
  if (typeof fromBody === "number" && Number.isFinite(fromBody) && fromBody >= 0) return fromBody;
  const header = response.headers.get("retry-after")?.trim();
  if (header === undefined || header === "") return undefined;
  if (/^\d+$/.test(header)) return Number(header) * 1000;
  const at = Date.parse(header);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, msUntilServerTime(at, response));
}

/**
 * The bounds on any session lifetime a server states. Below 5 s (0, negative, an `Expires` already past, as a
 * cached answer or a skewed proxy can send) the flow would give up before a single poll; above 30 min we would
 * keep retrying a session the server has long forgotten. Real servers sit well inside: Synapse 60 s (v2024) and
 * 120 s (v2025), Tuwunel 600 s (docs/protocol.md §2).
 */
export const MIN_SESSION_LIFETIME_MS = 5_000;
export const MAX_SESSION_LIFETIME_MS = 30 * 60_000;

/**
 * The local time at which a session the server says lives `lifetimeMs` from `response` ends, the lifetime
 * clamped to [MIN_SESSION_LIFETIME_MS, MAX_SESSION_LIFETIME_MS]. Counted from when the response arrived, so a
 * lifetime is never compared with the server's clock.
 */
export function expiryAfter(response: HttpResponse, lifetimeMs: number): number {
  return (
    response.receivedAt + Math.min(MAX_SESSION_LIFETIME_MS, Math.max(MIN_SESSION_LIFETIME_MS, lifetimeMs))
  );
}

/**
 * How long from `response` until `serverTime`, a moment on the server's clock (`Expires`, a `Retry-After`
 * date, `expires_ts`): read against the same response's `Date`, the server's clock never meets ours, so skew
 * cancels out. Without `Date`, `serverTime` is read against the local time the response arrived.
 */
export function msUntilServerTime(serverTime: number, response: HttpResponse): number {
  const serverNow = Date.parse(response.headers.get("date") ?? "");
  return serverTime - (Number.isNaN(serverNow) ? response.receivedAt : serverNow);
}

/** The session's end from `Expires - Date` (`msUntilServerTime`, `expiryAfter`); undefined without `Expires`. */
export function expiryFromHeaders(response: HttpResponse): number | undefined {
  const expires = Date.parse(response.headers.get("expires") ?? "");
  if (Number.isNaN(expires)) return undefined;
  return expiryAfter(response, msUntilServerTime(expires, response));
}

/** A JSON object body, or undefined for anything else (not strict UTF-8, not JSON, not an object). */
export function jsonObjectOrUndefined(body: Uint8Array): Record<string, unknown> | undefined {
  const text = decodeUtf8(body);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON object body, or `invalid_response`. */
export function jsonObjectOf(response: HttpResponse, what: string): Record<string, unknown> {
  const object = jsonObjectOrUndefined(response.body);
  if (object === undefined) {
    throw new RendezvousError("invalid_response", `${what}: the body is not a JSON object`, {
      status: response.status,
    });
  }
  return object;
}

/** The Matrix `errcode` of an error body, if it has one (a proxy's HTML error page has none). */
export function errcodeOf(response: HttpResponse): string | undefined {
  const errcode = jsonObjectOrUndefined(response.body)?.errcode;
  return typeof errcode === "string" ? errcode : undefined;
}

/** Strict UTF-8 text of a body, or `invalid_response`. */
export function textOf(response: HttpResponse, what: string): string {
  const text = decodeUtf8(response.body);
  if (text === undefined) {
    throw new RendezvousError("invalid_response", `${what}: the body is not UTF-8`, {
      status: response.status,
    });
  }
  return text;
}

export function unexpectedStatus(response: HttpResponse, what: string): RendezvousError {
  const errcode = errcodeOf(response);
  return new RendezvousError(
    "invalid_response",
    `${what}: unexpected status ${response.status}${errcode === undefined ? "" : ` ${outsideText(errcode)}`}`,
    { status: response.status },
  );
}

/** The statuses every rendezvous call maps the same way. */
export function commonStatusError(response: HttpResponse, what: string): RendezvousError | undefined {
  switch (response.status) {
    case 401:
      return new RendezvousError("unauthorized", `${what}: the server needs sign-in (401)`, { status: 401 });
    case 403:
      return new RendezvousError("forbidden", `${what}: the server refused (403)`, { status: 403 });
    case 413:
      return new RendezvousError("too_large", `${what}: the message is too large for the server (413)`, {
        status: 413,
      });
    default:
      return undefined;
  }
}
