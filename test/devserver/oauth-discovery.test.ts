// How a Matrix client finds the devserver's OAuth server: `/_matrix/client/versions` (v1.15+ means the stable
// auth metadata path), the auth metadata on the stable and unstable paths, `.well-known/matrix/client`, and the
// account management page the metadata points at.
import { describe, expect, it } from "vitest";
import {
  AUTH_METADATA,
  DEVICE_GRANT,
  STABLE_API,
  UNSTABLE_API,
  discover,
  useOAuthDevservers,
} from "./oauth-fixtures";

const UNSTABLE_AUTH_METADATA = "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata";

const start = useOAuthDevservers();

async function json(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

describe("discovery", () => {
  it("the auth metadata is the same JSON on the stable and the unstable path, and is the issuer's OIDC metadata", async () => {
    const server = await start();
    const stable = await json(`${server.baseUrl}${AUTH_METADATA}`);
    expect(await json(`${server.baseUrl}${UNSTABLE_AUTH_METADATA}`)).toEqual(stable);
    expect(await json(`${server.issuer}.well-known/openid-configuration`)).toEqual(stable);
  });

  it("the auth metadata names every endpoint and capability a Matrix client checks", async () => {
    const server = await start();
    const metadata = await json(`${server.baseUrl}${AUTH_METADATA}`);
    const base = server.publicBaseUrl;
    expect(metadata).toMatchObject({
      issuer: `${base}/`,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/oauth2/token`,
      registration_endpoint: `${base}/oauth2/registration`,
      revocation_endpoint: `${base}/oauth2/revoke`,
      device_authorization_endpoint: `${base}/oauth2/device`,
      account_management_uri: `${base}/account/`,
      code_challenge_methods_supported: ["S256"],
      response_types_supported: ["code"],
    });
    expect(metadata.account_management_actions_supported).toEqual(
      expect.arrayContaining(["org.matrix.profile", "org.matrix.devices_list", "org.matrix.device_view"]),
    );
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(["authorization_code", "refresh_token", DEVICE_GRANT]),
    );
    expect(metadata.response_modes_supported).toEqual(expect.arrayContaining(["query", "fragment"]));
    expect(metadata.token_endpoint_auth_methods_supported).toContain("none");
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(["openid", STABLE_API, UNSTABLE_API]));
  });

  it("oauth4webapi accepts the auth metadata as the metadata of the issuer it names", async () => {
    const server = await start();
    const as = await discover(server);
    expect(as.issuer).toBe(server.issuer);
    expect(as.device_authorization_endpoint).toBe(`${server.publicBaseUrl}/oauth2/device`);
  });

  it("with a public base URL, the issuer and every endpoint are built on it, not on the listening address", async () => {
    const server = await start({ publicBaseUrl: "https://matrix.example.org" });
    const metadata = await json(`${server.baseUrl}${AUTH_METADATA}`);
    expect(metadata.issuer).toBe("https://matrix.example.org/");
    expect(metadata.token_endpoint).toBe("https://matrix.example.org/oauth2/token");
    expect(metadata.device_authorization_endpoint).toBe("https://matrix.example.org/oauth2/device");
    expect(metadata.account_management_uri).toBe("https://matrix.example.org/account/");
  });

  it(".well-known/matrix/client names the homeserver base URL", async () => {
    const server = await start({ publicBaseUrl: "https://matrix.example.org/" });
    expect(await json(`${server.baseUrl}/.well-known/matrix/client`)).toEqual({
      "m.homeserver": { base_url: "https://matrix.example.org" },
    });
  });

  it("/versions lists v1.15 (stable auth metadata) and v1.18 (device authorization grant)", async () => {
    const server = await start();
    const { versions } = (await json(`${server.baseUrl}/_matrix/client/versions`)) as { versions: string[] };
    expect(versions).toEqual(expect.arrayContaining(["v1.15", "v1.18"]));
  });

  it("the account management URI is a page", async () => {
    const server = await start();
    const response = await fetch(`${server.baseUrl}/account/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain('data-page="account"');
  });

  it("auth metadata answers GET only, like any Matrix endpoint (405 M_UNRECOGNIZED)", async () => {
    const server = await start();
    const response = await fetch(`${server.baseUrl}${AUTH_METADATA}`, { method: "POST" });
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ errcode: "M_UNRECOGNIZED" });
  });
});
