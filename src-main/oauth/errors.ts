// Typed errors of the OAuth client: a closed set of codes, each folded into the user's vocabulary by
// OAUTH_ERROR_TABLE in src-shared/errors.ts. Cancellation is not a code: an aborted call rethrows its signal's
// reason. Messages carry server text only through `outsideText`, and never a token, a code or a body. Pure
// TypeScript: the renderer's type check reads this file.

export type OAuthErrorCode =
  /** A server name's `.well-known/matrix/client` is unusable; `reason` names how (HTML, a redirect loop...). */
  | "invalid_homeserver"
  /** No auth metadata on any path (Matrix v1.15, MSC2965 unstable, the legacy `auth_issuer`). */
  | "no_oauth_api"
  /** The server has no device authorization grant (no endpoint, or not in `grant_types_supported`). */
  | "no_device_grant"
  /** Dynamic client registration is missing or refused our metadata. */
  | "registration_refused"
  /** The device authorization endpoint refuses the grant itself (MAS with the grant off: 400 `invalid_request`). */
  | "device_grant_disabled"
  /** The server refused the Matrix scopes in both families. */
  | "invalid_scope"
  /** The server does not know our client (`invalid_client`), even after registering again. */
  | "invalid_client"
  /** The user declined on the consent page (`access_denied`). */
  | "declined"
  /** The device code or the browser sign-in ran out of time (`expired_token`, `expires_in`, `timeoutMs`). */
  | "expired"
  /** The session ended on the server: a refresh was answered `invalid_grant` (signed out elsewhere, revoked). */
  | "signed_out"
  /** The caller's `openUrl` could not open the browser. */
  | "browser_unavailable"
  /** The server ended the sign-in with an OAuth error not listed above; `reason` is its `error` code. */
  | "authorization_failed"
  /** 429 (and no `slow_down` to follow). */
  | "rate_limited"
  /** The connection failed. */
  | "network"
  /** No complete answer in time. */
  | "timeout"
  /** 5xx, or an OAuth `server_error` / `temporarily_unavailable`. */
  | "server_error"
  /** A malformed answer: not JSON, wrong types, missing fields, too large, cut short, an unexpected status. */
  | "invalid_response"
  /** A URL (homeserver, issuer, endpoint, redirect) is plain http to another machine, or http without opt-in. */
  | "insecure_transport";

export const OAUTH_ERROR_CODES: readonly OAuthErrorCode[] = [
  "invalid_homeserver",
  "no_oauth_api",
  "no_device_grant",
  "registration_refused",
  "device_grant_disabled",
  "invalid_scope",
  "invalid_client",
  "declined",
  "expired",
  "signed_out",
  "browser_unavailable",
  "authorization_failed",
  "rate_limited",
  "network",
  "timeout",
  "server_error",
  "invalid_response",
  "insecure_transport",
];

export interface OAuthErrorDetails {
  /** A finer cause (`well_known_not_json`, `expires_in`, an OAuth `error` code...); machine-readable. */
  readonly reason?: string;
  /** The HTTP status that caused it, when there was one. */
  readonly status?: number;
  /**
   * The server no longer accepts our client ID (`invalid_client`, or MAS's `unauthorized_client` for a client
   * registered without the grant): registering again may help (`withRegisteredClient` does it once).
   */
  readonly clientRejected?: boolean;
  readonly cause?: unknown;
}

export class OAuthError extends Error {
  override readonly name = "OAuthError";
  readonly code: OAuthErrorCode;
  readonly reason?: string;
  readonly status?: number;
  readonly clientRejected: boolean;

  constructor(code: OAuthErrorCode, message: string, details: OAuthErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.reason !== undefined) this.reason = details.reason;
    if (details.status !== undefined) this.status = details.status;
    this.clientRejected = details.clientRejected === true;
  }
}

export function isOAuthError(error: unknown, code?: OAuthErrorCode): error is OAuthError {
  return error instanceof OAuthError && (code === undefined || error.code === code);
}
