// Dynamic client registration under the Matrix rules and MAS's policy (PROTOCOL.md §5.2): what is accepted, and
// one refusal per rule, each naming the rule in `error_description`.
import { beforeEach, describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import { DEVICE_GRANT, useOAuthDevservers } from "./oauth-fixtures";

const start = useOAuthDevservers();
let server: Devserver;

beforeEach(async () => {
  server = await start();
});

/** A web client with the authorization code grant, the smallest registration MAS's own tests accept. */
const WEB_CLIENT = {
  client_uri: "https://client.example.org/",
  token_endpoint_auth_method: "none",
  redirect_uris: ["https://client.example.org/callback"],
};

async function register(
  metadata: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.baseUrl}/oauth2/registration`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(metadata),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function expectRefused(
  metadata: Record<string, unknown>,
  error: "invalid_client_metadata" | "invalid_redirect_uri",
  mentions: string,
): Promise<void> {
  const { status, body } = await register(metadata);
  expect(status).toBe(400);
  expect(body.error).toBe(error);
  expect(body.error_description).toContain(mentions);
}

describe("registration: accepted", () => {
  it("a device-grant-only client without redirect URIs (MAS's own example): 201 with a client_id", async () => {
    const { status, body } = await register({
      client_uri: "https://example.com/",
      token_endpoint_auth_method: "none",
      grant_types: [DEVICE_GRANT],
      response_types: [],
    });
    expect(status).toBe(201);
    expect(typeof body.client_id).toBe("string");
    expect(body).toMatchObject({
      grant_types: [DEVICE_GRANT],
      response_types: [],
      token_endpoint_auth_method: "none",
    });
  });

  it("grant_types omitted: MAS's default, authorization_code alone, with response_types code", async () => {
    const { status, body } = await register(WEB_CLIENT);
    expect(status).toBe(201);
    expect(body).toMatchObject({ grant_types: ["authorization_code"], response_types: ["code"] });
  });

  it("response_types omitted for a device-grant client: derived as none", async () => {
    const { status, body } = await register({
      client_uri: "https://example.com/",
      token_endpoint_auth_method: "none",
      grant_types: [DEVICE_GRANT, "refresh_token"],
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({ grant_types: [DEVICE_GRANT, "refresh_token"], response_types: [] });
  });

  it("a web client with https redirect URIs on the client_uri host and a subdomain, and same-host policy URIs", async () => {
    const { status } = await register({
      ...WEB_CLIENT,
      client_name: "Example",
      redirect_uris: ["https://client.example.org/callback", "https://app.client.example.org/cb"],
      logo_uri: "https://client.example.org/logo.png",
      tos_uri: "https://client.example.org/tos",
      policy_uri: "https://www.client.example.org/privacy",
      grant_types: ["authorization_code", "refresh_token", DEVICE_GRANT],
    });
    expect(status).toBe(201);
  });

  it("a native client with loopback redirects (127.0.0.1, [::1], localhost) and a reverse-domain private-use scheme", async () => {
    const { status, body } = await register({
      ...WEB_CLIENT,
      application_type: "native",
      redirect_uris: [
        "http://127.0.0.1/callback",
        "http://[::1]:8080/callback",
        "http://localhost:1234/",
        "org.example.client:/callback",
        "org.example.client.desktop:/oauth",
      ],
    });
    expect(status).toBe(201);
    expect(body.application_type).toBe("native");
  });
});

describe("registration: refused, one rule each", () => {
  it("client_uri missing", async () => {
    const { client_uri: _, ...rest } = WEB_CLIENT;
    await expectRefused(rest, "invalid_client_metadata", "client_uri is required");
  });

  it("client_uri not https", async () => {
    await expectRefused(
      { ...WEB_CLIENT, client_uri: "http://client.example.org/" },
      "invalid_client_metadata",
      "client_uri",
    );
  });

  it("client_uri on localhost", async () => {
    await expectRefused(
      { ...WEB_CLIENT, client_uri: "https://localhost/" },
      "invalid_client_metadata",
      "client_uri",
    );
  });

  it("token_endpoint_auth_method other than none (confidential clients are not served)", async () => {
    await expectRefused(
      { ...WEB_CLIENT, token_endpoint_auth_method: "client_secret_basic" },
      "invalid_client_metadata",
      'token_endpoint_auth_method must be "none"',
    );
  });

  it("token_endpoint_auth_method omitted (RFC 7591's default is client_secret_basic)", async () => {
    const { token_endpoint_auth_method: _, ...rest } = WEB_CLIENT;
    await expectRefused(rest, "invalid_client_metadata", "token_endpoint_auth_method");
  });

  it("application_type neither web nor native", async () => {
    await expectRefused(
      { ...WEB_CLIENT, application_type: "ios" },
      "invalid_client_metadata",
      "application_type",
    );
  });

  it("a grant type this server does not offer public clients (client_credentials)", async () => {
    await expectRefused(
      { ...WEB_CLIENT, grant_types: ["authorization_code", "client_credentials"] },
      "invalid_client_metadata",
      '"client_credentials" is not supported',
    );
  });

  it("response_types code without the authorization_code grant", async () => {
    await expectRefused(
      { ...WEB_CLIENT, grant_types: [DEVICE_GRANT], response_types: ["code"] },
      "invalid_client_metadata",
      "response_types",
    );
  });

  it("redirect_uris missing although grant_types has authorization_code", async () => {
    const { redirect_uris: _, ...rest } = WEB_CLIENT;
    await expectRefused(rest, "invalid_redirect_uri", "redirect_uris is required");
  });

  it("a web client's redirect URI over http", async () => {
    await expectRefused(
      { ...WEB_CLIENT, redirect_uris: ["http://client.example.org/callback"] },
      "invalid_redirect_uri",
      "must use https on the client_uri host",
    );
  });

  it("a web client's redirect URI on another host", async () => {
    await expectRefused(
      { ...WEB_CLIENT, redirect_uris: ["https://attacker.example.net/callback"] },
      "invalid_redirect_uri",
      "client_uri host",
    );
  });

  it("a web client's redirect URI on loopback (only native clients may)", async () => {
    await expectRefused(
      { ...WEB_CLIENT, redirect_uris: ["http://127.0.0.1:8080/callback"] },
      "invalid_redirect_uri",
      "must use https",
    );
  });

  it("a native client's http redirect URI that is not loopback", async () => {
    await expectRefused(
      { ...WEB_CLIENT, application_type: "native", redirect_uris: ["http://192.168.1.2/callback"] },
      "invalid_redirect_uri",
      "loopback",
    );
  });

  it("a native client's private-use scheme that is not the client_uri host reversed", async () => {
    await expectRefused(
      { ...WEB_CLIENT, application_type: "native", redirect_uris: ["com.attacker.app:/callback"] },
      "invalid_redirect_uri",
      "client_uri host reversed",
    );
  });

  it("a native client's private-use scheme with an authority (RFC 8252 §7.1)", async () => {
    await expectRefused(
      { ...WEB_CLIENT, application_type: "native", redirect_uris: ["org.example.client://callback"] },
      "invalid_redirect_uri",
      "no authority",
    );
  });

  it("a redirect URI with a fragment", async () => {
    await expectRefused(
      { ...WEB_CLIENT, redirect_uris: ["https://client.example.org/callback#x"] },
      "invalid_redirect_uri",
      "fragment",
    );
  });

  it("tos_uri on another host than client_uri", async () => {
    await expectRefused(
      { ...WEB_CLIENT, tos_uri: "https://elsewhere.example.net/tos" },
      "invalid_client_metadata",
      "tos_uri must be on the client_uri host",
    );
  });

  it("logo_uri over http", async () => {
    await expectRefused(
      { ...WEB_CLIENT, logo_uri: "http://client.example.org/logo.png" },
      "invalid_client_metadata",
      "logo_uri must be an https URL",
    );
  });
});
