// MAS mode (docs/ARCHITECTURE.md §6, docs/synapse.md): the devserver plays the Matrix Authentication Service
// for a real homeserver (Synapse with `matrix_authentication_service: {enabled: true, endpoint, secret}`). Only
// the OAuth side runs; the homeserver serves the client-server API, both rendezvous APIs and the auth metadata
// (which it derives from this server's `/.well-known/openid-configuration`). What the pair does, as MAS and Synapse do:
// - at start, every configured user is provisioned on the homeserver (`provision_user`), and the homeserver's
//   server name is learnt from it (`query_user`), so user IDs on the pages are the homeserver's;
// - before a token response leaves, the device it names is created on the homeserver (`upsert_device`, through the
//   OAuth server's `HomeserverProvisioner` seam); if that fails, the token request fails with `server_error`;
// - revoking a session deletes its device there (`delete_device`);
// - the homeserver checks each access token at `/oauth2/introspect` with the shared secret.
import type Provider from "oidc-provider";
import type { AccountStore, HomeserverProvisioner, UserCredentials } from "../accounts";
import { unrecognized, type RequestHandler } from "../http";
import { createIntrospectionHandler } from "./introspection";
import { resolveMasModeOptions, type MasModeOptions } from "./options";
import { HomeserverRequestError, SynapseMasApi } from "./synapse-api";

export type { MasModeOptions } from "./options";
export { HomeserverRequestError } from "./synapse-api";

const RETRY_DELAY_MS = 250;

/** The homeserver this server plays MAS for, once its users are provisioned. */
export interface MasHomeserver {
  readonly homeserverUrl: string;
  /** The homeserver's server name (`localhost` for the sandbox Synapse), learnt from `query_user`. */
  readonly serverName: string;
  /**
   * Where the OAuth server creates users and devices: on the homeserver, then in the local account store, which
   * then knows the same devices (so introspection and the test hooks can tell which tokens still have one).
   */
  provisionerFor(accounts: AccountStore): HomeserverProvisioner;
  /** Introspection for the homeserver, and 404 for the paths the homeserver serves itself. */
  handlers(dependencies: { readonly provider: Provider; readonly accounts: AccountStore }): RequestHandler[];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `call`, trying again while the homeserver cannot be reached, until `deadline` (ms since the epoch). */
async function whileStarting<T>(call: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof HomeserverRequestError) || !error.unreachable || Date.now() >= deadline)
        throw error;
    }
    await delay(RETRY_DELAY_MS);
  }
}

function serverNameOf(userId: string): string {
  const colon = userId.indexOf(":");
  if (!userId.startsWith("@") || colon < 0) {
    throw new HomeserverRequestError(`query_user: "${userId}" is not a user ID`, 200, undefined);
  }
  return userId.slice(colon + 1);
}

/** Paths a homeserver serves; in MAS mode they belong to the homeserver, never to this server. */
const HOMESERVER_PATHS = /^\/(?:_matrix|_synapse|\.well-known\/matrix)(?:\/|$)/;

const refuseHomeserverPaths: RequestHandler = (_req, _res, url) => {
  if (HOMESERVER_PATHS.test(url.pathname)) throw unrecognized(404);
  return Promise.resolve(false);
};

/**
 * Provisions `users` on the homeserver and learns its server name. Waits up to `connectTimeoutS` for a homeserver
 * that is still starting; any other refusal (a wrong secret: 403) fails at once with the homeserver's answer.
 */
export async function connectToHomeserver(
  options: MasModeOptions,
  users: readonly UserCredentials[],
): Promise<MasHomeserver> {
  const resolved = resolveMasModeOptions(options);
  const [first] = users;
  if (first === undefined) {
    throw new TypeError(
      "MAS mode needs at least one user to provision on the homeserver (--user name:password)",
    );
  }
  const api = new SynapseMasApi({ homeserverUrl: resolved.homeserverUrl, secret: resolved.secret });
  const deadline = Date.now() + resolved.connectTimeoutMs;
  for (const { localpart } of users) await whileStarting(() => api.provisionUser(localpart), deadline);
  const serverName = serverNameOf(await api.queryUserId(first.localpart));

  return {
    homeserverUrl: resolved.homeserverUrl,
    serverName,
    provisionerFor: (accounts) => ({
      async provisionUser(localpart) {
        await api.provisionUser(localpart);
        await accounts.provisionUser(localpart);
      },
      async upsertDevice(localpart, deviceId) {
        await api.upsertDevice(localpart, deviceId);
        await accounts.upsertDevice(localpart, deviceId);
      },
      async deleteDevice(localpart, deviceId) {
        await api.deleteDevice(localpart, deviceId);
        await accounts.deleteDevice(localpart, deviceId);
      },
    }),
    handlers: ({ provider, accounts }) => [
      createIntrospectionHandler({ secret: resolved.secret, provider, accounts }),
      refuseHomeserverPaths,
    ],
  };
}
