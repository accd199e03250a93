// The Matrix scope rules (MAS policy, docs/protocol.md §6): `api:*` plus exactly one device scope, stable or unstable
// names but never both, MAS's device ID alphabet (Element X's base64 identity keys included), `openid` alongside.
// Refusals are `invalid_scope` at the device authorization endpoint, and an error redirect at the authorization
// endpoint.
import * as oauth from "oauth4webapi";
import { beforeEach, describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import {
  STABLE_API,
  UNSTABLE_API,
  answerWithHook,
  discover,
  expectTokens,
  expectWhoami,
  matrixScope,
  pollOnce,
  registerClient,
  requestDeviceCode,
  useOAuthDevservers,
} from "./oauth-fixtures";

const start = useOAuthDevservers();
let server: Devserver;
let as: oauth.AuthorizationServer;
let client: oauth.Client;

beforeEach(async () => {
  server = await start({ testHooks: true });
  as = await discover(server);
  client = await registerClient(as);
});

/** Asks for a device code and expects the scope to be refused. */
async function expectInvalidScope(scope: string, mentions: string): Promise<void> {
  const response = await fetch(`${server.publicBaseUrl}/oauth2/device`, {
    method: "POST",
    body: new URLSearchParams({ client_id: client.client_id, scope }),
  });
  expect(response.status).toBe(400);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe("invalid_scope");
  expect(body.error_description).toContain(mentions);
}

/** Runs the device grant to tokens with the given scope, approving through the test hook. */
async function signIn(scope: string): Promise<oauth.TokenEndpointResponse> {
  const device = await requestDeviceCode(as, client, scope);
  await answerWithHook(server, device.user_code, true);
  return expectTokens(await pollOnce(as, client, device.device_code));
}

describe("Matrix scopes: accepted", () => {
  it("the stable pair: the token carries both scopes and whoami names the device", async () => {
    const tokens = await signIn(matrixScope("STABLEDEV01"));
    expect(tokens.scope?.split(" ").sort()).toEqual(
      [STABLE_API, "urn:matrix:client:device:STABLEDEV01"].sort(),
    );
    await expectWhoami(server, tokens.access_token, "STABLEDEV01");
  });

  it("the unstable pair (what Element X sends): the token carries the unstable names", async () => {
    const tokens = await signIn(matrixScope("UNSTABLEDEV", "unstable"));
    expect(tokens.scope?.split(" ").sort()).toEqual(
      [UNSTABLE_API, "urn:matrix:org.matrix.msc2967.client:device:UNSTABLEDEV"].sort(),
    );
    await expectWhoami(server, tokens.access_token, "UNSTABLEDEV");
  });

  it("a device ID with + and / (an unpadded base64 Curve25519 key, as Element X uses) is accepted", async () => {
    const deviceId = "Ab+cD/ef0123456789+/ghIJklMNopQRstUVwxYZ012";
    const tokens = await signIn(matrixScope(deviceId));
    await expectWhoami(server, tokens.access_token, deviceId);
    expect(server.accounts.getDevice(`@alice:${server.serverName}`, deviceId)).toBeDefined();
  });

  it("openid alongside the Matrix scopes yields an ID token as well", async () => {
    const tokens = await signIn(`openid ${matrixScope("OPENIDDEV01")}`);
    expect(typeof tokens.id_token).toBe("string");
    await expectWhoami(server, tokens.access_token, "OPENIDDEV01");
  });
});

describe("Matrix scopes: refused with invalid_scope", () => {
  it("stable and unstable names mixed", async () => {
    await expectInvalidScope(
      `${STABLE_API} urn:matrix:org.matrix.msc2967.client:device:MIXEDDEV01`,
      "must not be mixed",
    );
  });

  it("no device scope", async () => {
    await expectInvalidScope(STABLE_API, "exactly one device scope");
  });

  it("two device scopes", async () => {
    await expectInvalidScope(
      `${STABLE_API} urn:matrix:client:device:FIRSTDEV01 urn:matrix:client:device:SECONDDEV1`,
      "only one device scope",
    );
  });

  it("a device scope without the API scope", async () => {
    await expectInvalidScope("urn:matrix:client:device:NOAPIDEV01", `requires the ${STABLE_API} scope`);
  });

  it("a device ID shorter than 10 characters", async () => {
    await expectInvalidScope(matrixScope("SHORT6789"), "at least 10 characters");
  });

  it("a device ID with a character outside MAS's alphabet", async () => {
    await expectInvalidScope(matrixScope("HAS%PERCENT0"), "at least 10 characters from");
  });

  it("a scope this server does not know", async () => {
    await expectInvalidScope(
      `${matrixScope("UNKNOWNDEV1")} urn:synapse:admin:*`,
      '"urn:synapse:admin:*" is not supported',
    );
  });

  it("at the authorization endpoint, a bad scope comes back to the client as an invalid_scope redirect", async () => {
    const redirectUri = "http://127.0.0.1/callback";
    const webClient = await registerClient(as, {
      application_type: "native",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      redirect_uris: [redirectUri],
    });
    const url = new URL(as.authorization_endpoint ?? "");
    url.search = new URLSearchParams({
      client_id: webClient.client_id,
      response_type: "code",
      redirect_uri: redirectUri,
      scope: STABLE_API,
      state: "s1",
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: "S256",
    }).toString();
    const response = await fetch(url, { redirect: "manual" });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get("error")).toBe("invalid_scope");
    expect(location.searchParams.get("state")).toBe("s1");
  });
});

describe("Matrix scopes: a server that knows one family (scopeFamily)", () => {
  it("unstable only: scopes_supported lists only the unstable API scope, the stable pair is invalid_scope, the unstable one signs in", async () => {
    server = await start({ testHooks: true, scopeFamily: "unstable" });
    as = await discover(server);
    client = await registerClient(as);
    expect(as.scopes_supported).toEqual(["openid", UNSTABLE_API]);
    await expectInvalidScope(matrixScope("STABLEDEV01"), "accepts only the unstable Matrix scopes");
    const tokens = await signIn(matrixScope("UNSTABLEDEV", "unstable"));
    await expectWhoami(server, tokens.access_token, "UNSTABLEDEV");
  });
});
