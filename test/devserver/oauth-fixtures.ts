// Shared set-up for the OAuth server suites: a devserver per test (closed afterwards), the devserver as a target of
// the OAuth scenarios that also run against Synapse (test/conformance/oauth.ts), and a Matrix client speaking to it
// with oauth4webapi (test/helpers/oauth-client.ts).
import type * as oauth from "oauth4webapi";
import { expect } from "vitest";
import type { Devserver, DevserverOptions } from "../../devserver/index";
import { resolveOAuthOptions } from "../../devserver/oauth/options";
import type { OAuthConnection, OAuthSettings, OAuthTarget } from "../conformance/oauth";
import { useDevservers } from "../helpers/devservers";
import {
  discoverAt,
  expectTokens,
  expectWhoamiAt,
  matrixScope,
  pollOnce,
  requestDeviceCode,
  whoamiAt,
} from "../helpers/oauth-client";

export {
  AUTH_METADATA,
  DEVICE_GRANT,
  STABLE_API,
  UNSTABLE_API,
  expectTokens,
  insecure,
  matrixScope,
  pollOnce,
  registerClient,
  requestDeviceCode,
  sleep,
  type PollResult,
} from "../helpers/oauth-client";

export const USERS = { alice: "secret", bob: "hunter2" } as const;

/** Registers `afterEach` closing; returns a starter for devservers with alice and bob as users. */
export function useOAuthDevservers(): (options?: DevserverOptions) => Promise<Devserver> {
  return useDevservers({ users: Object.entries(USERS).map(([name, password]) => `${name}:${password}`) });
}

/**
 * The devserver as a target of the shared OAuth scenarios: a fresh devserver per `connect`, with exactly the
 * settings asked for (the devserver's defaults for the rest), closed after each test. Registers `afterEach`.
 */
export function devserverOAuthTarget(): OAuthTarget {
  const start = useOAuthDevservers();
  return {
    capabilities: { versionsListOAuth: true },
    connect: async (settings: Partial<OAuthSettings> = {}): Promise<OAuthConnection> => {
      const options: DevserverOptions = {
        ...(settings.masQuirks === undefined ? {} : { masQuirks: settings.masQuirks }),
        deviceCode: {
          ...(settings.deviceCodeTtlS === undefined ? {} : { ttlS: settings.deviceCodeTtlS }),
          ...(settings.deviceCodeIntervalS === undefined ? {} : { intervalS: settings.deviceCodeIntervalS }),
          ...(settings.slowDown === undefined ? {} : { slowDown: settings.slowDown }),
        },
        ...(settings.accessTokenTtlS === undefined ? {} : { accessTokenTtlS: settings.accessTokenTtlS }),
      };
      const server = await start(options);
      const resolved = resolveOAuthOptions(options);
      return {
        homeserverUrl: server.baseUrl,
        issuer: server.issuer,
        serverName: server.serverName,
        users: USERS,
        settings: {
          masQuirks: resolved.masQuirks,
          slowDown: resolved.deviceCodeSlowDown,
          deviceCodeTtlS: resolved.deviceCodeTtlS,
          deviceCodeIntervalS: resolved.deviceCodeIntervalS,
          accessTokenTtlS: resolved.accessTokenTtlS,
        },
        advanceClock: (ms) => {
          server.hooks.clock.advance(ms);
          return Promise.resolve();
        },
        hasDevice: (localpart, deviceId) =>
          Promise.resolve(
            server.accounts.getDevice(server.accounts.userIdOf(localpart), deviceId) !== undefined,
          ),
      };
    },
  };
}

/** Matrix discovery: the auth metadata, checked by oauth4webapi against the issuer it names. */
export function discover(server: Devserver): Promise<oauth.AuthorizationServer> {
  return discoverAt(server.baseUrl, server.issuer);
}

export function whoami(server: Pick<Devserver, "baseUrl">, accessToken?: string): Promise<Response> {
  return whoamiAt(server.baseUrl, accessToken);
}

export function expectWhoami(server: Devserver, accessToken: string, deviceId: string, user = "alice") {
  return expectWhoamiAt(server.baseUrl, accessToken, `@${user}:${server.serverName}`, deviceId);
}

/** Answers a device code through the test hook (needs `testHooks: true`). */
export async function answerWithHook(server: Devserver, userCode: string, approve: boolean, user = "alice") {
  const response = await fetch(`${server.baseUrl}/_devserver/approve`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user_code: userCode, user, approve }),
  });
  expect(response.status).toBe(200);
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
