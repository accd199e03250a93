// The manual sign-in, when no other device is at hand: the authorization code grant with PKCE (RFC 7636, S256)
// through the system browser and a loopback redirect (RFC 8252). The app opens the authorization URL, the user signs
// in and consents on the server's pages, the browser returns to the one-shot listener with the code, and the code
// and the verifier buy the tokens. The scopes are those of the device grant: the API and exactly one device.
import * as oauth from "oauth4webapi";
import { outsideText } from "../../src-shared/errors";
import { isDeviceId } from "../protocol";
import { OAuthError } from "./errors";
import { callEndpoint, libraryOptions, oauthFailure, type OAuthCallOptions } from "./http";
import { startLoopbackListener } from "./loopback";
import { scopeFamily as preferredScopeFamily, toAuthorizationServer, type AuthMetadata } from "./metadata";
import { deviceScope, matrixScope, type ScopeFamily } from "./scopes";
import { checkDeviceScope, tokenSetFrom, type TokenSet } from "./tokens";

export interface SignInWithBrowserOptions extends OAuthCallOptions {
  readonly metadata: AuthMetadata;
  readonly clientId: string;
  readonly deviceId: string;
  /** Opens the authorization URL in the user's browser (Electron's `shell.openExternal`, a test's Chromium). */
  readonly openUrl: (url: string) => Promise<void>;
  /** How long the user has to finish in the browser, on the runtime's clock. */
  readonly timeoutMs: number;
  /** Default: `scopeFamily(metadata)`. */
  readonly scopeFamily?: ScopeFamily;
}

/** The error of an authorization response (RFC 6749 §4.1.2.1): the user's Deny, or the server's refusal. */
function authorizationError(params: URLSearchParams): OAuthError {
  const error = params.get("error") ?? "";
  if (error === "access_denied") return new OAuthError("declined", "authorization: the user declined");
  const code = outsideText(error, 64);
  return new OAuthError("authorization_failed", `authorization: the server answered ${code}`, {
    reason: code,
  });
}

export async function signInWithBrowser(options: SignInWithBrowserOptions): Promise<TokenSet> {
  const { metadata, clientId, deviceId, runtime, signal } = options;
  if (!isDeviceId(deviceId)) throw new TypeError("signInWithBrowser: not a valid device ID");
  if (metadata.authorizationEndpoint === undefined) {
    throw new OAuthError("no_oauth_api", "the OAuth server has no authorization endpoint", {
      reason: "no_authorization_endpoint",
    });
  }
  const methods = metadata.codeChallengeMethodsSupported;
  if (methods !== undefined && !methods.includes("S256")) {
    throw new OAuthError("no_oauth_api", "the OAuth server does not offer PKCE with S256", {
      reason: "no_pkce_s256",
    });
  }
  const as = toAuthorizationServer(metadata);
  const client: oauth.Client = { client_id: clientId };
  const family = options.scopeFamily ?? preferredScopeFamily(metadata);
  const scope = matrixScope(family, deviceId);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();

  const listener = await startLoopbackListener({
    runtime,
    signal,
    expectedState: state,
    timeoutMs: options.timeoutMs,
  });
  let params: URLSearchParams;
  try {
    const url = new URL(metadata.authorizationEndpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", clientId);
    url.searchParams.set("redirect_uri", listener.redirectUri);
    url.searchParams.set("scope", scope);
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set("code_challenge_method", "S256");
    try {
      await options.openUrl(url.href);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new OAuthError("browser_unavailable", "the browser could not be opened", { cause: error });
    }
    params = await listener.callback;
  } finally {
    await listener.close();
  }

  let validated: URLSearchParams;
  try {
    validated = oauth.validateAuthResponse(as, client, params, state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) throw authorizationError(params);
    throw oauthFailure(error, "authorization response", signal);
  }
  const what = "authorization code exchange";
  const response = await callEndpoint(
    what,
    options,
    200,
    () =>
      oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.None(),
        validated,
        listener.redirectUri,
        verifier,
        libraryOptions(options),
      ),
    (answer) => oauth.processAuthorizationCodeResponse(as, client, answer),
  );
  return checkDeviceScope(tokenSetFrom(response, scope, runtime.now()), deviceScope(family, deviceId), what);
}
