// The Matrix device's HTTP: one fetch for matrix-js-sdk (its `fetchFn`) and for our own requests, on the
// runtime's fetch. It
// - puts the access token on requests to the homeserver only (never to another origin), taking it from an
//   `AccessTokenSource` so that the OAuth refresher owns the tokens;
// - on 401 `M_UNKNOWN_TOKEN` asks the source to refresh once and retries; a failed refresh (or none possible)
//   means this device was signed out elsewhere, which it reports (`onSignedOut`);
// - holds back any request that publishes crypto state until the crypto store's snapshot is on disk
//   (`beforePublish`), so that a crash never comes back with keys the server has not seen;
// - writes one transcript entry per request (layer `matrix`: method, host, path, status, sizes; never a body,
//   a query or a token).
import { deadlineSignal, pathSegment, type Runtime } from "../protocol";
import { httpEntry } from "../../src-shared/transcript";
import { MatrixError } from "./errors";
import { untilAborted } from "../../src-shared/until-aborted";

/** Where the device's access token comes from (the OAuth refresher, or a fixed token). */
export interface AccessTokenSource {
  /** The current access token (the refresher may refresh it first, when it is about to expire). */
  accessToken(signal: AbortSignal): Promise<string>;
  /**
   * The homeserver refused `rejected` as `M_UNKNOWN_TOKEN`: refresh and return the new access token. Throw an
   * error whose `code` is `signed_out` when the session is over (the refresh token was refused too).
   */
  refreshAfterUnknownToken?(rejected: string, signal: AbortSignal): Promise<string>;
  /** Revokes the tokens at the OAuth server (signing out here). */
  revoke?(signal: AbortSignal): Promise<void>;
}

/** A token source that always answers the same token and cannot refresh: an unknown token means signed out. */
export function fixedAccessToken(accessToken: string): AccessTokenSource {
  return { accessToken: () => Promise.resolve(accessToken) };
}

export type SdkFetch = typeof globalThis.fetch;

export interface MatrixFetchOptions {
  readonly runtime: Runtime;
  /** The homeserver base URL: only requests to its origin carry the access token. */
  readonly baseUrl: string;
  readonly tokens: AccessTokenSource;
  /** Resolves once crypto state is durable; a request that publishes crypto state waits for it. */
  readonly beforePublish: () => Promise<void>;
  /** This device's session is over on the server. */
  readonly onSignedOut: (cause: unknown) => void;
  /**
   * True once the device stopped: nothing goes out any more (a late upload from the crypto would publish keys
   * that the closed store no longer snapshots).
   */
  readonly isStopped: () => boolean;
}

/** Requests that make the server publish our keys (PROTOCOL: the crypto store must be on disk first). */
const PUBLISHING_PATHS = [
  /\/keys\/upload$/,
  /\/keys\/device_signing\/upload$/,
  /\/keys\/signatures\/upload$/,
  /\/room_keys\/version(?:\/[^/]+)?$/,
];

export function publishesCryptoState(method: string, path: string): boolean {
  return method !== "GET" && method !== "HEAD" && PUBLISHING_PATHS.some((pattern) => pattern.test(path));
}

function urlOf(input: string | URL | Request): string {
  return typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
}

function bodyBytes(body: RequestInit["body"]): number | undefined {
  if (typeof body === "string") return Buffer.byteLength(body);
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  return undefined;
}

async function isUnknownToken(response: Response): Promise<boolean> {
  if (response.status !== 401) return false;
  try {
    const body = (await response.clone().json()) as { errcode?: unknown };
    return body.errcode === "M_UNKNOWN_TOKEN";
  } catch {
    return false;
  }
}

function isSignedOutError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "signed_out";
}

const NEVER = new AbortController().signal;

/** The fetch to hand to matrix-js-sdk as `fetchFn`, and to use for the device's own requests. */
export function createMatrixFetch(options: MatrixFetchOptions): SdkFetch {
  const { runtime, tokens } = options;
  const homeserverOrigin = new URL(options.baseUrl).origin;

  const send = async (url: string, init: RequestInit, token: string | undefined): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (token !== undefined) headers.set("Authorization", `Bearer ${token}`);
    const method = (init.method ?? "GET").toUpperCase();
    const requestBytes = bodyBytes(init.body);
    const base = {
      layer: "matrix" as const,
      method,
      url,
      ...(requestBytes === undefined ? {} : { requestBytes }),
    };
    let response: Response;
    try {
      response = await runtime.fetch(url, { ...init, headers });
    } catch (error) {
      runtime.transcript(
        httpEntry({ ...base, time: runtime.now(), error: error instanceof Error ? error.name : "network" }),
      );
      throw error;
    }
    const length = Number(response.headers.get("content-length") ?? Number.NaN);
    runtime.transcript(
      httpEntry({
        ...base,
        time: runtime.now(),
        status: response.status,
        ...(Number.isSafeInteger(length) ? { responseBytes: length } : {}),
      }),
    );
    return response;
  };

  return async (input, init = {}) => {
    const url = urlOf(input);
    const parsed = new URL(url);
    const method = (init.method ?? "GET").toUpperCase();
    const signal = init.signal ?? NEVER;
    if (options.isStopped()) throw new DOMException("the Matrix device was stopped", "AbortError");
    if (parsed.origin !== homeserverOrigin) return send(url, init, undefined);
    if (publishesCryptoState(method, parsed.pathname)) await options.beforePublish();
    const token = await tokens.accessToken(signal);
    const response = await send(url, init, token);
    if (!(await isUnknownToken(response))) return response;
    if (tokens.refreshAfterUnknownToken === undefined) {
      options.onSignedOut(
        new MatrixError("signed_out", "the homeserver no longer accepts this device's token"),
      );
      return response;
    }
    let refreshed: string;
    try {
      refreshed = await tokens.refreshAfterUnknownToken(token, signal);
    } catch (error) {
      if (!isSignedOutError(error)) throw error;
      options.onSignedOut(error);
      return response;
    }
    const retried = await send(url, init, refreshed);
    if (await isUnknownToken(retried)) {
      options.onSignedOut(new MatrixError("signed_out", "the homeserver refused the refreshed token too"));
    }
    return retried;
  };
}

export interface RetryOptions {
  /** Attempts in all, the first included (default 3). */
  readonly attempts?: number;
  /** Wait before the second attempt, doubled each time (default 500 ms). */
  readonly backoffMs?: number;
  /**
   * Time for one attempt, the whole answer body included, on the runtime's clock (default 20 s): a server that
   * sends nothing, or holds its body back, is a network failure then, retried like one.
   */
  readonly timeoutMs?: number;
}

/** The most of an answer body `requestJson` reads: `/keys/query` for an account with hundreds of devices fits. */
export const MAX_JSON_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface HomeserverRequest {
  readonly method: string;
  /** The path under the base URL, already percent-encoded (`/_matrix/client/v3/devices/ABC`). */
  readonly path: string;
  readonly body?: unknown;
  readonly signal: AbortSignal;
  readonly retry?: RetryOptions;
}

/**
 * One request to the homeserver through `fetch`, JSON in and out. Network failures, 429 and 5xx are retried as
 * `retry` allows and then thrown as `network`, `rate_limited` or `server_error`; a 401 that survived the
 * token source's refresh is `signed_out`. Any other status is returned for the caller to read.
 */
export async function requestJson(
  fetch: SdkFetch,
  runtime: Runtime,
  baseUrl: string,
  request: HomeserverRequest,
): Promise<JsonResponse> {
  const attempts = request.retry?.attempts ?? 3;
  let backoff = request.retry?.backoffMs ?? 500;
  const timeoutMs = request.retry?.timeoutMs ?? 20_000;
  const url = `${baseUrl.replace(/\/+$/, "")}${request.path}`;
  let failure: MatrixError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) {
      await runtime.sleep(backoff, request.signal);
      backoff *= 2;
    }
    const limit = deadlineSignal(runtime.sleep, timeoutMs, request.signal);
    let response: Response;
    let text: string;
    try {
      response = await untilAborted(
        fetch(url, {
          method: request.method,
          signal: limit.signal,
          headers: request.body === undefined ? {} : { "Content-Type": "application/json" },
          ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        }),
        limit.signal,
      );
      text = await readText(response, limit.signal, `${request.method} ${request.path}`);
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason;
      if (isSignedOutError(error) || error instanceof MatrixError) throw error;
      failure = new MatrixError(
        "network",
        limit.timedOut()
          ? `${request.method} ${request.path}: no complete answer within ${timeoutMs} ms`
          : `${request.method} ${request.path}: the homeserver is unreachable`,
        { cause: error },
      );
      continue;
    } finally {
      limit.dispose();
    }
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.status === 429) {
      failure = new MatrixError("rate_limited", `${request.method} ${request.path}: rate limited`, {
        reason: "429",
      });
      continue;
    }
    if (response.status >= 500) {
      failure = new MatrixError(
        "server_error",
        `${request.method} ${request.path}: HTTP ${response.status}`,
        { reason: String(response.status) },
      );
      continue;
    }
    if (response.status === 401) {
      throw new MatrixError(
        "signed_out",
        `${request.method} ${request.path}: the homeserver refused our token`,
      );
    }
    return { status: response.status, body };
  }
  throw failure ?? new TypeError("requestJson needs at least one attempt");
}

/** The body as text (UTF-8, as `Response.text()` reads it), up to MAX_JSON_RESPONSE_BYTES: `server_error` beyond. */
async function readText(response: Response, signal: AbortSignal, what: string): Promise<string> {
  const tooLarge = (): MatrixError =>
    new MatrixError("server_error", `${what}: an answer over ${MAX_JSON_RESPONSE_BYTES} bytes`, {
      reason: "too_large",
    });
  const announced = Number(response.headers.get("content-length") ?? Number.NaN);
  if (announced > MAX_JSON_RESPONSE_BYTES) {
    response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await untilAborted(reader.read(), signal);
      if (done) break;
      total += value.length;
      if (total > MAX_JSON_RESPONSE_BYTES) throw tooLarge();
      chunks.push(value);
    }
  } catch (error) {
    // The rest of the body is not wanted; how its cancellation ends concerns no one, the request failed already.
    reader.cancel().catch(() => undefined);
    throw error;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * A path segment made from outside text (a device ID may hold `/` and `+`: Element X uses its identity key), so
 * that it is exactly one segment of the request path: the protocol's one helper (`.` and `..` too).
 */
export { pathSegment };
