// MAS mode against a stand-in homeserver (test/helpers/stand-in-homeserver.ts). The real Synapse runs the same flows
// in the Synapse lane (test/synapse/, `npm run test:synapse`); the stand-in is for what a real one will not do on
// demand: start late, refuse a device, never answer, and for checking the order of calls against the token response.
import * as oauth from "oauth4webapi";
import { afterEach, describe, expect, it } from "vitest";
import { approveOverHttp } from "../../test/helpers/consent";
import {
  insecure,
  matrixScope,
  registerClient,
  requestDeviceCode,
  sleep,
} from "../../test/helpers/oauth-client";
import {
  STAND_IN_SECRET,
  STAND_IN_SERVER_NAME,
  closedPort,
  startStandIn,
  type StandIn,
  type StandInOptions,
} from "../../test/helpers/stand-in-homeserver";
import { startDevserver, type Devserver } from "../index";

const SECRET = STAND_IN_SECRET;
const SERVER_NAME = STAND_IN_SERVER_NAME;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function standIn(options?: StandInOptions): Promise<StandIn> {
  const started = await startStandIn(options);
  cleanups.push(() => started.close());
  return started;
}

async function masDevserver(homeserverUrl: string, connectTimeoutS = 5): Promise<Devserver> {
  const server = await startDevserver({
    users: ["alice:secret", "bob:hunter2"],
    deviceCode: { intervalS: 1 },
    mas: { homeserverUrl, secret: SECRET, connectTimeoutS },
  });
  cleanups.push(() => server.close());
  return server;
}

/** alice approves a new device on the pages; then the client polls once (the raw token endpoint response). */
async function approvedTokenResponse(server: Devserver, deviceId: string) {
  // In MAS mode the Matrix auth metadata is the homeserver's to serve: read the issuer's OIDC discovery.
  const issuer = new URL(server.issuer);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: "oidc", ...insecure }),
  );
  const client = await registerClient(as);
  const device = await requestDeviceCode(as, client, matrixScope(deviceId));
  await approveOverHttp({
    verificationUri: device.verification_uri,
    userCode: device.user_code,
    user: "alice",
    password: "secret",
    approve: true,
  });
  server.hooks.clock.advance(1000);
  const response = await oauth.deviceCodeGrantRequest(as, client, oauth.None(), device.device_code, insecure);
  return { as, client, response };
}

/** As `approvedTokenResponse`, read by oauth4webapi: the tokens. */
async function signIn(server: Devserver, deviceId: string) {
  const { as, client, response } = await approvedTokenResponse(server, deviceId);
  return { as, client, tokens: await oauth.processDeviceCodeResponse(as, client, response) };
}

async function introspect(
  server: Devserver,
  token: string,
  { secret = SECRET, hint = "access_token", deviceIdHeader = true } = {},
): Promise<Response> {
  return fetch(`${server.baseUrl}/oauth2/introspect`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Bearer ${secret}`,
      ...(deviceIdHeader ? { "x-mas-supports-device-id": "1" } : {}),
    },
    body: new URLSearchParams({ token, token_type_hint: hint }).toString(),
  });
}

describe("MAS mode: starting", () => {
  it("provisions every configured user with the shared secret, as MAS sends it, and takes the server name from the homeserver", async () => {
    const homeserver = await standIn();
    const server = await masDevserver(homeserver.url);
    expect(homeserver.calls).toEqual([
      {
        method: "POST",
        path: "/_synapse/mas/provision_user",
        authorization: `Bearer ${SECRET}`,
        contentType: "application/json",
        body: { localpart: "alice" },
      },
      expect.objectContaining({
        method: "POST",
        path: "/_synapse/mas/provision_user",
        body: { localpart: "bob" },
      }),
      expect.objectContaining({ method: "GET", path: "/_synapse/mas/query_user?localpart=alice" }),
    ]);
    expect(server.serverName).toBe(SERVER_NAME);
  });

  it("a homeserver that is still starting: the devserver waits for it", async () => {
    const port = await closedPort();
    const starting = masDevserver(`http://127.0.0.1:${port}`);
    await sleep(400);
    await standIn({ port });
    expect((await starting).serverName).toBe(SERVER_NAME);
  });

  it("a homeserver that never answers: start fails once the connect timeout has passed, saying where it looked", async () => {
    const port = await closedPort();
    await expect(masDevserver(`http://127.0.0.1:${port}`, 0.3)).rejects.toThrow(
      `provision_user for "alice": no answer from the homeserver at http://127.0.0.1:${port}/_synapse/mas/provision_user`,
    );
  });

  it("a secret the homeserver refuses: start fails at once with its 403 and what to check", async () => {
    const homeserver = await standIn({ secret: "another secret" });
    await expect(masDevserver(homeserver.url, 30)).rejects.toThrow(
      /the homeserver answered 403 M_UNKNOWN "This endpoint must only be called by MAS" \(check the shared secret/,
    );
    expect(homeserver.calls).toHaveLength(1);
  });

  it("no user to provision: refuses to start", async () => {
    const homeserver = await standIn();
    await expect(startDevserver({ mas: { homeserverUrl: homeserver.url, secret: SECRET } })).rejects.toThrow(
      /at least one user/,
    );
  });
});

describe("MAS mode: only the OAuth side", () => {
  it("every homeserver path is 404; the OpenID configuration names the issuer and the account page", async () => {
    const server = await masDevserver((await standIn()).url);
    for (const path of [
      "/_matrix/client/versions",
      "/_matrix/client/v1/auth_metadata",
      "/_matrix/client/v3/account/whoami",
      "/_matrix/client/unstable/org.matrix.msc4108/rendezvous",
      "/_matrix/client/unstable/io.element.msc4388/rendezvous",
      "/_synapse/client/rendezvous/01HX9K00Q1H6KPD47EG4G1T3XG",
      "/.well-known/matrix/client",
    ]) {
      expect((await fetch(`${server.baseUrl}${path}`)).status, path).toBe(404);
    }
    const response = await fetch(`${server.baseUrl}/.well-known/openid-configuration`);
    expect(await response.json()).toMatchObject({
      issuer: server.issuer,
      account_management_uri: `${server.issuer}account/`,
      device_authorization_endpoint: `${server.issuer}oauth2/device`,
    });
  });
});

describe("MAS mode: devices on the homeserver", () => {
  it("the token response leaves only after upsert_device answered", async () => {
    const homeserver = await standIn({ upsertDelayMs: 200 });
    const server = await masDevserver(homeserver.url);
    const { response } = await approvedTokenResponse(server, "NEWDEVICE01");
    homeserver.events.push("tokens received");
    expect(response.status).toBe(200);
    expect(homeserver.events).toEqual(["upsert_device answered", "tokens received"]);
    expect(homeserver.calls.at(-1)).toMatchObject({
      method: "POST",
      path: "/_synapse/mas/upsert_device",
      authorization: `Bearer ${SECRET}`,
      body: { localpart: "alice", device_id: "NEWDEVICE01" },
    });
  });

  it("upsert_device refused: the token request fails with server_error, never silently", async () => {
    const homeserver = await standIn({ upsertStatus: 500 });
    const server = await masDevserver(homeserver.url);
    const { response } = await approvedTokenResponse(server, "NEWDEVICE01");
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: "server_error",
      error_description: "the homeserver could not create the device",
    });
  });

  it("revoking the session deletes its device on the homeserver", async () => {
    const homeserver = await standIn();
    const server = await masDevserver(homeserver.url);
    const { as, client, tokens } = await signIn(server, "NEWDEVICE01");
    const response = await oauth.revocationRequest(as, client, oauth.None(), tokens.access_token, insecure);
    await oauth.processRevocationResponse(response);
    expect(homeserver.calls.at(-1)).toMatchObject({
      method: "POST",
      path: "/_synapse/mas/delete_device",
      body: { localpart: "alice", device_id: "NEWDEVICE01" },
    });
    expect(await (await introspect(server, tokens.access_token)).json()).toEqual({ active: false });
  });
});

describe("MAS mode: introspection for the homeserver", () => {
  it("a live token: what Synapse reads (active, both scope families, localpart, device, expires_in) and what MAS adds", async () => {
    const server = await masDevserver((await standIn()).url);
    const { tokens } = await signIn(server, "NEWDEVICE01");
    const response = await introspect(server, tokens.access_token);
    expect(response.status).toBe(200);
    const {
      client_id: clientId,
      exp,
      expires_in: expiresIn,
      ...answer
    } = (await response.json()) as Record<string, unknown>;
    expect(answer).toEqual({
      active: true,
      scope: [
        "urn:matrix:client:api:*",
        "urn:matrix:client:device:NEWDEVICE01",
        "urn:matrix:org.matrix.msc2967.client:api:*",
        "urn:matrix:org.matrix.msc2967.client:device:NEWDEVICE01",
      ].join(" "),
      username: "alice",
      sub: "alice",
      token_type: "access_token",
      device_id: "NEWDEVICE01",
    });
    expect(typeof clientId).toBe("string");
    // Relative seconds, a whole number (Synapse's pydantic model takes a StrictInt), within the 300 s lifetime.
    expect(Number.isInteger(expiresIn)).toBe(true);
    expect(expiresIn).toBeGreaterThan(290);
    expect(expiresIn).toBeLessThanOrEqual(300);
    // `exp` is absolute (MAS sends it too; Synapse ignores it).
    expect(Number.isInteger(exp)).toBe(true);
    expect(Number(exp)).toBeGreaterThan(Date.now() / 1000);
  });

  it("device_id only for a homeserver that says it reads it (X-MAS-Supports-Device-Id: 1)", async () => {
    const server = await masDevserver((await standIn()).url);
    const { tokens } = await signIn(server, "NEWDEVICE01");
    const response = await introspect(server, tokens.access_token, { deviceIdHeader: false });
    const answer: unknown = await response.json();
    expect(answer).toMatchObject({ active: true });
    expect(answer).not.toHaveProperty("device_id");
  });

  it("inactive: a token nobody issued, a refresh token, and a hint naming another kind of token", async () => {
    const server = await masDevserver((await standIn()).url);
    const { tokens } = await signIn(server, "NEWDEVICE01");
    for (const [token, hint] of [
      ["mat_nobody_issued_this", "access_token"],
      [tokens.refresh_token ?? "", "access_token"],
      [tokens.access_token, "refresh_token"],
    ] as const) {
      expect(await (await introspect(server, token, { hint })).json(), `${hint} ${token}`).toEqual({
        active: false,
      });
    }
  });

  it("another secret: 401 access_denied, as MAS answers; a request that is not a form: 400 invalid_request", async () => {
    const server = await masDevserver((await standIn()).url);
    const wrong = await introspect(server, "anything", { secret: `${SECRET}-not` });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: "access_denied",
      error_description: "bearer token presented is invalid",
    });
    const notForm = await fetch(`${server.baseUrl}/oauth2/introspect`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" },
      body: JSON.stringify({ token: "anything" }),
    });
    expect(notForm.status).toBe(400);
    expect(await notForm.json()).toEqual({ error: "invalid_request" });
  });
});
