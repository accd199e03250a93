// The tokens of one signed-in device, as plain data the caller persists (the app keeps them in safeStorage), and
// how they are read from a token response (RFC 6749 §5.1) that oauth4webapi has already validated.
import type * as oauth from "oauth4webapi";
import { OAuthError } from "./errors";

export interface TokenSet {
  readonly accessToken: string;
  /** Absent when the server issues none (a client that did not register the `refresh_token` grant). */
  readonly refreshToken?: string;
  /** When the access token expires, on the runtime's clock (ms); absent when the server gave no `expires_in`. */
  readonly expiresAt?: number;
  /** The scope granted: the server's `scope`, or the one requested when it sends none (RFC 6749 §5.1). */
  readonly scope: string;
}

/**
 * When a token given at `receivedAt` for `expiresIn` seconds expires, or undefined when that moment is past any
 * time a clock or a stored profile holds (`expires_in: 1e308` is finite, its milliseconds are not): such a token
 * is treated as one without `expires_in`, refreshed when the homeserver refuses it.
 */
function expiryOf(receivedAt: number, expiresIn: number): number | undefined {
  const expiresAt = receivedAt + expiresIn * 1000;
  return Number.isFinite(expiresAt) && expiresAt <= Number.MAX_SAFE_INTEGER ? expiresAt : undefined;
}

/** A TokenSet from a token response received at `receivedAt` (runtime clock). */
export function tokenSetFrom(
  response: oauth.TokenEndpointResponse,
  requestedScope: string,
  receivedAt: number,
): TokenSet {
  const refreshToken = response.refresh_token;
  const expiresAt = response.expires_in === undefined ? undefined : expiryOf(receivedAt, response.expires_in);
  return {
    accessToken: response.access_token,
    ...(refreshToken === undefined ? {} : { refreshToken }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    scope: response.scope ?? requestedScope,
  };
}

/**
 * The granted scope must hold the device scope we asked for: a token for another device (or none) would sign us in
 * as the wrong device, and the other device's "does it exist" check would look for the wrong one.
 */
export function checkDeviceScope(tokens: TokenSet, expectedDeviceScope: string, what: string): TokenSet {
  if (!tokens.scope.split(" ").includes(expectedDeviceScope)) {
    throw new OAuthError("invalid_response", `${what}: the token was granted without our device scope`, {
      reason: "device_scope_missing",
    });
  }
  return tokens;
}
