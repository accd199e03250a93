// How a Matrix client finds the devserver's OAuth server: the shared discovery scenarios (also run against Synapse
// with the devserver as its MAS, test/synapse/), then what only the devserver's options change.
import { describe, expect, it } from "vitest";
import { describeOAuthDiscovery } from "../conformance/oauth";
import { AUTH_METADATA, devserverOAuthTarget, useOAuthDevservers } from "./oauth-fixtures";

describeOAuthDiscovery(devserverOAuthTarget());

const start = useOAuthDevservers();

async function json(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe("discovery behind a public base URL", () => {
  it("the issuer and every endpoint are built on the public base URL, not on the listening address", async () => {
    const server = await start({ publicBaseUrl: "https://matrix.example.org" });
    const metadata = await json(`${server.baseUrl}${AUTH_METADATA}`);
    expect(metadata.issuer).toBe("https://matrix.example.org/");
    expect(metadata.token_endpoint).toBe("https://matrix.example.org/oauth2/token");
    expect(metadata.device_authorization_endpoint).toBe("https://matrix.example.org/oauth2/device");
    expect(metadata.account_management_uri).toBe("https://matrix.example.org/account/");
  });

  it(".well-known/matrix/client names the public base URL, without its trailing slash", async () => {
    const server = await start({ publicBaseUrl: "https://matrix.example.org/" });
    expect(await json(`${server.baseUrl}/.well-known/matrix/client`)).toEqual({
      "m.homeserver": { base_url: "https://matrix.example.org" },
      "org.matrix.msc2965.authentication": {
        issuer: "https://matrix.example.org/",
        account: "https://matrix.example.org/account/",
      },
    });
  });
});
