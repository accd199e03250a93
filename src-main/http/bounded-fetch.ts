// A fetch for talking to servers we do not control (the homeserver, its OAuth server): every request is checked
// against the transport policy, limited in time on the runtime's clock (headers and body together), limited in
// size (the body is read here, up to a cap, and handed on buffered), and recorded in the transcript as method,
// host, path, status and sizes: never a query, a header, a body, a token or a code. Cancellation surfaces as the
// caller's signal's own reason. Shared by the OAuth client (its `customFetch` for oauth4webapi) and the Matrix
// client-server API; each passes its own transcript layer.
import type { Runtime } from "../protocol";
import { httpEntry, type TranscriptLayer } from "../../src-shared/transcript";
import { HttpTransportError } from "./errors";
import { checkTransport } from "./transport-policy";

export interface BoundedFetchOptions {
  readonly runtime: Runtime;
  /** The transcript layer each request is recorded under. */
  readonly layer: TranscriptLayer;
  /** Aborts every request made through this fetch; the request rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /** Time for one request, from sending to the last byte of the body, on the runtime's clock. */
  readonly timeoutMs: number;
  /** The largest body read; a larger one is `too_large`. */
  readonly maxResponseBytes: number;
  /** Admit plain http to loopback hosts (a local development server); never to anything else. */
  readonly allowInsecureHttp: boolean;
  /** The numbered flow step the transcript entries belong to (`A-S4`). */
  readonly step?: string;
}

/** RequestInit, where any member may also be explicitly undefined (as oauth4webapi passes them). */
export type BoundedRequestInit = { readonly [K in keyof RequestInit]?: RequestInit[K] | undefined };

/** WHATWG fetch's shape; the Response it returns has its body already read (and within the limit). */
export type BoundedFetch = (url: string, init?: BoundedRequestInit) => Promise<Response>;

/** Statuses whose Response may not carry a body (the Response constructor throws otherwise). */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/** Headers that described the body as it travelled; the buffered copy is decoded and whole. */
const TRANSFER_HEADERS: readonly string[] = ["content-length", "content-encoding", "transfer-encoding"];

const encoder = new TextEncoder();

/** Bytes of a request body as it goes out; undefined for none or a stream (never sent by our callers). */
function requestBodySize(body: RequestInit["body"]): number | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return encoder.encode(body).length;
  if (body instanceof URLSearchParams) return encoder.encode(body.toString()).length;
  if (body instanceof Uint8Array) return body.length;
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (body instanceof Blob) return body.size;
  return undefined;
}

// Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, "other side closed") is in `cause`.
function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? `${error.message} (${code})` : `${error.message} (${cause.message})`;
  }
  return error.message;
}

async function readBody(response: Response, limit: number): Promise<Uint8Array> {
  const announced = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(announced) && announced > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new HttpTransportError("too_large", `the response announces ${announced} bytes (limit ${limit})`);
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw new HttpTransportError("truncated", `the body ended early: ${describeNetworkError(error)}`, {
        cause: error,
      });
    }
    if (chunk.done) break;
    total += chunk.value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new HttpTransportError("too_large", `the response body is over ${limit} bytes`);
    }
    chunks.push(chunk.value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

function bufferedResponse(response: Response, body: Uint8Array): Response {
  const headers = new Headers(response.headers);
  for (const name of TRANSFER_HEADERS) headers.delete(name);
  return new Response(NULL_BODY_STATUSES.has(response.status) ? null : (body as Uint8Array<ArrayBuffer>), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

export function createBoundedFetch(options: BoundedFetchOptions): BoundedFetch {
  const { runtime, layer, signal, timeoutMs, maxResponseBytes, allowInsecureHttp, step } = options;
  if (!(timeoutMs > 0)) throw new TypeError(`timeoutMs must be positive, got ${timeoutMs}`);
  if (!(maxResponseBytes > 0))
    throw new TypeError(`maxResponseBytes must be positive, got ${maxResponseBytes}`);

  return async (url, init = {}) => {
    const target = new URL(url);
    const method = (init.method ?? "GET").toUpperCase();
    const startedAt = runtime.now();
    const requestBytes = requestBodySize(init.body);
    const record = (result: { status?: number; responseBytes?: number; error?: string }): void => {
      runtime.transcript(
        httpEntry({
          layer,
          method,
          url: target,
          time: startedAt,
          ...(step === undefined ? {} : { step }),
          ...(requestBytes === undefined || requestBytes === 0 ? {} : { requestBytes }),
          ...result,
        }),
      );
    };

    try {
      checkTransport(target, allowInsecureHttp);
    } catch (error) {
      record({ error: "refused: insecure transport" });
      throw error;
    }
    signal.throwIfAborted();

    const controller = new AbortController();
    const stopTimer = new AbortController();
    const timer = { fired: false };
    const onAbort = (): void => {
      controller.abort(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const callerSignal = init.signal ?? undefined;
    callerSignal?.addEventListener("abort", onAbort, { once: true });
    runtime.sleep(timeoutMs, stopTimer.signal).then(
      () => {
        timer.fired = true;
        controller.abort(new HttpTransportError("timeout", `no complete answer within ${timeoutMs} ms`));
      },
      () => undefined,
    );

    try {
      const response = await runtime.fetch(target.href, {
        ...(init as RequestInit),
        signal: controller.signal,
      });
      const body = await readBody(response, maxResponseBytes);
      record({ status: response.status, responseBytes: body.length });
      return bufferedResponse(response, body);
    } catch (error) {
      if (signal.aborted || callerSignal?.aborted === true) {
        record({ error: "aborted" });
        throw signal.aborted ? signal.reason : callerSignal?.reason;
      }
      if (timer.fired) {
        record({ error: `timeout after ${timeoutMs} ms` });
        throw new HttpTransportError(
          "timeout",
          `${method} ${target.host}${target.pathname}: no complete answer within ${timeoutMs} ms`,
        );
      }
      if (error instanceof HttpTransportError) {
        record({ error: error.code });
        throw error;
      }
      const message = describeNetworkError(error);
      record({ error: `network: ${message}` });
      throw new HttpTransportError(
        "network",
        `${method} ${target.host}${target.pathname} failed: ${message}`,
        {
          cause: error,
        },
      );
    } finally {
      stopTimer.abort();
      signal.removeEventListener("abort", onAbort);
      callerSignal?.removeEventListener("abort", onAbort);
    }
  };
}
