// The devserver's OAuth 2.0 server: a homeserver's MAS, on oidc-provider 9 (docs/protocol.md §6,
// docs/ARCHITECTURE.md §6).
//
// Layout. The issuer is the server root, `{publicBaseUrl}/`, and the endpoints follow MAS's layout, so nothing
// clashes with `/_matrix` or `/_synapse`:
//   /.well-known/openid-configuration                    OIDC discovery (also served as the Matrix auth metadata)
//   /_matrix/client/v1/auth_metadata                      Matrix auth metadata (spec v1.15), same JSON
//   /_matrix/client/unstable/org.matrix.msc2965/auth_metadata
//   /_matrix/client/unstable/org.matrix.msc2965/auth_issuer   {issuer} (an earlier MSC2965, still served by Synapse)
//   /.well-known/matrix/client                            m.homeserver.base_url, and MSC2965's issuer and account page
//   /authorize                                            authorization code + PKCE (S256 only)
//   /oauth2/registration  /oauth2/token  /oauth2/revoke  /oauth2/introspect  /oauth2/device  /oauth2/keys.json
//   /link                                                 the device grant's verification_uri (code entry)
//   /interaction/{uid}                                    login and consent pages
//   /account/                                             account_management_uri (a placeholder page)
//
// Each access token is opaque, names one device through its scope, and is checked by the account store's
// `authenticate` (this module registers a resolver for its tokens). The device is created through a
// `HomeserverProvisioner` before the token response leaves; pass a remote one to run this server as "MAS" for
// another homeserver.
//
// Time. OAuth runs on real time; the rendezvous APIs (and the client-server slice) run on the devserver's
// injectable clock, which tests may freeze. oidc-provider, its store (adapter.ts) and the approve hook read
// `Date.now`, and oidc-provider takes no clock (patching the global is not an option), so the device grant's
// polling pace (device-polling.ts) is measured on real time as well: on a frozen clock every poll would otherwise
// look too soon. What `hooks.clock.advance` added is counted on top, so a test can sit out a `slow_down` penalty
// without waiting; it never moves oidc-provider's own lifetimes (device codes, tokens, sessions).
import type { IncomingMessage, ServerResponse } from "node:http";
import type Provider from "oidc-provider";
import type { AccountStore, HomeserverProvisioner } from "../accounts";
import type { Clock } from "../clock";
import { sendJson, type RequestHandler } from "../http";
import { createRouter, escapeRegExp } from "../router";
import { createInteractionHandler } from "./interactions";
import { checkMatrixScopes } from "./matrix-scopes";
import type { ResolvedOAuthOptions } from "./options";
import { accountPage, sendPage } from "./pages";
import { ACCOUNT_PATH, OAUTH_ROUTES, createOAuthProvider } from "./provider";
import { answerDeviceCode, createOAuthTestHooksHandler } from "./test-hooks";

export type { OAuthOptions, DeviceCodeOptions, ResolvedOAuthOptions } from "./options";
export { resolveOAuthOptions } from "./options";

const OIDC_DISCOVERY_PATH = "/.well-known/openid-configuration";
export const AUTH_METADATA_PATHS = [
  "/_matrix/client/v1/auth_metadata",
  "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata",
] as const;

export interface OAuthServerDependencies {
  /** The homeserver's public base URL, no trailing slash. */
  readonly publicBaseUrl: string;
  readonly options: ResolvedOAuthOptions;
  readonly accounts: AccountStore;
  /** Where users and devices are created; default the account store itself. */
  readonly provisioner?: HomeserverProvisioner;
  /** The devserver's clock: only what `advance` added to it is read (see "Time" above). */
  readonly clock: Clock;
}

export interface OAuthServer {
  readonly issuer: string;
  readonly provider: Provider;
  /** Discovery, the oidc-provider endpoints, the login/consent pages and the account page, in mounting order. */
  readonly handlers: readonly RequestHandler[];
  /** `/_devserver/approve` and `/_devserver/token`; mount only with `testHooks`. */
  readonly testHooks: RequestHandler;
  /** What `/_devserver/approve` does, in process (the local demo consents without the HTTP hooks). */
  answerDeviceCode(userCode: string, user: string, approve: boolean): Promise<void>;
}

/** The paths oidc-provider serves: its endpoints, plus `/{uid}` resume paths after authorize and link. */
function providerPathPattern(): RegExp {
  const exact = [
    OIDC_DISCOVERY_PATH,
    "/.well-known/oauth-authorization-server",
    OAUTH_ROUTES.token,
    OAUTH_ROUTES.registration,
    OAUTH_ROUTES.revocation,
    OAUTH_ROUTES.introspection,
    OAUTH_ROUTES.device_authorization,
    OAUTH_ROUTES.jwks,
  ].map(escapeRegExp);
  const withResume = [OAUTH_ROUTES.authorization, OAUTH_ROUTES.code_verification].map(
    (path) => `${escapeRegExp(path)}(?:/[^/]+)?`,
  );
  return new RegExp(`^(?:${[...exact, ...withResume].join("|")})$`);
}

export function createOAuthServer(dependencies: OAuthServerDependencies): OAuthServer {
  const { publicBaseUrl, options, accounts, clock } = dependencies;
  const provisioner = dependencies.provisioner ?? accounts;
  const issuer = `${publicBaseUrl}/`;
  const resource = `${publicBaseUrl}/_matrix/client/`;
  // Grant IDs per "userId|deviceId": removing a device in the account store ends its OAuth sessions.
  const grantsByDevice = new Map<string, Set<string>>();
  const deviceKey = (userId: string, deviceId: string): string => `${userId}|${deviceId}`;
  const sessions = {
    record(localpart: string, deviceId: string, grantId: string): void {
      const key = deviceKey(accounts.userIdOf(localpart), deviceId);
      grantsByDevice.set(key, (grantsByDevice.get(key) ?? new Set<string>()).add(grantId));
    },
  };
  const now = (): number => Date.now() + clock.advancedMs();
  const provider = createOAuthProvider({ issuer, resource, options, accounts, provisioner, sessions, now });
  accounts.onDeviceRemoved((userId, deviceId) => {
    const key = deviceKey(userId, deviceId);
    const grantIds = grantsByDevice.get(key) ?? new Set<string>();
    grantsByDevice.delete(key);
    // Every token model shares one grant index in the store, so one call per grant removes them all.
    Promise.all([...grantIds].map((grantId) => provider.RefreshToken.revokeByGrantId(grantId))).catch(
      (error: unknown) => {
        console.error("devserver: could not end the sessions of a removed device", error);
      },
    );
  });
  const callback = provider.callback();
  const publicUrl = new URL(issuer);
  const providerPaths = providerPathPattern();

  accounts.addTokenResolver(async (token) => {
    const accessToken = await provider.AccessToken.find(token);
    if (accessToken?.accountId === undefined || accessToken.isExpired) return null;
    const scopes = checkMatrixScopes(accessToken.scope);
    if (!scopes.ok) return null;
    return {
      userId: accounts.userIdOf(accessToken.accountId),
      deviceId: scopes.deviceId,
      scopes: scopes.matrixScopes,
    };
  });

  /** Hands a request to oidc-provider, with the public base URL as the origin its URLs are built from. */
  function toProvider(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.headers["x-forwarded-host"] = publicUrl.host;
    req.headers["x-forwarded-proto"] = publicUrl.protocol.slice(0, -1);
    return callback(req, res);
  }

  const providerHandler: RequestHandler = async (req, res, url) => {
    if (!providerPaths.test(url.pathname)) return false;
    await toProvider(req, res);
    return true;
  };

  // Synapse answers the Matrix auth metadata with MAS's discovery document, unchanged.
  const discoveryRoutes = AUTH_METADATA_PATHS.map((path) => ({
    method: "GET",
    path,
    handle: async ({ req, res }: { req: IncomingMessage; res: ServerResponse }) => {
      req.url = OIDC_DISCOVERY_PATH;
      await toProvider(req, res);
    },
  }));
  // Without the OAuth API (`authMetadata: false`) these paths fall through to 404 M_UNRECOGNIZED.
  const issuerRoute = {
    method: "GET",
    path: "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer",
    handle: ({ res }: { res: ServerResponse }) => {
      sendJson(res, 200, { issuer });
    },
  };
  const discovery = createRouter([
    ...(options.authMetadata ? [...discoveryRoutes, issuerRoute] : []),
    {
      method: "GET",
      path: "/.well-known/matrix/client",
      handle: ({ res }) => {
        // What Synapse 1.160 adds with MAS in charge (synapse/rest/well_known.py).
        sendJson(res, 200, {
          "m.homeserver": { base_url: publicBaseUrl },
          ...(options.authMetadata
            ? {
                "org.matrix.msc2965.authentication": { issuer, account: new URL(ACCOUNT_PATH, issuer).href },
              }
            : {}),
        });
      },
    },
    // The account_management_uri; with and without the trailing slash.
    ...[ACCOUNT_PATH, ACCOUNT_PATH.slice(0, -1)].map((path) => ({
      method: "GET",
      path,
      handle: ({ res }: { res: ServerResponse }) => {
        sendPage(res, 200, accountPage(accounts.userIdOf("alice")));
      },
    })),
  ]);

  return {
    issuer,
    provider,
    handlers: [discovery, providerHandler, createInteractionHandler({ provider, accounts })],
    testHooks: createOAuthTestHooksHandler({ provider, accounts, provisioner, resource }),
    answerDeviceCode: (userCode, user, approve) => {
      const localpart = accounts.localpartOf(user);
      if (localpart === undefined) return Promise.reject(new TypeError(`${user} is not a configured user`));
      return answerDeviceCode({ provider, accounts, provisioner, resource }, userCode, localpart, approve);
    },
  };
}
