// Dynamic client registration (RFC 7591) with the metadata Matrix servers require (Matrix spec
// `oauth2-client-metadata`, MAS's policy; docs/protocol.md §6): a public native client with an https `client_uri`,
// loopback redirect URIs for the browser sign-in (RFC 8252 §7.3: any port), and the grants it will use. MAS grants
// only what a client registered: without the device-code grant its device endpoint answers `unauthorized_client`,
// without `refresh_token` it issues no refresh token. The client ID is cached per issuer in the caller's store and
// registered again once when the server no longer knows it.
import * as oauth from "oauth4webapi";
import { OAuthError } from "./errors";
import { callEndpoint, described, libraryOptions, type OAuthCallOptions } from "./http";
import { DEVICE_CODE_GRANT, supportsDeviceGrant, toAuthorizationServer, type AuthMetadata } from "./metadata";

/** The name the consent page shows. */
export const CLIENT_NAME = "Matrix QR Login";

/**
 * The app's home page: MAS requires an https `client_uri` on a public host, and every other URI the client
 * registers on https must share its host.
 */
export const CLIENT_URI = "https://github.com/matrix-qr-login/matrix-qr-login";

/** The loopback redirect the browser sign-in registers; the listener picks the port at run time (RFC 8252 §7.3). */
export const LOOPBACK_REDIRECT_URI = "http://127.0.0.1/callback";

/** Where client IDs are kept between runs, one per issuer (the app persists them; tests keep them in memory). */
export interface ClientRegistrationStore {
  get(issuer: string): Promise<string | undefined>;
  set(issuer: string, clientId: string): Promise<void>;
  delete(issuer: string): Promise<void>;
}

export function createMemoryClientRegistrationStore(): ClientRegistrationStore {
  const clients = new Map<string, string>();
  return {
    get: (issuer) => Promise.resolve(clients.get(issuer)),
    set: (issuer, clientId) => {
      clients.set(issuer, clientId);
      return Promise.resolve();
    },
    delete: (issuer) => {
      clients.delete(issuer);
      return Promise.resolve();
    },
  };
}

export interface RegisterClientOptions extends OAuthCallOptions {
  readonly store: ClientRegistrationStore;
  /** Default CLIENT_NAME. */
  readonly clientName?: string;
  /** Default CLIENT_URI. */
  readonly clientUri?: string;
  /** Default [LOOPBACK_REDIRECT_URI]; used only where the server has an authorization endpoint. */
  readonly redirectUris?: readonly string[];
  /** Register even if the store has a client ID for this issuer (and replace it). */
  readonly forceNew?: boolean;
}

export interface RegisteredClient {
  readonly clientId: string;
}

/** The registration request: the grants the server offers among those we use. */
function clientMetadata(metadata: AuthMetadata, options: RegisterClientOptions): Partial<oauth.Client> {
  const authorizationCode = metadata.authorizationEndpoint !== undefined;
  const grantTypes = [
    ...(authorizationCode ? ["authorization_code"] : []),
    "refresh_token",
    // MAS refuses a registration that asks for the device grant while the grant is off.
    ...(supportsDeviceGrant(metadata) ? [DEVICE_CODE_GRANT] : []),
  ];
  return {
    client_name: options.clientName ?? CLIENT_NAME,
    client_uri: options.clientUri ?? CLIENT_URI,
    application_type: "native",
    token_endpoint_auth_method: "none",
    grant_types: grantTypes,
    response_types: authorizationCode ? ["code"] : [],
    ...(authorizationCode ? { redirect_uris: [...(options.redirectUris ?? [LOOPBACK_REDIRECT_URI])] } : {}),
  };
}

/** Our client ID at this issuer: the stored one, or a new registration (then stored). */
export async function registerClient(
  metadata: AuthMetadata,
  options: RegisterClientOptions,
): Promise<RegisteredClient> {
  if (options.forceNew !== true) {
    const stored = await options.store.get(metadata.issuer);
    if (stored !== undefined) return { clientId: stored };
  }
  if (metadata.registrationEndpoint === undefined) {
    throw new OAuthError("registration_refused", "the OAuth server offers no dynamic client registration");
  }
  const what = "client registration";
  const client = await callEndpoint(
    what,
    options,
    201,
    () =>
      oauth.dynamicClientRegistrationRequest(
        toAuthorizationServer(metadata),
        clientMetadata(metadata, options),
        libraryOptions(options),
      ),
    (response) => oauth.processDynamicClientRegistrationResponse(response),
    (body, status) =>
      body.error === "invalid_client_metadata" || body.error === "invalid_redirect_uri"
        ? new OAuthError("registration_refused", `${what}: refused, ${body.error}${described(body)}`, {
            status,
          })
        : undefined,
  );
  await options.store.set(metadata.issuer, client.client_id);
  return { clientId: client.client_id };
}

/**
 * Runs `use` with our client ID at this issuer. If the server says it does not know the client (`invalid_client`,
 * or `unauthorized_client` for a cached client registered without a grant it now needs), the stored ID is
 * dropped, the client registered again, and `use` runs once more.
 */
export async function withRegisteredClient<T>(
  metadata: AuthMetadata,
  options: RegisterClientOptions,
  use: (clientId: string) => Promise<T>,
): Promise<T> {
  const { clientId } = await registerClient(metadata, options);
  try {
    return await use(clientId);
  } catch (error) {
    if (!(error instanceof OAuthError) || !error.clientRejected) throw error;
    await options.store.delete(metadata.issuer);
    const renewed = await registerClient(metadata, { ...options, forceNew: true });
    return use(renewed.clientId);
  }
}
