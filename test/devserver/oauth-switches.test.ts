// The devserver's switches for homeservers whose OAuth side cannot sign a device in (docs/ux.md
// `server_unsupported`): no OAuth API at all, the device grant switched off as MAS switches it off, and client
// registration refused. Seen from a plain HTTP client, the way any Matrix client meets them.
import { describe, expect, it } from "vitest";
import {
  AUTH_METADATA,
  DEVICE_GRANT,
  insecure,
  matrixScope,
  registerClient,
  useOAuthDevservers,
} from "./oauth-fixtures";
import * as oauth from "oauth4webapi";
import { discoverAt } from "../helpers/oauth-client";

const start = useOAuthDevservers();

const UNSTABLE_AUTH_METADATA = "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata";
const AUTH_ISSUER = "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer";

describe("authMetadata: false (a homeserver without an OAuth API)", () => {
  it("answers every discovery path 404 M_UNRECOGNIZED, and .well-known names no issuer", async () => {
    const server = await start({ authMetadata: false });
    for (const path of [AUTH_METADATA, UNSTABLE_AUTH_METADATA, AUTH_ISSUER]) {
      const response = await fetch(`${server.baseUrl}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.json(), path).toMatchObject({ errcode: "M_UNRECOGNIZED" });
    }
    const wellKnown = (await (await fetch(`${server.baseUrl}/.well-known/matrix/client`)).json()) as object;
    expect(wellKnown).toEqual({ "m.homeserver": { base_url: server.publicBaseUrl } });
  });

  it("serves them by default", async () => {
    const server = await start();
    for (const path of [AUTH_METADATA, UNSTABLE_AUTH_METADATA, AUTH_ISSUER]) {
      expect((await fetch(`${server.baseUrl}${path}`)).status, path).toBe(200);
    }
  });
});

describe("deviceCodeGrantEnabled: false (MAS with oauth.device_code_grant_enabled off)", () => {
  it("still names the device endpoint and grant in its metadata", async () => {
    const server = await start({ deviceCodeGrantEnabled: false });
    const as = await discoverAt(server.baseUrl, server.issuer);
    expect(as.device_authorization_endpoint).toBe(`${server.issuer}oauth2/device`);
    expect(as.grant_types_supported).toContain(DEVICE_GRANT);
  });

  it("registers a client that asks for the grant, without it", async () => {
    const server = await start({ deviceCodeGrantEnabled: false });
    const client = await registerClient(await discoverAt(server.baseUrl, server.issuer));
    expect(client.grant_types).toEqual(["refresh_token"]);
  });

  it("answers a device authorization 400 invalid_request, whatever the client", async () => {
    const server = await start({ deviceCodeGrantEnabled: false });
    const response = await fetch(`${server.issuer}oauth2/device`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: "no-such-client", scope: matrixScope("DOCTORPROBE1") }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "invalid_request",
      error_description: "The Device Authorization Grant is disabled on this server",
    });
  });

  it("grants device codes by default", async () => {
    const server = await start();
    const as = await discoverAt(server.baseUrl, server.issuer);
    const client = await registerClient(as);
    const response = await oauth.deviceAuthorizationRequest(
      as,
      client,
      oauth.None(),
      { scope: matrixScope("DOCTORPROBE1") },
      insecure,
    );
    expect(response.status).toBe(200);
  });
});

describe("refuseRegistration: true", () => {
  it("refuses every registration 400 invalid_client_metadata", async () => {
    const server = await start({ refuseRegistration: true });
    const as = await discoverAt(server.baseUrl, server.issuer);
    const response = await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_uri: "https://client.example.org/",
        token_endpoint_auth_method: "none",
        grant_types: [DEVICE_GRANT, "refresh_token"],
        response_types: [],
      },
      insecure,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: "invalid_client_metadata",
      error_description: "client registration denied by the policy",
    });
  });
});
