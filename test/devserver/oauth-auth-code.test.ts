// The authorization code grant with PKCE (the app's manual sign-in fallback): S256 only, the login and consent
// pages over HTTP, a native client's loopback redirect on any port, Deny, and PKCE misuse refused.
import * as oauth from "oauth4webapi";
import { beforeEach, describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import { approveOverHttp } from "../helpers/consent";
import {
  USERS,
  discover,
  expectWhoami,
  insecure,
  matrixScope,
  registerClient,
  useOAuthDevservers,
} from "./oauth-fixtures";

const REGISTERED_REDIRECT = "http://127.0.0.1/callback";

const start = useOAuthDevservers();
let server: Devserver;
let as: oauth.AuthorizationServer;
let client: oauth.Client;

beforeEach(async () => {
  server = await start();
  as = await discover(server);
  client = await registerClient(as, {
    application_type: "native",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    redirect_uris: [REGISTERED_REDIRECT],
  });
});

interface Authorization {
  readonly url: URL;
  readonly verifier: string;
  readonly state: string;
  readonly redirectUri: string;
}

async function authorizationUrl(
  overrides: Record<string, string> = {},
  redirectUri = "http://127.0.0.1:43210/callback",
): Promise<Authorization> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint ?? "");
  url.search = new URLSearchParams({
    client_id: client.client_id,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: matrixScope("WEBDEVICE01"),
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    ...overrides,
  }).toString();
  return { url, verifier, state, redirectUri };
}

async function consent(authorization: Authorization, approve: boolean): Promise<URL> {
  const outcome = await approveOverHttp({
    verificationUri: authorization.url.href,
    user: "alice",
    password: USERS.alice,
    approve,
  });
  if (outcome.kind !== "redirect")
    throw new Error(`expected a redirect to the client, got ${outcome.result}`);
  return outcome.url;
}

/** Where the authorization endpoint sends the browser straight away (an error for a bad request). */
async function immediateRedirect(url: URL): Promise<URL> {
  const response = await fetch(url, { redirect: "manual" });
  expect(response.status).toBe(303);
  return new URL(response.headers.get("location") ?? "");
}

describe("authorization code grant with PKCE", () => {
  it("login and consent, then the code buys tokens for the requested device and whoami names it", async () => {
    const authorization = await authorizationUrl();
    const callback = await consent(authorization, true);
    expect(`${callback.origin}${callback.pathname}`).toBe(authorization.redirectUri);
    const params = oauth.validateAuthResponse(as, client, callback, authorization.state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      authorization.redirectUri,
      authorization.verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    expect(typeof tokens.refresh_token).toBe("string");
    await expectWhoami(server, tokens.access_token, "WEBDEVICE01");
  });

  it("a native client's loopback redirect URI matches whatever the port (RFC 8252 §7.3)", async () => {
    const authorization = await authorizationUrl({}, "http://127.0.0.1:5999/callback");
    const callback = await consent(authorization, true);
    expect(callback.port).toBe("5999");
    expect(callback.searchParams.get("code")).not.toBeNull();
  });

  it("Deny sends the client access_denied at its redirect URI", async () => {
    const authorization = await authorizationUrl();
    const callback = await consent(authorization, false);
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("state")).toBe(authorization.state);
  });

  it("the code verifier must match the challenge: invalid_grant", async () => {
    const authorization = await authorizationUrl();
    const params = oauth.validateAuthResponse(
      as,
      client,
      await consent(authorization, true),
      authorization.state,
    );
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      authorization.redirectUri,
      oauth.generateRandomCodeVerifier(),
      insecure,
    );
    await expect(oauth.processAuthorizationCodeResponse(as, client, response)).rejects.toMatchObject({
      error: "invalid_grant",
    });
  });

  it("the plain PKCE method is refused", async () => {
    const authorization = await authorizationUrl({
      code_challenge: "x".repeat(43),
      code_challenge_method: "plain",
    });
    const location = await immediateRedirect(authorization.url);
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.get("error_description")).toContain("code_challenge_method");
  });

  it("a request without a code challenge is refused: PKCE is required", async () => {
    const authorization = await authorizationUrl();
    authorization.url.searchParams.delete("code_challenge");
    authorization.url.searchParams.delete("code_challenge_method");
    const location = await immediateRedirect(authorization.url);
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.get("error_description")).toContain("PKCE");
  });

  it("a redirect URI that was not registered gets an error page, never a redirect", async () => {
    const authorization = await authorizationUrl({}, "https://attacker.example.net/callback");
    const response = await fetch(authorization.url, { redirect: "manual", headers: { accept: "text/html" } });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain('data-page="error"');
  });
});
