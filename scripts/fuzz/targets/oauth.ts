// Fuzz targets of the OAuth client (docs/protocol.md §6) against a hostile server: homeserver resolution
// (`.well-known`), metadata discovery on every path, dynamic registration, the device grant from the device code to
// the token, and a refresh. Every answer is generated from what MAS plausibly says, then damaged. Every failure
// must be an OAuthError; what comes back (metadata, a device code, tokens) must stay usable: every URL checked,
// every time finite.
import fc from "fast-check";
import {
  createMemoryClientRegistrationStore,
  DEVICE_CODE_GRANT,
  discoverAuthMetadata,
  OAuthError,
  pollDeviceToken,
  registerClient,
  resolveHomeserver,
  startDeviceAuthorization,
  TokenRefresher,
  type AuthMetadata,
  type TokenSet,
} from "../../../src-main/oauth";
import { isAbsoluteHttpUrl } from "../../../src-main/protocol/testing";
import { defineTarget, NETWORK_BOUND_MS, type AnyTarget } from "../harness";
import { hostileString } from "../hostile";
import { answerScript, outcomeOnNetwork, userGivesUpAfter, type AnswerSeed } from "../network";
import { invariant } from "../oracle";

const OAUTH_ERRORS = [OAuthError];
const HOMESERVER = "https://hs.example";
const ISSUER = "https://auth.example/";
const DEVICE_ID = "ABCDEFGHIJ";
const DAY_MS = 24 * 3_600_000;

const METADATA_DOCUMENT = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}authorize`,
  token_endpoint: `${ISSUER}oauth2/token`,
  registration_endpoint: `${ISSUER}oauth2/registration`,
  device_authorization_endpoint: `${ISSUER}oauth2/device`,
  revocation_endpoint: `${ISSUER}oauth2/revoke`,
  account_management_uri: `${ISSUER}account/`,
  grant_types_supported: ["authorization_code", "refresh_token", DEVICE_CODE_GRANT],
  scopes_supported: ["openid", "urn:matrix:client:api:*", "urn:matrix:org.matrix.msc2967.client:api:*"],
  response_types_supported: ["code"],
  response_modes_supported: ["query", "fragment"],
  code_challenge_methods_supported: ["S256"],
  authorization_response_iss_parameter_supported: true,
};

const METADATA: AuthMetadata = {
  source: "v1",
  issuer: ISSUER,
  tokenEndpoint: METADATA_DOCUMENT.token_endpoint,
  authorizationEndpoint: METADATA_DOCUMENT.authorization_endpoint,
  registrationEndpoint: METADATA_DOCUMENT.registration_endpoint,
  deviceAuthorizationEndpoint: METADATA_DOCUMENT.device_authorization_endpoint,
  revocationEndpoint: METADATA_DOCUMENT.revocation_endpoint,
  grantTypesSupported: METADATA_DOCUMENT.grant_types_supported,
};

const NOT_SERVED: readonly AnswerSeed[] = [
  { status: 404, body: { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" } },
  { status: 400, body: { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" } },
  { status: 405 },
];
const TROUBLE: readonly AnswerSeed[] = [
  { status: 503, headers: { "content-type": "text/html" }, text: "<html>unavailable</html>" },
  { status: 429, body: { errcode: "M_LIMIT_EXCEEDED" } },
];

const metadataAnswers: readonly AnswerSeed[] = [{ status: 200, body: METADATA_DOCUMENT }, ...NOT_SERVED];

const DEVICE_SCOPE = `urn:matrix:client:api:* urn:matrix:client:device:${DEVICE_ID}`;
const TOKENS = {
  access_token: "mat_access",
  token_type: "Bearer",
  refresh_token: "mar_refresh",
  expires_in: 300,
  scope: DEVICE_SCOPE,
};
const oauthError = (status: number, error: string): AnswerSeed => ({
  status,
  body: { error, error_description: "a description" },
});
const tokenAnswers: readonly AnswerSeed[] = [
  { status: 200, body: TOKENS },
  { status: 200, body: { ...TOKENS, refresh_token: undefined, expires_in: undefined, scope: undefined } },
  oauthError(400, "authorization_pending"),
  oauthError(403, "authorization_pending"),
  oauthError(400, "slow_down"),
  oauthError(400, "access_denied"),
  oauthError(400, "expired_token"),
  oauthError(400, "invalid_grant"),
  oauthError(401, "invalid_client"),
];

/** What comes back must stay usable: finite times, and only the token fields the client reads. */
function checkTokens(tokens: TokenSet): void {
  invariant(typeof tokens.accessToken === "string" && tokens.accessToken !== "", "no access token");
  invariant(
    tokens.expiresAt === undefined || Number.isSafeInteger(Math.round(tokens.expiresAt)),
    `the access token expires at ${tokens.expiresAt}`,
  );
  invariant(typeof tokens.scope === "string", "the granted scope is not text");
}

function checkMetadata(metadata: AuthMetadata): void {
  for (const [field, value] of Object.entries(metadata)) {
    if (field.endsWith("Endpoint") || field === "issuer" || field === "accountManagementUri") {
      invariant(typeof value === "string" && isAbsoluteHttpUrl(value), `metadata ${field} is not a URL`);
      invariant(value.startsWith("https://"), `metadata ${field} is not https`);
    }
  }
}

const resolve = defineTarget({
  name: "oauth.resolveHomeserver",
  area: "OAuth",
  weight: 3,
  boundMs: NETWORK_BOUND_MS,
  input: fc.tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.constant("hs.example") },
      { weight: 1, arbitrary: fc.constant("https://hs.example/") },
      { weight: 2, arbitrary: hostileString },
    ),
    answerScript([
      [
        { status: 200, body: { "m.homeserver": { base_url: "https://matrix.hs.example/" } } },
        { status: 301, headers: { location: "https://hs.example/.well-known/matrix/client2" } },
        { status: 302, headers: { location: "/elsewhere" } },
        { status: 404 },
        { status: 200, headers: { "content-type": "text/html" }, text: "<html>hi</html>" },
      ],
      [{ status: 200, body: { "m.homeserver": { base_url: "https://matrix.hs.example" } } }],
      TROUBLE,
    ]),
  ),
  run: ([name, script]) =>
    outcomeOnNetwork(script, OAUTH_ERRORS, async (runtime, progress) => {
      progress.step = "resolve";
      const resolved = await resolveHomeserver(name, { runtime, signal: userGivesUpAfter(runtime, DAY_MS) });
      invariant(isAbsoluteHttpUrl(resolved.baseUrl), "the resolved base URL is not a URL");
      invariant(
        !/[?#]/.test(resolved.baseUrl) && !resolved.baseUrl.endsWith("/"),
        "the base URL has a query or /",
      );
    }),
});

const discover = defineTarget({
  name: "oauth.discoverMetadata",
  area: "OAuth",
  weight: 6,
  boundMs: NETWORK_BOUND_MS,
  input: answerScript([
    metadataAnswers,
    metadataAnswers,
    [{ status: 200, body: { issuer: ISSUER } }, ...NOT_SERVED],
    [{ status: 200, body: { issuer: ISSUER } }, ...NOT_SERVED],
    [{ status: 200, body: METADATA_DOCUMENT }],
    TROUBLE,
  ]),
  run: (script) =>
    outcomeOnNetwork(script, OAUTH_ERRORS, async (runtime, progress) => {
      progress.step = "discover";
      checkMetadata(
        await discoverAuthMetadata(HOMESERVER, { runtime, signal: userGivesUpAfter(runtime, DAY_MS) }),
      );
    }),
});

const register = defineTarget({
  name: "oauth.registerClient",
  area: "OAuth",
  weight: 3,
  boundMs: NETWORK_BOUND_MS,
  input: answerScript([
    [
      {
        status: 201,
        body: {
          client_id: "01JCLIENT",
          client_name: "Matrix QR Login",
          token_endpoint_auth_method: "none",
          grant_types: ["authorization_code", "refresh_token", DEVICE_CODE_GRANT],
        },
      },
      oauthError(400, "invalid_client_metadata"),
      oauthError(400, "invalid_redirect_uri"),
    ],
    TROUBLE,
  ]),
  run: (script) =>
    outcomeOnNetwork(script, OAUTH_ERRORS, async (runtime, progress) => {
      progress.step = "register";
      const store = createMemoryClientRegistrationStore();
      const { clientId } = await registerClient(METADATA, {
        runtime,
        signal: userGivesUpAfter(runtime, DAY_MS),
        store,
      });
      invariant(typeof clientId === "string" && clientId !== "", "no client ID");
    }),
});

const deviceGrant = defineTarget({
  name: "oauth.deviceGrant",
  area: "OAuth",
  weight: 8,
  boundMs: NETWORK_BOUND_MS,
  input: answerScript([
    [
      {
        status: 200,
        body: {
          device_code: "device-code",
          user_code: "WDJB-MJHT",
          verification_uri: `${ISSUER}link`,
          verification_uri_complete: `${ISSUER}link?code=WDJB-MJHT`,
          expires_in: 600,
          interval: 5,
        },
      },
      {
        status: 200,
        body: { device_code: "d", user_code: "X", verification_uri: `${ISSUER}link`, expires_in: 60 },
      },
      oauthError(400, "invalid_scope"),
      oauthError(400, "invalid_request"),
      oauthError(403, "unauthorized_client"),
    ],
    tokenAnswers,
    tokenAnswers,
    tokenAnswers,
    TROUBLE,
  ]),
  run: (script) =>
    outcomeOnNetwork(script, OAUTH_ERRORS, async (runtime, progress) => {
      // The user waits at most a day for the approval, then cancels (a device code may say it lives longer).
      const signal = userGivesUpAfter(runtime, DAY_MS);
      progress.step = "authorize";
      const authorization = await startDeviceAuthorization({
        runtime,
        signal,
        metadata: METADATA,
        clientId: "01JCLIENT",
        deviceId: DEVICE_ID,
      });
      invariant(
        Number.isFinite(authorization.expiresAt),
        `the device code expires at ${authorization.expiresAt}`,
      );
      invariant(
        Number.isFinite(authorization.intervalMs),
        `the poll interval is ${authorization.intervalMs} ms`,
      );
      invariant(isAbsoluteHttpUrl(authorization.verificationUri), "the verification URI is not a URL");
      invariant(
        !JSON.stringify(authorization).includes("device-code"),
        "the device code is in the plain data",
      );
      progress.step = "poll";
      checkTokens(await pollDeviceToken(authorization, { runtime, signal }));
    }),
});

const refresh = defineTarget({
  name: "oauth.refresh",
  area: "OAuth",
  weight: 3,
  boundMs: NETWORK_BOUND_MS,
  input: answerScript([tokenAnswers, tokenAnswers, TROUBLE]),
  run: (script) =>
    outcomeOnNetwork(script, OAUTH_ERRORS, async (runtime, progress) => {
      const signal = userGivesUpAfter(runtime, DAY_MS);
      const saved: TokenSet[] = [];
      const refresher = new TokenRefresher({
        runtime,
        metadata: METADATA,
        clientId: "01JCLIENT",
        tokens: {
          accessToken: "old",
          refreshToken: "old-refresh",
          expiresAt: runtime.now() - 1,
          scope: DEVICE_SCOPE,
        },
        onTokens: (tokens) => {
          saved.push(tokens);
        },
      });
      progress.step = "refresh";
      checkTokens(await refresher.refresh(signal));
      progress.step = "accessToken";
      await refresher.accessToken(signal);
      for (const tokens of saved) checkTokens(tokens);
    }),
});

export const OAUTH_TARGETS: readonly AnyTarget[] = [resolve, discover, register, deviceGrant, refresh];
