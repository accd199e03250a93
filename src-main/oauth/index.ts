// The OAuth 2.0 client of both sign-in roles (docs/protocol.md §6): homeserver resolution, server metadata
// discovery, dynamic client registration, the device authorization grant (the new device), the authorization code
// grant with PKCE through a loopback redirect (the manual sign-in), and the refresher that keeps tokens alive.
// Plain Node on oauth4webapi; no Electron. Every call takes a Runtime and an AbortSignal; every request goes to
// the runtime's transcript (layer `oauth`) without a token, a code or a body.
export {
  OAuthError,
  OAUTH_ERROR_CODES,
  isOAuthError,
  type OAuthErrorCode,
  type OAuthErrorDetails,
} from "./errors";
export { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, type OAuthCallOptions } from "./http";
export { resolveHomeserver, type ResolveOptions, type ResolvedHomeserver } from "./resolve";
export {
  AUTH_ISSUER_PATHS,
  AUTH_METADATA_PATHS,
  discoverAuthMetadata,
  type DiscoverOptions,
} from "./discovery";
export {
  DEVICE_CODE_GRANT,
  scopeFamily,
  supportsDeviceGrant,
  type AuthMetadata,
  type AuthMetadataSource,
} from "./metadata";
export { API_SCOPE, deviceScope, matrixScope, type ScopeFamily } from "./scopes";
export {
  CLIENT_NAME,
  CLIENT_URI,
  LOOPBACK_REDIRECT_URI,
  createMemoryClientRegistrationStore,
  registerClient,
  withRegisteredClient,
  type ClientRegistrationStore,
  type RegisterClientOptions,
  type RegisteredClient,
} from "./registration";
export {
  pollDeviceToken,
  startDeviceAuthorization,
  type DeviceAuthorization,
  type PollDeviceTokenOptions,
  type StartDeviceAuthorizationOptions,
} from "./device-grant";
export { signInWithBrowser, type SignInWithBrowserOptions } from "./auth-code";
export {
  CALLBACK_PATH,
  startLoopbackListener,
  type LoopbackListener,
  type LoopbackListenerOptions,
} from "./loopback";
export {
  DEFAULT_REFRESH_MARGIN_MS,
  TokenRefresher,
  revokeTokens,
  type AccessTokenOptions,
  type RevokeTokensOptions,
  type TokenRefresherOptions,
} from "./refresher";
export type { TokenSet } from "./tokens";
