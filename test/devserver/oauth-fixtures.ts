// Shared set-up for the OAuth server suites: a devserver per test (closed afterwards) and a Matrix client speaking
// to it with oauth4webapi, the OAuth library the app uses (discovery through the Matrix auth metadata, dynamic
// registration, the device grant, PKCE, refresh, revocation).
import * as oauth from "oauth4webapi";
import { afterEach, expect } from "vitest";
import { startDevserver, type Devserver, type DevserverOptions } from "../../devserver/index";

export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
export const STABLE_API = "urn:matrix:client:api:*";
export const UNSTABLE_API = "urn:matrix:org.matrix.msc2967.client:api:*";
export const AUTH_METADATA = "/_matrix/client/v1/auth_metadata";
export const USERS = { alice: "secret", bob: "hunter2" } as const;

/**
 * The devserver speaks plain http on loopback. oauth4webapi marks the switch deprecated so that it stands out; tests
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

/** Registers `afterEach` closing; returns a starter for devservers with alice and bob as users. */
export function useOAuthDevservers(): (options?: DevserverOptions) => Promise<Devserver> {
  const started: Devserver[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.close()));
  });
  return async (options = {}) => {
    const server = await startDevserver({
      users: Object.entries(USERS).map(([name, password]) => `${name}:${password}`),
      ...options,
    });
    started.push(server);
    return server;
  };
}

/** Matrix discovery: the auth metadata, checked by oauth4webapi against the issuer it names. */
export async function discover(server: Devserver): Promise<oauth.AuthorizationServer> {
  return oauth.processDiscoveryResponse(
    new URL(server.issuer),
    await fetch(`${server.baseUrl}${AUTH_METADATA}`),
  );
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

export function whoami(server: Pick<Devserver, "baseUrl">, accessToken?: string): Promise<Response> {
  return fetch(`${server.baseUrl}/_matrix/client/v3/account/whoami`, {
    headers: accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
  });
}

export async function expectWhoami(server: Devserver, accessToken: string, deviceId: string, user = "alice") {
  const response = await whoami(server, accessToken);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({
    user_id: `@${user}:${server.serverName}`,
    device_id: deviceId,
    is_guest: false,
  });
}

/** Answers a device code through the test hook (needs `testHooks: true`). */
export async function answerWithHook(server: Devserver, userCode: string, approve: boolean, user = "alice") {
  const response = await fetch(`${server.baseUrl}/_devserver/approve`, {
    method: "POST",
    body: JSON.stringify({ user_code: userCode, user, approve }),
  });
  expect(response.status).toBe(200);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A signed-in device through the device grant, approved by the test hook (needs `testHooks: true`). */
export async function signInWithHook(
  server: Devserver,
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  deviceId: string,
): Promise<oauth.TokenEndpointResponse> {
  const device = await requestDeviceCode(as, client, matrixScope(deviceId));
  await answerWithHook(server, device.user_code, true);
  return expectTokens(await pollOnce(as, client, device.device_code));
}
