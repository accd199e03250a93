// The OAuth client's HTTP: the options every call takes, the bounded fetch handed to oauth4webapi as its
// `customFetch` (transcript layer `oauth`), and the one place where failures become OAuthErrors: transport
// failures, OAuth error bodies (read whatever the HTTP status: MAS answers device-grant errors with 403), unexpected
// statuses, and answers oauth4webapi finds malformed. oauth4webapi's own errors carry the response body in their
// `cause` (a token response holds tokens), so they are never attached to ours; only their fixed messages are kept.
import * as oauth from "oauth4webapi";
import { outsideText } from "../../src-shared/errors";
import { createBoundedFetch, HttpTransportError, type BoundedFetch } from "../http";
import type { Runtime } from "../protocol";
import { OAuthError } from "./errors";

/** What every call of the OAuth client takes. */
export interface OAuthCallOptions {
  readonly runtime: Runtime;
  /** Cancels the call; it then rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /**
   * Admit plain http to loopback hosts (a local development server such as the devserver). Never admits http to
   * any other host. Default false.
   */
  readonly allowInsecureHttp?: boolean;
  /** Time for one request (headers and body), on the runtime's clock. Default 20 s. */
  readonly requestTimeoutMs?: number;
  /** The largest response body read. Default 256 KiB (auth metadata is a few KiB). */
  readonly maxResponseBytes?: number;
  /** The numbered flow step the transcript entries belong to (`A-S4`). */
  readonly step?: string;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;

export function oauthFetch(options: OAuthCallOptions): BoundedFetch {
  return createBoundedFetch({
    runtime: options.runtime,
    layer: "oauth",
    signal: options.signal,
    timeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    allowInsecureHttp: options.allowInsecureHttp === true,
    ...(options.step === undefined ? {} : { step: options.step }),
  });
}

// oauth4webapi marks its http switch deprecated so that it stands out; the bounded fetch admits http to loopback
// only, and the switch (all or nothing) is turned on only where that policy already decides.
// eslint-disable-next-line @typescript-eslint/no-deprecated
const ALLOW_HTTP = oauth.allowInsecureRequests;

/** The options oauth4webapi's request functions take: our fetch, and its http switch only when we allow http. */
export function libraryOptions(options: OAuthCallOptions) {
  const customFetch = oauthFetch(options);
  return options.allowInsecureHttp === true
    ? { [oauth.customFetch]: customFetch, [ALLOW_HTTP]: true }
    : { [oauth.customFetch]: customFetch };
}

/** An OAuth error response body (RFC 6749 §5.2): `error`, and `error_description` when it is a string. */
export interface OAuthErrorBody {
  readonly error: string;
  readonly description?: string;
}

/**
 * The `error` of a JSON body, whatever the status; undefined for anything else (an HTML page, a bare 500, a Matrix
 * error).
 */
export async function oauthErrorBodyOf(response: Response): Promise<OAuthErrorBody | undefined> {
  let json: unknown;
  try {
    json = await response.clone().json();
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const { error, error_description: description, errcode } = json as Record<string, unknown>;
  // A Matrix error (`errcode` beside a human-readable `error`), from the homeserver or a proxy, is not an OAuth one.
  if (typeof error !== "string" || error === "" || errcode !== undefined) return undefined;
  return typeof description === "string" ? { error, description } : { error };
}

/** ` ("description")`, made safe, or nothing. */
export function described(body: OAuthErrorBody): string {
  return body.description === undefined ? "" : ` (${outsideText(body.description)})`;
}

/** The meaning most endpoints give an OAuth error code; callers handle their endpoint's own codes first. */
export function genericOAuthError(what: string, body: OAuthErrorBody, status: number): OAuthError {
  const code = outsideText(body.error, 64);
  const message = `${what}: the server answered ${code}${described(body)}`;
  switch (body.error) {
    case "invalid_client":
      return new OAuthError("invalid_client", message, { status, clientRejected: true });
    case "invalid_scope":
      return new OAuthError("invalid_scope", message, { status });
    case "access_denied":
      return new OAuthError("declined", message, { status });
    case "expired_token":
      return new OAuthError("expired", message, { status, reason: "expired_token" });
    case "server_error":
    case "temporarily_unavailable":
      return new OAuthError("server_error", message, { status, reason: body.error });
    case "slow_down":
      return new OAuthError("rate_limited", message, { status, reason: "slow_down" });
    default:
      return new OAuthError("authorization_failed", message, { status, reason: code });
  }
}

/** A status the endpoint does not answer with, and no OAuth error body to say why. */
export function statusError(what: string, status: number): OAuthError {
  if (status === 429) return new OAuthError("rate_limited", `${what}: rate limited (429)`, { status });
  if (status >= 500 && status <= 599) {
    return new OAuthError("server_error", `${what}: the server failed (${status})`, { status });
  }
  return new OAuthError("invalid_response", `${what}: unexpected status ${status}`, {
    status,
    reason: "unexpected_status",
  });
}

const INSECURE_LIBRARY_CODES: ReadonlySet<string> = new Set([
  oauth.HTTP_REQUEST_FORBIDDEN,
  oauth.REQUEST_PROTOCOL_FORBIDDEN,
]);

/**
 * Anything a call threw, as what the caller should see: the signal's reason after an abort, an OAuthError for
 * every failure that came from outside, and anything else (our own misuse) unchanged.
 */
export function oauthFailure(error: unknown, what: string, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (error instanceof OAuthError) return error;
  if (error instanceof HttpTransportError) {
    switch (error.code) {
      case "network":
        return new OAuthError("network", `${what}: ${error.message}`, { cause: error });
      case "timeout":
        return new OAuthError("timeout", `${what}: ${error.message}`, { cause: error });
      case "truncated":
        return new OAuthError("network", `${what}: ${error.message}`, { reason: "truncated", cause: error });
      case "too_large":
        return new OAuthError("invalid_response", `${what}: ${error.message}`, { reason: "too_large" });
      case "insecure_transport":
        return new OAuthError("insecure_transport", `${what}: ${error.message}`);
    }
  }
  if (error instanceof oauth.OperationProcessingError) {
    if (INSECURE_LIBRARY_CODES.has(error.code ?? "")) {
      return new OAuthError("insecure_transport", `${what}: ${error.message}`);
    }
    return new OAuthError("invalid_response", `${what}: ${error.message}`, {
      reason: (error.code ?? "invalid_response").replace(/^OAUTH_/, "").toLowerCase(),
    });
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    return new OAuthError("invalid_response", `${what}: ${error.message}`, { reason: "unsupported" });
  }
  if (error instanceof oauth.ResponseBodyError) {
    return genericOAuthError(
      what,
      {
        error: error.error,
        ...(error.error_description === undefined ? {} : { description: error.error_description }),
      },
      error.status,
    );
  }
  return error;
}

/**
 * One request to an OAuth endpoint: `send` it, then either hand a response with the expected status to `read`
 * (oauth4webapi's validation), or turn any other answer into an OAuthError: its OAuth error body through
 * `onError` (undefined: the generic meaning), else its status.
 */
export async function callEndpoint<T>(
  what: string,
  options: OAuthCallOptions,
  expectedStatus: number,
  send: () => Promise<Response>,
  read: (response: Response) => Promise<T>,
  onError?: (body: OAuthErrorBody, status: number) => OAuthError | undefined,
): Promise<T> {
  try {
    const response = await send();
    if (response.status !== expectedStatus) {
      const body = await oauthErrorBodyOf(response);
      if (body !== undefined) {
        throw onError?.(body, response.status) ?? genericOAuthError(what, body, response.status);
      }
      throw statusError(what, response.status);
    }
    return await readAnswer(what, response, read);
  } catch (error) {
    throw oauthFailure(error, what, options.signal);
  }
}

/**
 * `read(response)`, where a TypeError from oauth4webapi's checks of the body is the server's doing: the library
 * puts a value it refuses into its message, and a hostile JSON object (`{"toString": "x"}` for `expires_in`)
 * cannot be turned into text, so its check fails with "Cannot convert object to primitive value" instead.
 */
export async function readAnswer<T>(
  what: string,
  response: Response,
  read: (response: Response) => Promise<T>,
): Promise<T> {
  try {
    return await read(response);
  } catch (error) {
    if (error instanceof TypeError && error.message === "Cannot convert object to primitive value") {
      throw new OAuthError("invalid_response", `${what}: a value of the answer is not what it should be`, {
        reason: "invalid_value",
        cause: error,
      });
    }
    throw error;
  }
}

/** Waits for `promise`, or rejects with the signal's reason as soon as it aborts (the promise runs on). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise
      .finally(() => {
        signal.removeEventListener("abort", onAbort);
      })
      .then(resolve, reject);
  });
}
