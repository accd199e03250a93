// Typed errors of the rendezvous clients. They are not ProtocolErrors: their codes are about the HTTP session
// (expiry, conflicts, rate limits, the network), not about bytes a peer sent, and the flows map them to the
// `expired`, `rate_limited`, `network`, `server_error`, `proxy_interference` and `server_unsupported` of
// docs/ux.md.
// Cancellation is not an error code: an aborted call rethrows its signal's reason unchanged.

export type RendezvousErrorCode =
  /**
   * The session is gone: 404 on an existing session (expired, cancelled by the peer, or evicted), or its lifetime
   * ran out on our clock while we waited (polling, or a request whose answer had not come by then).
   */
  | "expired"
  /** Someone else wrote the session between our read and our write (v2024 412, v2025 409). */
  | "concurrent_write"
  /** 429 until the session's deadline. */
  | "rate_limited"
  /** 403: the server refuses us (policy, Sec-Fetch checks). */
  | "forbidden"
  /** 401: the server wants an access token (MSC4388 `authenticated` mode). */
  | "unauthorized"
  /** The server does not serve this rendezvous API (404 `M_UNRECOGNIZED` or 405). */
  | "not_supported"
  /**
   * Connection failures (a request with no complete answer within its timeout among them) until the session's
   * deadline, or a lost write that can no longer be recovered.
   */
  | "network"
  /** 5xx until the session's deadline. */
  | "server_error"
  /** ETags or sequence tokens are altered between us and the server (docs/ux.md); `reason` names the evidence. */
  | "proxy_interference"
  /** 413: the message is larger than the server accepts. */
  | "too_large"
  /** The server answered something malformed, or a status the API does not allow at that step. */
  | "invalid_response"
  /**
   * A rendezvous URL (from a QR code, the homeserver, a redirect) is plain http and the caller did not pass
   * `allowInsecureHttp: true`. Refused before any request goes out.
   */
  | "insecure_transport";

/** What made us conclude that something between us and the server rewrites validators. */
export type ProxyInterferenceReason =
  /** A `W/` ETag: servers send strong ones; nginx's gzip filter weakens them, and If-Match never passes. */
  | "weak_etag"
  /** A response that should carry an ETag has none (stripped on the way). */
  | "etag_missing"
  /** The server refused a precondition with the very ETag it reports as current. */
  | "precondition_loop"
  /** The session content is what we last saw, yet the server refuses the ETag we were given for it. */
  | "etag_rewritten"
  /** A full 200 answer to If-None-Match carrying the tag we sent: the validator we hold is not the server's. */
  | "validator_ignored"
  /** The ETag changed while the content did not: no write happened, so the tag was altered. */
  | "etag_changed_without_write"
  /** v2025: the sequence token changed while the data did not (every real write here carries new data). */
  | "token_changed_without_write"
  /** v2025: the data is what we last saw, yet the server refuses the sequence token we were given for it. */
  | "token_rewritten"
  /** v2025: other data under the token we hold: a write was altered on the way (every write changes the token). */
  | "data_changed_without_token";

/** Why a `network` error is final even though the session is still alive. */
export type NetworkFailureReason =
  /**
   * v2025: a write of ours may have landed (its answer was a 5xx or never came) and the peer has answered it
   * since. The peer sealed its answer against the sequence token that lost answer carried, so it can never be
   * opened (MSC4388 AAD; a server with `PUT {id}/{txnId}` avoids this).
   */
  "write_answer_lost";

export type RendezvousErrorReason = ProxyInterferenceReason | NetworkFailureReason;

export class RendezvousError extends Error {
  override readonly name = "RendezvousError";
  readonly code: RendezvousErrorCode;
  /** The HTTP status that caused it, when there was one. */
  readonly status?: number;
  /** For `proxy_interference`: the evidence; for a final `network`: why it is final. */
  readonly reason?: RendezvousErrorReason;
  /** For `rate_limited`: the wait the server asked for (`retry_after_ms` or `Retry-After`). */
  readonly retryAfterMs?: number;

  constructor(
    code: RendezvousErrorCode,
    message: string,
    details: {
      readonly status?: number;
      readonly reason?: RendezvousErrorReason;
      readonly retryAfterMs?: number;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.reason !== undefined) this.reason = details.reason;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }
}

export function isRendezvousError(error: unknown, code?: RendezvousErrorCode): error is RendezvousError {
  return error instanceof RendezvousError && (code === undefined || error.code === code);
}

export function proxyInterference(reason: ProxyInterferenceReason, message: string): RendezvousError {
  return new RendezvousError("proxy_interference", `${message} (${reason})`, { reason });
}

/** Failures worth retrying until the session's deadline (docs/protocol.md §2, docs/ux.md: retry in the lifetime). */
export function isTransient(error: unknown): error is RendezvousError {
  return (
    error instanceof RendezvousError &&
    (error.code === "network" || error.code === "server_error" || error.code === "rate_limited")
  );
}
