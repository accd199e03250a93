// A Matrix client's OAuth 2.0 steps, done with oauth4webapi (the OAuth library the app uses), against any
// homeserver: discovery through the Matrix auth metadata, dynamic registration, the device grant, whoami. Shared by
// the devserver's own suites and the scenarios that also run against Synapse (test/conformance/oauth.ts).
import * as oauth from "oauth4webapi";
import { expect } from "vitest";

export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
export const STABLE_API = "urn:matrix:client:api:*";
export const UNSTABLE_API = "urn:matrix:org.matrix.msc2967.client:api:*";
export const AUTH_METADATA = "/_matrix/client/v1/auth_metadata";
export const UNSTABLE_AUTH_METADATA = "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata";

/**
 * Test servers speak plain http on loopback. oauth4webapi marks the switch deprecated so that it stands out; tests
 * against a local http server are the use it exists for.
 */
// eslint-disable-next-line @typescript-eslint/no-deprecated
export const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** `api:*` plus one device scope, stable names unless asked otherwise. */
export function matrixScope(deviceId: string, family: "stable" | "unstable" = "stable"): string {
  return family === "stable"
    ? `${STABLE_API} urn:matrix:client:device:${deviceId}`
    : `${UNSTABLE_API} urn:matrix:org.matrix.msc2967.client:device:${deviceId}`;
}

/** Matrix discovery: the homeserver's auth metadata, checked by oauth4webapi against the issuer it must name. */
export async function discoverAt(homeserverUrl: string, issuer: string): Promise<oauth.AuthorizationServer> {
  return oauth.processDiscoveryResponse(new URL(issuer), await fetch(`${homeserverUrl}${AUTH_METADATA}`));
}

/** A public client (`none`); by default registered for the device grant and refresh tokens, like the app. */
export async function registerClient(
  as: oauth.AuthorizationServer,
  metadata: Record<string, unknown> = {},
): Promise<oauth.Client> {
  const response = await oauth.dynamicClientRegistrationRequest(
    as,
    {
      client_name: "Test client",
      client_uri: "https://client.example.org/",
      token_endpoint_auth_method: "none",
      grant_types: [DEVICE_GRANT, "refresh_token"],
      response_types: [],
      ...metadata,
    },
    insecure,
  );
  return oauth.processDynamicClientRegistrationResponse(response);
}

export async function requestDeviceCode(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  scope: string,
): Promise<oauth.DeviceAuthorizationResponse> {
  const response = await oauth.deviceAuthorizationRequest(as, client, oauth.None(), { scope }, insecure);
  return oauth.processDeviceAuthorizationResponse(as, client, response);
}

export type PollResult =
  | { readonly kind: "tokens"; readonly tokens: oauth.TokenEndpointResponse }
  | { readonly kind: "error"; readonly error: string; readonly status: number };

/** One poll of the token endpoint, read the way the app reads it (the JSON `error`, whatever the status). */
export async function pollOnce(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  deviceCode: string,
): Promise<PollResult> {
  const response = await oauth.deviceCodeGrantRequest(as, client, oauth.None(), deviceCode, insecure);
  try {
    return { kind: "tokens", tokens: await oauth.processDeviceCodeResponse(as, client, response) };
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError)
      return { kind: "error", error: error.error, status: error.status };
    throw error;
  }
}

export function expectTokens(result: PollResult): oauth.TokenEndpointResponse {
  if (result.kind !== "tokens")
    throw new Error(`expected tokens, got ${result.error} (HTTP ${result.status})`);
  return result.tokens;
}

/** `GET /_matrix/client/v3/account/whoami` on a homeserver, with the token if one is given. */
export function whoamiAt(homeserverUrl: string, accessToken?: string): Promise<Response> {
  return fetch(`${homeserverUrl}/_matrix/client/v3/account/whoami`, {
    headers: accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
  });
}

/** whoami on the homeserver answers 200 naming this user and device: what a token issued for the device gets. */
export async function expectWhoamiAt(
  homeserverUrl: string,
  accessToken: string,
  userId: string,
  deviceId: string,
): Promise<void> {
  const response = await whoamiAt(homeserverUrl, accessToken);
  const body: unknown = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(200);
  expect(body).toEqual({ user_id: userId, device_id: deviceId, is_guest: false });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
