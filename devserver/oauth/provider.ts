// The oidc-provider 9 instance behind the devserver's OAuth 2.0 server, configured to behave like a homeserver's
// MAS (docs/protocol.md §6): MAS's endpoint layout under an issuer at the server root, public clients registered
// under the Matrix rules, PKCE S256, rotating refresh tokens, the device grant, opaque access tokens bound to the
// homeserver as one resource whose scopes are the Matrix scopes of each request (oidc-provider has no dynamic
// scopes: resource indicators carry them, see docs/testing.md §3), and the device provisioned on the homeserver
// before the token response leaves.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import Provider, {
  errors,
  interactionPolicy,
  type Account,
  type BaseToken,
  type Client,
  type Configuration,
  type KoaContext,
  type Middleware,
} from "oidc-provider";
import type { AccountStore, HomeserverProvisioner } from "../accounts";
import { createOAuthStore } from "./adapter";
import { DEVICE_CODE_GRANT, checkClientMetadata } from "./client-policy";
import { createDevicePollingMiddleware } from "./device-polling";
import { API_SCOPE, checkMatrixScopes, type ScopeFamily } from "./matrix-scopes";
import type { ResolvedOAuthOptions } from "./options";
import { PAGE_HEADERS, codeEntryPage, errorPage, resultPage } from "./pages";

/** MAS's endpoint layout (`{issuer}oauth2/token`, `{issuer}link`, ...), so paths never clash with `/_matrix`. */
export const OAUTH_ROUTES = {
  authorization: "/authorize",
  token: "/oauth2/token",
  registration: "/oauth2/registration",
  revocation: "/oauth2/revoke",
  introspection: "/oauth2/introspect",
  device_authorization: "/oauth2/device",
  jwks: "/oauth2/keys.json",
  code_verification: "/link",
  // Required by oidc-provider even with the features off; never mounted as handlers here.
  userinfo: "/oauth2/userinfo",
  end_session: "/oauth2/logout",
} as const;

export const INTERACTION_PATH = "/interaction";
export const ACCOUNT_PATH = "/account/";

/**
 * `account_management_actions_supported` (Matrix spec v1.15): the stable names MAS advertises for what clients link
 * to. The devserver's account page is a placeholder for all of them; devices are managed over the client-server API.
 */
const ACCOUNT_ACTIONS = ["org.matrix.profile", "org.matrix.devices_list", "org.matrix.device_view"];

const DAY_S = 24 * 60 * 60;

function ownTokensOnly(_ctx: KoaContext, client: Client, token: BaseToken): Promise<boolean> {
  return Promise.resolve(token.clientId === client.clientId);
}

/** Which grants (OAuth sessions) act for which device, so that removing a device can end them. */
export interface DeviceSessions {
  record(localpart: string, deviceId: string, grantId: string): void;
}

export interface OAuthProviderDependencies {
  /** `{publicBaseUrl}/`: the issuer sits at the server root, like MAS's `https://auth.example/`. */
  readonly issuer: string;
  /** The resource indicator every access token is bound to: the homeserver's client-server API. */
  readonly resource: string;
  readonly options: ResolvedOAuthOptions;
  readonly accounts: AccountStore;
  readonly provisioner: HomeserverProvisioner;
  readonly sessions: DeviceSessions;
  /** The OAuth server's time (index.ts): what the device grant's polling pace is measured on. */
  readonly now: () => number;
}

function setPageHeaders(ctx: KoaContext): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
}

function renderPage(ctx: KoaContext, html: string): void {
  setPageHeaders(ctx);
  ctx.body = html;
}

/** The signing key for ID tokens (clients that ask for `openid`); a fresh one per server. */
function signingKey(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    ...privateKey.export({ format: "jwk" }),
    use: "sig",
    alg: "ES256",
    kid: randomBytes(8).toString("hex"),
  };
}

/** The scope a request asks for, from its parameters or, at the token endpoint, from the grant it redeems. */
function requestedScope(ctx: KoaContext): string | undefined {
  const oidc = ctx.oidc;
  const fromParams = oidc?.params?.scope;
  if (typeof fromParams === "string") return fromParams;
  const entities = oidc?.entities;
  return entities?.DeviceCode?.scope ?? entities?.AuthorizationCode?.scope ?? entities?.RefreshToken?.scope;
}

const USER_CODE_ERRORS: Readonly<Record<string, string>> = {
  NoCodeError: "Enter the code shown on your device.",
  NotFoundError: "That code is not valid. Check the code shown on your device and try again.",
  ExpiredError: "That code has expired. Start signing in again on your device to get a new code.",
  AlreadyUsedError:
    "That code has already been used. Start signing in again on your device to get a new code.",
};

function codeEntry(ctx: KoaContext, userCode: string | undefined, error: string | undefined): void {
  const oidc = ctx.oidc;
  renderPage(
    ctx,
    codeEntryPage({
      action: oidc?.urlFor("code_verification") ?? OAUTH_ROUTES.code_verification,
      xsrf: oidc?.session?.state?.secret ?? "",
      ...(userCode === undefined ? {} : { userCode }),
      ...(error === undefined ? {} : { error }),
    }),
  );
}

/** `verification_uri_complete` (`?user_code=`, or MAS's `?code=`) pre-fills the code entry form instead of
 * oidc-provider's script-driven auto-submit, so the user still confirms the code by pressing Continue. */
const prefillUserCode: Middleware = async (ctx, next) => {
  if (ctx.method === "GET" && ctx.path === OAUTH_ROUTES.code_verification) {
    const code = ctx.query.user_code ?? ctx.query.code;
    if (typeof code === "string" && code !== "") ctx.state.prefillUserCode = code;
    ctx.querystring = "";
  }
  await next();
};

/** Matrix clients find the API scopes here; device scopes are per request and cannot be listed. */
function completeDiscovery(families: readonly ScopeFamily[]): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === "discovery" && typeof ctx.body === "object" && ctx.body !== null) {
      ctx.body = {
        ...ctx.body,
        scopes_supported: ["openid", ...families.map((family) => API_SCOPE[family])],
      };
    }
  };
}

/**
 * MAS creates the device on the homeserver while it answers the token request, so that the existing device's
 * "does the new device exist" check (MSC4108) succeeds at once. Koa sends the response only after this returns.
 */
function provisionDeviceBeforeResponse(
  provisioner: HomeserverProvisioner,
  sessions: DeviceSessions,
): Middleware {
  return async (ctx, next) => {
    await next();
    const oidc = ctx.oidc;
    const accessToken = oidc?.entities.AccessToken;
    const account = oidc?.entities.Account;
    if (oidc?.route !== "token" || ctx.status !== 200 || accessToken === undefined || account === undefined)
      return;
    const scopes = checkMatrixScopes(accessToken.scope);
    try {
      if (!scopes.ok) throw new Error(scopes.reason);
      await provisioner.upsertDevice(account.accountId, scopes.deviceId);
      if (accessToken.grantId !== undefined)
        sessions.record(account.accountId, scopes.deviceId, accessToken.grantId);
    } catch (error) {
      console.error("devserver: could not provision the device for a token", error);
      await Promise.all([accessToken.destroy(), oidc.entities.RefreshToken?.destroy()]);
      ctx.status = 500;
      ctx.body = { error: "server_error", error_description: "the homeserver could not create the device" };
    }
  };
}

/**
 * MAS with `oauth.device_code_grant_enabled: false`: the device authorization endpoint refuses every request, 400
 * `invalid_request`, before it looks at the client (MAS `oauth2/device/authorize.rs`).
 */
const refuseDeviceAuthorization: Middleware = async (ctx, next) => {
  if (ctx.method === "POST" && ctx.path === OAUTH_ROUTES.device_authorization) {
    ctx.status = 400;
    ctx.body = {
      error: "invalid_request",
      error_description: "The Device Authorization Grant is disabled on this server",
    };
    return;
  }
  await next();
};

/**
 * Revoking a token ends its session (oidc-provider revokes every token of the grant), and MAS then removes the
 * session's device from the homeserver. Only when the token is really gone: revocation answers 200 even for a
 * token it refused to revoke (another client's).
 */
function deleteDeviceOnRevocation(provider: Provider, provisioner: HomeserverProvisioner): Middleware {
  return async (ctx, next) => {
    await next();
    const oidc = ctx.oidc;
    if (oidc?.route !== "revocation" || ctx.status !== 200) return;
    const accessToken = oidc.entities.AccessToken;
    const refreshToken = oidc.entities.RefreshToken;
    const token = accessToken ?? refreshToken;
    if (token?.accountId === undefined) return;
    const stillThere =
      accessToken !== undefined
        ? await provider.AccessToken.find(accessToken.jti)
        : await provider.RefreshToken.find(token.jti);
    const scopes = checkMatrixScopes(token.scope);
    if (stillThere === undefined && scopes.ok)
      await provisioner.deleteDevice(token.accountId, scopes.deviceId);
  };
}

export function createOAuthProvider(dependencies: OAuthProviderDependencies): Provider {
  const { issuer, resource, options, accounts, provisioner, sessions, now } = dependencies;

  const policy = interactionPolicy.base();
  // MAS asks for consent for every new session: each one creates a device. oidc-provider would skip consent when a
  // grant already covers the scopes; this check asks until this very request carries a consent result.
  policy
    .get("consent")
    ?.checks.add(
      new interactionPolicy.Check(
        "matrix_session_consent",
        "every Matrix session needs the user's consent",
        "consent_required",
        (ctx) => ctx.oidc.result?.consent === undefined,
      ),
    );

  const configuration: Configuration = {
    adapter: createOAuthStore().adapterFor,
    routes: OAUTH_ROUTES,
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    jwks: { keys: [signingKey()] },
    clientBasedCORS: () => true,
    // Registration admits public clients only (client-policy.ts), so that is all the token endpoint accepts.
    clientAuthMethods: ["none"],
    responseTypes: ["code"],
    scopes: ["openid"],
    clientDefaults: {
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      id_token_signed_response_alg: "ES256",
    },
    extraClientMetadata: {
      properties: ["client_uri"],
      // Runs before oidc-provider's own checks. `ctx.oidc.body` is what the client sent (the metadata argument
      // already has oidc-provider's defaults merged in); stored clients are re-read without a registration ctx.
      validator(ctx, key, _value, metadata) {
        if (key !== "client_uri" || ctx?.oidc?.route !== "registration") return;
        // MAS's answer when its registration policy denies a client.
        if (options.refuseRegistration) {
          throw new errors.InvalidClientMetadata("client registration denied by the policy");
        }
        const verdict = checkClientMetadata(ctx.oidc.body ?? {});
        // A description starting with "redirect_uris" makes oidc-provider answer `invalid_redirect_uri`.
        if (!verdict.ok) throw new errors.InvalidClientMetadata(verdict.description);
        // MAS with the device grant off drops it from what the client asked for, and registers the rest.
        metadata.grant_types = verdict.grantTypes.filter(
          (grant) => options.deviceCodeGrantEnabled || grant !== DEVICE_CODE_GRANT,
        );
        metadata.response_types = [...verdict.responseTypes];
      },
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true, issueRegistrationAccessToken: false },
      // A public client may revoke or introspect only its own tokens (oidc-provider's default, made explicit).
      revocation: { enabled: true, allowedPolicy: ownTokensOnly },
      introspection: { enabled: true, allowedPolicy: ownTokensOnly },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      deviceFlow: {
        enabled: true,
        // Six upper-case characters like MAS's codes; the 20 consonants avoid look-alikes and words.
        charset: "base-20",
        mask: "******",
        userCodeInputSource: (ctx: KoaContext, _form: string, _out: unknown, error?: Error) => {
          if (error?.name === "AbortedError") {
            renderPage(ctx, resultPage("denied"));
            return Promise.resolve();
          }
          const typed = (error as { userCode?: unknown } | undefined)?.userCode;
          // Blanks and separators alone are "not found" to oidc-provider; to the user they are no code at all.
          const blank = typeof typed === "string" && typed.replace(/\W/g, "") === "";
          const known =
            error === undefined ? undefined : USER_CODE_ERRORS[blank ? "NoCodeError" : error.name];
          const message =
            error === undefined
              ? undefined
              : (known ?? "Something went wrong. Enter the code shown on your device again.");
          const prefill = ctx.state.prefillUserCode;
          codeEntry(
            ctx,
            typeof typed === "string" ? typed : typeof prefill === "string" ? prefill : undefined,
            message,
          );
          return Promise.resolve();
        },
        // Reached only by a POST without `confirm` (our form always sends it): ask again, pre-filled.
        userCodeConfirmSource: (
          ctx: KoaContext,
          _form: string,
          _client: unknown,
          _info: unknown,
          code: string,
        ) => {
          codeEntry(ctx, code, undefined);
          return Promise.resolve();
        },
        successSource: (ctx: KoaContext) => {
          renderPage(ctx, resultPage("approved"));
          return Promise.resolve();
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx: KoaContext, indicator: string) => {
          if (indicator !== resource) throw new errors.InvalidTarget();
          const scopes = checkMatrixScopes(requestedScope(ctx));
          if (!scopes.ok) throw new errors.InvalidScope(scopes.reason);
          if (!options.scopeFamilies.includes(scopes.family)) {
            throw new errors.InvalidScope(
              `this server accepts only the ${options.scopeFamilies.join(" and ")} Matrix scopes`,
            );
          }
          return Promise.resolve({
            scope: scopes.matrixScopes.join(" "),
            audience: resource,
            accessTokenFormat: "opaque",
            accessTokenTTL: options.accessTokenTtlS,
          });
        },
      },
    },
    pkce: { required: () => true },
    // Matrix clients do not ask for offline_access: whoever registered the refresh_token grant gets one.
    issueRefreshToken: (_ctx, client) => Promise.resolve(client.grantTypeAllowed("refresh_token")),
    expiresWithSession: () => Promise.resolve(false),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: options.accessTokenTtlS,
      AuthorizationCode: 60,
      DeviceCode: options.deviceCodeTtlS,
      IdToken: 60 * 60,
      Interaction: 60 * 60,
      Session: 14 * DAY_S,
      RefreshToken: 30 * DAY_S,
      Grant: 30 * DAY_S,
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
    },
    findAccount: (_ctx, sub): Promise<Account | undefined> =>
      Promise.resolve(
        accounts.localpartOf(sub) === undefined
          ? undefined
          : { accountId: sub, claims: () => Promise.resolve({ sub }) },
      ),
    renderError: (ctx, out) => {
      ctx.status = ctx.status >= 400 ? ctx.status : 400;
      renderPage(
        ctx,
        errorPage(
          "Something went wrong",
          `The request could not be completed: ${out.error_description ?? out.error ?? "unknown error"}.`,
        ),
      );
      return Promise.resolve();
    },
    discovery: {
      account_management_uri: new URL(ACCOUNT_PATH, issuer).href,
      account_management_actions_supported: ACCOUNT_ACTIONS,
    },
  };

  const provider = new Provider(issuer, configuration);
  // Endpoint URLs are built from the request's host; the devserver sets X-Forwarded-* from its public base URL.
  provider.proxy = true;
  if (!options.deviceCodeGrantEnabled) provider.use(refuseDeviceAuthorization);
  provider.use(prefillUserCode);
  provider.use(completeDiscovery(options.scopeFamilies));
  provider.use(provisionDeviceBeforeResponse(provisioner, sessions));
  provider.use(deleteDeviceOnRevocation(provider, provisioner));
  provider.use(
    createDevicePollingMiddleware({
      now,
      intervalS: options.deviceCodeIntervalS,
      ttlS: options.deviceCodeTtlS,
      masQuirks: options.masQuirks,
      slowDown: options.deviceCodeSlowDown,
    }),
  );
  return provider;
}
