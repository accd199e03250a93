// Profiles and Matrix devices of the app (src-main/matrix) against the devserver, for the `matrix` lane: each
// test gets its own data folder; whatever it opened or started is stopped and closed after it, and the folder
// removed.
//
//   const devices = useMatrixDevices();
//   const server = await devices.startDevserver();
//   const { profile, device } = await devices.signIn(server, "alice", "first");
import { randomInt } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as oauth from "oauth4webapi";
import { afterEach } from "vitest";
import { startDevserver, type Devserver, type DevserverOptions } from "../../devserver/index";
import {
  fixedAccessToken,
  Profile,
  startDevice,
  type AccessTokenSource,
  type MatrixDevice,
  type ProfileAccount,
  type StartDeviceOptions,
} from "../../src-main/matrix";
import { createRuntime, type Runtime } from "../../src-main/protocol";
import type { TranscriptEntry } from "../../src-shared/transcript";
import { mintDeviceToken } from "./csapi";
import {
  discoverAt,
  expectTokens,
  insecure,
  matrixScope,
  pollOnce,
  registerClient,
  requestDeviceCode,
  whoamiAt,
} from "./oauth-client";
// Quiets matrix-js-sdk's root logger (the rendezvous and OAuth modules log there).
import "./js-sdk";

/** Short waits: no test waits more than a few seconds on a real timer. */
export const TEST_TIMINGS = {
  deviceKeysTimeoutMs: 4000,
  pollIntervalMs: 50,
  firstSyncTimeoutMs: 5000,
  retry: { attempts: 3, backoffMs: 50 },
} as const;

export const TEST_CRYPTO_STORE = { debounceMs: 20, maxDelayMs: 200 } as const;

export interface SignedInDevice {
  readonly profile: Profile;
  readonly device: MatrixDevice;
  readonly account: ProfileAccount;
  readonly accessToken: string;
}

export interface MatrixDevices {
  /** A folder of its own for this test, removed after it. */
  readonly root: () => Promise<string>;
  readonly transcript: TranscriptEntry[];
  readonly runtime: Runtime;
  startDevserver(options?: DevserverOptions): Promise<Devserver>;
  /** Opens (creating) the profile `name` in this test's folder. */
  openProfile(name: string): Promise<Profile>;
  /** Starts the profile's device (closed after the test unless the test stopped it). */
  start(options: Omit<StartDeviceOptions, "runtime"> & { runtime?: Runtime }): Promise<MatrixDevice>;
  /** A new device of `user` (token from the devserver's hook) in a new profile `name`, started. */
  signIn(server: Devserver, user: string, name: string, tokens?: AccessTokenSource): Promise<SignedInDevice>;
}

export function useMatrixDevices(): MatrixDevices {
  let folder: string | undefined;
  const profiles: Profile[] = [];
  const devices: MatrixDevice[] = [];
  const servers: Devserver[] = [];
  const transcript: TranscriptEntry[] = [];
  const runtime = createRuntime({
    transcript: (entry) => {
      transcript.push(entry);
    },
  });

  afterEach(async () => {
    for (const device of devices.splice(0)) await device.stop();
    for (const profile of profiles.splice(0)) await profile.close();
    await Promise.all(servers.splice(0).map((server) => server.close()));
    transcript.length = 0;
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
    folder = undefined;
  });

  const root = async (): Promise<string> => {
    folder ??= await mkdtemp(join(tmpdir(), "mql-matrix-"));
    return folder;
  };

  const openProfile = async (name: string): Promise<Profile> => {
    const profile = await Profile.open({ location: { dir: join(await root(), name) }, app: "test" });
    profiles.push(profile);
    return profile;
  };

  const start: MatrixDevices["start"] = async (options) => {
    const device = await startDevice({
      runtime,
      timings: TEST_TIMINGS,
      cryptoStore: TEST_CRYPTO_STORE,
      ...options,
    });
    devices.push(device);
    return device;
  };

  return {
    root,
    transcript,
    runtime,
    startDevserver: async (options = {}) => {
      const server = await startDevserver({ testHooks: true, users: ["alice:secret"], ...options });
      servers.push(server);
      return server;
    },
    openProfile,
    start,
    signIn: async (server, user, name, tokens) => {
      const token = await mintDeviceToken(server, user);
      const account = { homeserver: server.baseUrl, userId: token.user_id, deviceId: token.device_id };
      const profile = await openProfile(name);
      await profile.setAccount(account, { accessToken: token.access_token });
      const device = await start({ profile, tokens: tokens ?? fixedAccessToken(token.access_token) });
      return { profile, device, account, accessToken: token.access_token };
    },
  };
}

/** An AbortSignal for one test step that never aborts on its own. */
export function testSignal(): AbortSignal {
  return new AbortController().signal;
}

/** POSTs JSON to a devserver test hook (`/_devserver/...`), with the JSON content type the hooks require. */
export async function postHook(server: Devserver, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** A device ID as Synapse makes them: ten upper-case letters. */
export function newDeviceId(): string {
  return Array.from({ length: 10 }, () => String.fromCharCode(65 + randomInt(26))).join("");
}

export interface DeviceGrantSignIn {
  readonly account: ProfileAccount;
  readonly tokens: oauth.TokenEndpointResponse;
  /** Refreshes with the refresh token (rotating it); a refused refresh is `signed_out`. */
  readonly source: AccessTokenSource;
}

/**
 * A new device of `user` signed in through the OAuth device grant, as the app's new device does it (discovery,
 * registration, device authorization, token polling), the consent answered by the devserver's approve hook.
 */
export async function signInWithDeviceGrant(server: Devserver, user: string): Promise<DeviceGrantSignIn> {
  const deviceId = newDeviceId();
  const as = await discoverAt(server.baseUrl, server.issuer);
  const client = await registerClient(as);
  const authorization = await requestDeviceCode(as, client, matrixScope(deviceId));
  const approved = await postHook(server, "/_devserver/approve", {
    user_code: authorization.user_code,
    user,
    approve: true,
  });
  if (approved.status !== 200) throw new Error(`/_devserver/approve answered ${approved.status}`);
  const tokens = expectTokens(await pollOnce(as, client, authorization.device_code));
  const whoami = (await (await whoamiAt(server.baseUrl, tokens.access_token)).json()) as { user_id: string };
  let current = { access: tokens.access_token, refresh: tokens.refresh_token };
  const source: AccessTokenSource = {
    accessToken: () => Promise.resolve(current.access),
    refreshAfterUnknownToken: async () => {
      if (current.refresh === undefined)
        throw Object.assign(new Error("no refresh token"), { code: "signed_out" });
      const response = await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.None(),
        current.refresh,
        insecure,
      );
      try {
        const refreshed = await oauth.processRefreshTokenResponse(as, client, response);
        current = { access: refreshed.access_token, refresh: refreshed.refresh_token ?? current.refresh };
        return current.access;
      } catch (error) {
        if (error instanceof oauth.ResponseBodyError && error.error === "invalid_grant") {
          throw Object.assign(new Error("the refresh token was refused"), { code: "signed_out" });
        }
        throw error;
      }
    },
  };
  return { account: { homeserver: server.baseUrl, userId: whoami.user_id, deviceId }, tokens, source };
}
