// What passes between Synapse 1.160 and the devserver playing its MAS (devserver/mas/, docs/synapse.md): the auth
// metadata Synapse derives from the devserver, introspection as Synapse asks for it, provisioning, refresh and
// revocation as Synapse sees them, and a devserver that Synapse refuses.
import * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import { startDevserver } from "../../devserver/index";
import { approveOverHttp } from "../helpers/consent";
import {
  AUTH_METADATA,
  STABLE_API,
  UNSTABLE_API,
  discoverAt,
  expectTokens,
  expectWhoamiAt,
  insecure,
  matrixScope,
  pollOnce,
  registerClient,
  requestDeviceCode,
  whoamiAt,
} from "../helpers/oauth-client";
import { advanceMasClock, synapseLane } from "./lane";

const lane = synapseLane();
const issuer = `${lane.masUrl}/`;

interface SignedIn {
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly deviceId: string;
  readonly tokens: oauth.TokenEndpointResponse;
}

let devices = 0;

/** alice signs in a new device through the device grant, discovered through Synapse, approved on the pages. */
async function signIn(): Promise<SignedIn> {
  devices += 1;
  const deviceId = `MASMODE${String(Date.now() % 1_000_000).padStart(6, "0")}${String(devices)}`;
  const as = await discoverAt(lane.synapseUrl, issuer);
  const client = await registerClient(as);
  const device = await requestDeviceCode(as, client, matrixScope(deviceId));
  await approveOverHttp({
    verificationUri: device.verification_uri,
    userCode: device.user_code,
    user: "alice",
    password: lane.users.alice ?? "",
    approve: true,
  });
  await advanceMasClock(lane, (device.interval ?? 5) * 1000);
  return { as, client, deviceId, tokens: expectTokens(await pollOnce(as, client, device.device_code)) };
}

/** POST /oauth2/introspect exactly as Synapse 1.160 sends it (synapse/api/auth/mas.py). */
async function introspectAsSynapse(token: string, secret = lane.masSecret): Promise<Response> {
  return fetch(`${lane.masUrl}/oauth2/introspect`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
      authorization: `Bearer ${secret}`,
      "x-mas-supports-device-id": "1",
    },
    body: new URLSearchParams({ token, token_type_hint: "access_token" }).toString(),
  });
}

function expectWhoami(accessToken: string, deviceId: string): Promise<void> {
  return expectWhoamiAt(lane.synapseUrl, accessToken, `@alice:${lane.serverName}`, deviceId);
}

async function expectInactiveOnSynapse(accessToken: string): Promise<void> {
  const response = await whoamiAt(lane.synapseUrl, accessToken);
  expect(response.status).toBe(401);
  expect(await response.json()).toEqual({
    errcode: "M_UNKNOWN_TOKEN",
    error: "Token is not active",
    soft_logout: false,
  });
}

describe("Synapse with the devserver as its MAS", () => {
  it("Synapse serves the devserver's OpenID configuration as its auth metadata, every field kept, with its own caching", async () => {
    const fromSynapse = await fetch(`${lane.synapseUrl}${AUTH_METADATA}`);
    const fromMas = await fetch(`${issuer}.well-known/openid-configuration`);
    expect(fromSynapse.status).toBe(200);
    const metadata = (await fromSynapse.json()) as Record<string, unknown>;
    expect(metadata).toEqual(await fromMas.json());
    expect(metadata.device_authorization_endpoint).toBe(`${issuer}oauth2/device`);
    expect(fromSynapse.headers.get("cache-control")).toBe(
      "public, max-age=600, s-maxage=3600, stale-while-revalidate=600",
    );
  });

  it("the devserver in MAS mode answers no homeserver path: those are Synapse's", async () => {
    for (const path of [
      "/_matrix/client/versions",
      AUTH_METADATA,
      "/_matrix/client/v3/account/whoami",
      "/_matrix/client/unstable/org.matrix.msc4108/rendezvous",
      "/_synapse/client/rendezvous/01HX9K00Q1H6KPD47EG4G1T3XG",
      "/.well-known/matrix/client",
    ]) {
      const response = await fetch(`${lane.masUrl}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toEqual({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
    }
  });

  it("introspection answers what Synapse reads: active, both scope families, the localpart, the device, expires_in", async () => {
    const { deviceId, tokens } = await signIn();
    const response = await introspectAsSynapse(tokens.access_token);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as Record<string, unknown>;
    expect(answer).toMatchObject({
      active: true,
      username: "alice",
      sub: "alice",
      token_type: "access_token",
      device_id: deviceId,
    });
    expect(String(answer.scope).split(" ")).toEqual(
      expect.arrayContaining([
        STABLE_API,
        UNSTABLE_API,
        `urn:matrix:client:device:${deviceId}`,
        `urn:matrix:org.matrix.msc2967.client:device:${deviceId}`,
      ]),
    );
    expect(Number.isInteger(answer.expires_in)).toBe(true);
    expect(answer.expires_in).toBeGreaterThan(0);
    expect(answer.expires_in).toBeLessThanOrEqual(lane.settings.accessTokenTtlS);
    await expectWhoami(tokens.access_token, deviceId);
  });

  it("introspection with another secret: 401 access_denied, as MAS answers", async () => {
    const { tokens } = await signIn();
    const response = await introspectAsSynapse(tokens.access_token, `${lane.masSecret}x`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: "access_denied" });
  });

  it("a refreshed access token works on Synapse for the same device", async () => {
    const signedIn = await signIn();
    const response = await oauth.refreshTokenGrantRequest(
      signedIn.as,
      signedIn.client,
      oauth.None(),
      signedIn.tokens.refresh_token ?? "",
      insecure,
    );
    const refreshed = await oauth.processRefreshTokenResponse(signedIn.as, signedIn.client, response);
    expect(refreshed.access_token).not.toBe(signedIn.tokens.access_token);
    await expectWhoami(refreshed.access_token, signedIn.deviceId);
  });

  it("revoking the session deletes the device on Synapse: Synapse refuses the token at once, although it cached the introspection", async () => {
    const { as, client, deviceId, tokens } = await signIn();
    await expectWhoami(tokens.access_token, deviceId);
    const revoked = await oauth.revocationRequest(as, client, oauth.None(), tokens.access_token, insecure);
    await oauth.processRevocationResponse(revoked);
    await expectInactiveOnSynapse(tokens.access_token);
  });

  it("a token the devserver never issued: Synapse answers 401 M_UNKNOWN_TOKEN", async () => {
    await expectInactiveOnSynapse("mat_not_a_token_anyone_issued");
  });

  it("a token from the test hook works on Synapse: the hook creates the device there first", async () => {
    const response = await fetch(`${lane.masUrl}/_devserver/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: "bob", device_id: "HOOKDEVICE01" }),
    });
    expect(response.status).toBe(200);
    const { access_token: accessToken } = (await response.json()) as { access_token: string };
    const whoami = await whoamiAt(lane.synapseUrl, accessToken);
    expect(await whoami.json()).toEqual({
      user_id: `@bob:${lane.serverName}`,
      device_id: "HOOKDEVICE01",
      is_guest: false,
    });
  });

  it("a devserver with a secret Synapse does not know refuses to start, with Synapse's 403 and what to check", async () => {
    await expect(
      startDevserver({
        users: ["carol:secret"],
        mas: { homeserverUrl: lane.synapseUrl, secret: `${lane.masSecret}-wrong`, connectTimeoutS: 5 },
      }),
    ).rejects.toThrow(/provision_user for "carol": the homeserver answered 403 M_UNKNOWN .*shared secret/);
  });

  it("a second devserver with the right secret provisions its users on Synapse and learns the server name", async () => {
    const second = await startDevserver({
      users: ["carol:secret"],
      mas: { homeserverUrl: lane.synapseUrl, secret: lane.masSecret },
    });
    try {
      expect(second.serverName).toBe(lane.serverName);
      const query = await fetch(`${lane.synapseUrl}/_synapse/mas/query_user?localpart=carol`, {
        headers: { authorization: `Bearer ${lane.masSecret}` },
      });
      expect(await query.json()).toMatchObject({
        user_id: `@carol:${lane.serverName}`,
        is_deactivated: false,
      });
    } finally {
      await second.close();
    }
  });
});
