// Keeps one account's tokens alive. There is exactly one refresher per account: refresh tokens rotate (MAS and the
// devserver issue a new one with each refresh and end the session when an old one is replayed), so two refreshes
// racing with the same refresh token would sign the device out. Every caller that needs a fresh access token at
// the same moment shares one refresh; a refresh, once sent, runs to the end whoever stops waiting, so that rotated
// tokens are never lost. `invalid_grant` on refresh means the session ended elsewhere (signed out, device removed,
// revoked): OAuthError `signed_out`, for good.
import * as oauth from "oauth4webapi";
import { OAuthError } from "./errors";
import { callEndpoint, libraryOptions, untilAborted, type OAuthCallOptions } from "./http";
import { toAuthorizationServer, type AuthMetadata } from "./metadata";
import { tokenSetFrom, type TokenSet } from "./tokens";

export interface TokenRefresherOptions extends Omit<OAuthCallOptions, "signal"> {
  readonly metadata: AuthMetadata;
  readonly clientId: string;
  /** The tokens as last persisted. */
  readonly tokens: TokenSet;
  /** Told about every new token set (a refresh rotated them) before any caller gets the new access token. */
  readonly onTokens: (tokens: TokenSet) => void | Promise<void>;
  /** Refresh this long before the access token expires. Default 60 s. */
  readonly refreshMarginMs?: number;
  /** Ends the refresher's requests in flight (the account is removed, the app quits). */
  readonly signal?: AbortSignal;
}

export interface AccessTokenOptions {
  /**
   * The access token the homeserver just refused (401 `M_UNKNOWN_TOKEN`): refresh unless it has been replaced
   * already.
   */
  readonly rejected?: string;
}

export const DEFAULT_REFRESH_MARGIN_MS = 60_000;

export class TokenRefresher {
  readonly #options: TokenRefresherOptions;
  readonly #lifetime: AbortSignal;
  #tokens: TokenSet;
  #refreshing: Promise<TokenSet> | undefined;
  #ended: OAuthError | undefined;

  constructor(options: TokenRefresherOptions) {
    this.#options = options;
    this.#tokens = options.tokens;
    this.#lifetime = options.signal ?? new AbortController().signal;
  }

  /** The current tokens (for display of expiry, or to persist again); never refreshed by reading them. */
  get tokens(): TokenSet {
    return this.#tokens;
  }

  /** A valid access token: the current one, or, when it expires within the margin, a fresh one (shared refresh). */
  async accessToken(signal: AbortSignal, options: AccessTokenOptions = {}): Promise<string> {
    signal.throwIfAborted();
    if (this.#ended !== undefined) throw this.#ended;
    const rejected = options.rejected !== undefined && options.rejected === this.#tokens.accessToken;
    if (!rejected && !this.#expiresSoon() && this.#refreshing === undefined) return this.#tokens.accessToken;
    const tokens = await untilAborted(this.#refresh(), signal);
    return tokens.accessToken;
  }

  /** Refreshes now (joining a refresh in flight), whatever the expiry. */
  refresh(signal: AbortSignal): Promise<TokenSet> {
    if (this.#ended !== undefined) return Promise.reject(this.#ended);
    return untilAborted(this.#refresh(), signal);
  }

  /**
   * Revokes both tokens at the OAuth server (RFC 7009), after any refresh in flight, so the newest ones are the
   * ones revoked. The server ends the session and the homeserver removes the device. Afterwards every call fails
   * with OAuthError `signed_out`.
   */
  async revoke(signal: AbortSignal): Promise<void> {
    if (this.#refreshing !== undefined)
      await untilAborted(
        this.#refreshing.catch(() => undefined),
        signal,
      );
    const tokens = this.#tokens;
    await revokeTokens(tokens, {
      ...this.#options,
      signal: AbortSignal.any([signal, this.#lifetime]),
    });
    this.#ended = new OAuthError("signed_out", "this device's session was revoked here", {
      reason: "revoked",
    });
  }

  #expiresSoon(): boolean {
    const expiresAt = this.#tokens.expiresAt;
    if (expiresAt === undefined) return false;
    return (
      this.#options.runtime.now() >= expiresAt - (this.#options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS)
    );
  }

  #refresh(): Promise<TokenSet> {
    if (this.#refreshing === undefined) {
      const refreshing = this.#doRefresh().finally(() => {
        this.#refreshing = undefined;
      });
      // Every waiter may have given up; the outcome (tokens kept, or the session ended) is recorded regardless.
      refreshing.catch(() => undefined);
      this.#refreshing = refreshing;
    }
    return this.#refreshing;
  }

  async #doRefresh(): Promise<TokenSet> {
    const previous = this.#tokens;
    const { metadata, clientId, runtime } = this.#options;
    if (previous.refreshToken === undefined) {
      throw this.#end(
        new OAuthError("signed_out", "the access token expired and there is no refresh token", {
          reason: "no_refresh_token",
        }),
      );
    }
    const refreshToken = previous.refreshToken;
    const as = toAuthorizationServer(metadata);
    const client: oauth.Client = { client_id: clientId };
    const options = { ...this.#options, signal: this.#lifetime };
    const what = "token refresh";
    const response = await callEndpoint(
      what,
      options,
      200,
      () => oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, libraryOptions(options)),
      (answer) => oauth.processRefreshTokenResponse(as, client, answer),
      (body, status) => {
        // The grant is gone (signed out elsewhere, revoked, a replayed refresh token), or the client with it.
        if (body.error === "invalid_grant" || body.error === "invalid_client") {
          return this.#end(
            new OAuthError("signed_out", `${what}: the session has ended on the server (${body.error})`, {
              status,
              reason: body.error,
            }),
          );
        }
        return undefined;
      },
    );
    const fresh = tokenSetFrom(response, previous.scope, runtime.now());
    // Without a new refresh token the old one stays valid (RFC 6749 §6).
    const next: TokenSet = fresh.refreshToken === undefined ? { ...fresh, refreshToken } : fresh;
    this.#tokens = next;
    await this.#options.onTokens(next);
    return next;
  }

  #end(error: OAuthError): OAuthError {
    this.#ended = error;
    return error;
  }
}

export interface RevokeTokensOptions extends OAuthCallOptions {
  readonly metadata: AuthMetadata;
  readonly clientId: string;
}

/** Revokes the access token, then the refresh token (RFC 7009). Either ends the session on MAS. */
export async function revokeTokens(tokens: TokenSet, options: RevokeTokensOptions): Promise<void> {
  const { metadata, clientId } = options;
  if (metadata.revocationEndpoint === undefined) {
    throw new OAuthError("no_oauth_api", "the OAuth server has no revocation endpoint", {
      reason: "no_revocation_endpoint",
    });
  }
  const as = toAuthorizationServer(metadata);
  const client: oauth.Client = { client_id: clientId };
  const revocations: [string, "access_token" | "refresh_token"][] = [[tokens.accessToken, "access_token"]];
  if (tokens.refreshToken !== undefined) revocations.push([tokens.refreshToken, "refresh_token"]);
  for (const [token, hint] of revocations) {
    await callEndpoint(
      `revocation (${hint})`,
      options,
      200,
      () =>
        oauth.revocationRequest(as, client, oauth.None(), token, {
          ...libraryOptions(options),
          additionalParameters: { token_type_hint: hint },
        }),
      (answer) => oauth.processRevocationResponse(answer),
    );
  }
}
