// Tokens after sign-in, as the client-server API sees them: whoami (`M_MISSING_TOKEN` / `M_UNKNOWN_TOKEN`), refresh
// rotation (the old refresh token is refused), revocation (the session and its device end), expiry, device
// removal, and the rendezvous API's authenticated mode accepting the OAuth server's tokens.
import * as oauth from "oauth4webapi";
import { beforeEach, describe, expect, it } from "vitest";
import type { Devserver, DevserverOptions } from "../../devserver/index";
import {
  discover,
  expectWhoami,
  insecure,
  registerClient,
  signInWithHook,
  sleep,
  useOAuthDevservers,
  whoami,
} from "./oauth-fixtures";

const start = useOAuthDevservers();
let server: Devserver;
let as: oauth.AuthorizationServer;
let client: oauth.Client;
let userId: string;

async function setUp(options: DevserverOptions = {}): Promise<void> {
  server = await start({ testHooks: true, ...options });
  as = await discover(server);
  client = await registerClient(as);
  userId = `@alice:${server.serverName}`;
}

beforeEach(async () => {
  await setUp();
});

async function refresh(refreshToken: string): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, insecure);
  return oauth.processRefreshTokenResponse(as, client, response);
}

async function revoke(token: string): Promise<void> {
  const response = await oauth.revocationRequest(as, client, oauth.None(), token, insecure);
  await oauth.processRevocationResponse(response);
}

async function expectUnknownToken(accessToken: string): Promise<void> {
  const response = await whoami(server, accessToken);
  expect(response.status).toBe(401);
  expect(await response.json()).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: false });
}

describe("whoami", () => {
  it("without a token: 401 M_MISSING_TOKEN", async () => {
    const response = await whoami(server);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ errcode: "M_MISSING_TOKEN" });
  });

  it("with a token nobody issued: 401 M_UNKNOWN_TOKEN", async () => {
    await expectUnknownToken("not-a-token");
  });

  it("with the legacy access_token query parameter, like Synapse", async () => {
    const tokens = await signInWithHook(server, as, client, "QUERYDEV01");
    const response = await fetch(
      `${server.baseUrl}/_matrix/client/v3/account/whoami?access_token=${encodeURIComponent(tokens.access_token)}`,
    );
    expect(await response.json()).toMatchObject({ device_id: "QUERYDEV01" });
  });
});

describe("refresh", () => {
  it("gives a new access token and a new refresh token for the same device, which is kept as it was", async () => {
    const first = await signInWithHook(server, as, client, "REFRESHDEV1");
    const device = server.accounts.getDevice(userId, "REFRESHDEV1");
    const second = await refresh(first.refresh_token ?? "");
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    await expectWhoami(server, second.access_token, "REFRESHDEV1");
    expect(server.accounts.getDevice(userId, "REFRESHDEV1")).toBe(device);
  });

  it("rotates: the refresh token already used is refused with invalid_grant", async () => {
    const first = await signInWithHook(server, as, client, "ROTATEDEV01");
    await refresh(first.refresh_token ?? "");
    await expect(refresh(first.refresh_token ?? "")).rejects.toMatchObject({ error: "invalid_grant" });
  });
});

describe("revocation", () => {
  it("revoking the access token ends the session: whoami refuses it and the device is removed", async () => {
    const tokens = await signInWithHook(server, as, client, "REVOKEDEV01");
    await revoke(tokens.access_token);
    await expectUnknownToken(tokens.access_token);
    expect(server.accounts.getDevice(userId, "REVOKEDEV01")).toBeUndefined();
    await expect(refresh(tokens.refresh_token ?? "")).rejects.toMatchObject({ error: "invalid_grant" });
  });

  it("revoking the refresh token ends the session too", async () => {
    const tokens = await signInWithHook(server, as, client, "REVOKEDEV02");
    await revoke(tokens.refresh_token ?? "");
    await expectUnknownToken(tokens.access_token);
    expect(server.accounts.getDevice(userId, "REVOKEDEV02")).toBeUndefined();
  });

  it("another client cannot revoke the token (and the device stays)", async () => {
    const tokens = await signInWithHook(server, as, client, "REVOKEDEV03");
    const other = await registerClient(as);
    const response = await oauth.revocationRequest(as, other, oauth.None(), tokens.access_token, insecure);
    await oauth.processRevocationResponse(response);
    await expectWhoami(server, tokens.access_token, "REVOKEDEV03");
  });
});

describe("token lifetime and device removal", () => {
  it("an access token past its lifetime is refused", async () => {
    await setUp({ accessTokenTtlS: 1 });
    const tokens = await signInWithHook(server, as, client, "EXPIREDEV01");
    expect(tokens.expires_in).toBe(1);
    await sleep(1100);
    await expectUnknownToken(tokens.access_token);
  });

  it("removing the device invalidates its tokens, and its refresh token cannot bring it back", async () => {
    const tokens = await signInWithHook(server, as, client, "REMOVEDEV01");
    expect(server.accounts.removeDevice(userId, "REMOVEDEV01")).toBe(true);
    await expectUnknownToken(tokens.access_token);
    await expect(refresh(tokens.refresh_token ?? "")).rejects.toMatchObject({ error: "invalid_grant" });
    expect(server.accounts.getDevice(userId, "REMOVEDEV01")).toBeUndefined();
  });
});

describe("MSC4388 authenticated mode", () => {
  it("creating a rendezvous session takes the OAuth server's access token, and refuses none", async () => {
    await setUp({ rendezvous: { msc4388Mode: "authenticated" } });
    const create = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${server.baseUrl}/_matrix/client/unstable/io.element.msc4388/rendezvous`, {
        method: "POST",
        headers,
        body: JSON.stringify({ data: "" }),
      });
    expect((await create({})).status).toBe(401);
    const tokens = await signInWithHook(server, as, client, "RENDEZVOUS1");
    expect((await create({ authorization: `Bearer ${tokens.access_token}` })).status).toBe(200);
  });
});
