// Typed failures of one HTTP exchange, below any API: the connection failed, the answer took too long, the body was
// too large or cut short, or the URL's transport is not allowed. Each layer that uses the bounded fetch (OAuth, the
// Matrix client-server API) turns them into its own codes; an escaped one still folds into a FlowError through its
// table in src-shared/errors.ts. Pure TypeScript: the renderer's type check reads this file.

export type HttpTransportErrorCode =
  /** The connection failed (refused, reset, DNS) before a complete answer arrived. */
  | "network"
  /** No complete answer (headers and body) within the request's time limit. */
  | "timeout"
  /** The body is larger than the caller's limit (announced by Content-Length, or counted while reading). */
  | "too_large"
  /** The server closed the connection in the middle of the body. */
  | "truncated"
  /** Plain http to anything but loopback, or http at all without `allowInsecureHttp`, or another scheme. */
  | "insecure_transport";

export class HttpTransportError extends Error {
  override readonly name = "HttpTransportError";
  readonly code: HttpTransportErrorCode;

  constructor(code: HttpTransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isHttpTransportError(error: unknown): error is HttpTransportError {
  return error instanceof HttpTransportError;
}
