// Dynamic client registration against the devserver's MAS rules: the metadata the app sends, the client ID kept per
// issuer, registering again (once) when the server no longer knows the client, and the refusals.
import * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import { toFlowError } from "../../src-shared/errors";
import {
  CLIENT_URI,
  DEVICE_CODE_GRANT,
  OAuthError,
  createMemoryClientRegistrationStore,
  discoverAuthMetadata,
  registerClient,
  startDeviceAuthorization,
  withRegisteredClient,
  type AuthMetadata,
} from "../../src-main/oauth";
import { insecure } from "../helpers/oauth-client";
import { NEVER, testRuntime, useOAuthDevservers } from "./fixtures";

const start = useOAuthDevservers();

async function setUp() {
  const server = await start();
  const bodies: unknown[] = [];
  const test = testRuntime({
    onRequest: (url, init) => {
      if (new URL(url).pathname === "/oauth2/registration") bodies.push(JSON.parse(init.body as string));
    },
  });
  const call = { runtime: test.runtime, signal: NEVER, allowInsecureHttp: true };
  const metadata = await discoverAuthMetadata(server.baseUrl, call);
  const store = createMemoryClientRegistrationStore();
  return { server, test, call, metadata, store, bodies };
}

function registrations(test: ReturnType<typeof testRuntime>): number {
  return test.exchanges.filter((exchange) => exchange.path === "/oauth2/registration").length;
}

describe("client registration", () => {
  it("registers a public native client with the metadata Matrix servers require, and keeps its ID per issuer", async () => {
    const { test, call, metadata, store, bodies } = await setUp();
    const { clientId } = await registerClient(metadata, { ...call, store });
    expect(bodies).toEqual([
      {
        client_name: "Matrix QR Login",
        client_uri: CLIENT_URI,
        application_type: "native",
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token", DEVICE_CODE_GRANT],
        response_types: ["code"],
        redirect_uris: ["http://127.0.0.1/callback"],
      },
    ]);
    expect(await store.get(metadata.issuer)).toBe(clientId);
    // The next time, the stored ID, with no request.
    expect(await registerClient(metadata, { ...call, store })).toEqual({ clientId });
    expect(registrations(test)).toBe(1);
    // forceNew registers again and replaces it.
    const renewed = await registerClient(metadata, { ...call, store, forceNew: true });
    expect(renewed.clientId).not.toBe(clientId);
    expect(await store.get(metadata.issuer)).toBe(renewed.clientId);
  });

  it("a server without the device grant: the grant is not asked for (MAS refuses it then)", async () => {
    const { call, metadata, store, bodies } = await setUp();
    const withoutDeviceGrant: AuthMetadata = {
      ...metadata,
      grantTypesSupported: ["authorization_code", "refresh_token"],
    };
    await registerClient(withoutDeviceGrant, { ...call, store });
    expect(bodies).toMatchObject([{ grant_types: ["authorization_code", "refresh_token"] }]);
  });

  it("a stored client the server no longer knows (invalid_client): registered again once, and the call succeeds", async () => {
    const { test, call, metadata, store } = await setUp();
    await store.set(metadata.issuer, "a-client-the-server-forgot");
    const authorization = await withRegisteredClient(metadata, { ...call, store }, (clientId) =>
      startDeviceAuthorization({ ...call, metadata, clientId, deviceId: "RENEWEDDEV01" }),
    );
    const stored = await store.get(metadata.issuer);
    expect(stored).not.toBe("a-client-the-server-forgot");
    expect(authorization.clientId).toBe(stored);
    expect(
      test.exchanges.map((exchange) => `${exchange.status} ${exchange.error ?? ""} ${exchange.path}`),
    ).toEqual([
      "200  /_matrix/client/v1/auth_metadata",
      "401 invalid_client /oauth2/device",
      "201  /oauth2/registration",
      "200  /oauth2/device",
    ]);
  });

  it("a stored client registered without the device grant (unauthorized_client): registered again with it", async () => {
    const { server, call, metadata, store } = await setUp();
    const as = await oauth.discoveryRequest(new URL(server.issuer), insecure);
    const old = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        await oauth.processDiscoveryResponse(new URL(server.issuer), as),
        {
          client_uri: CLIENT_URI,
          token_endpoint_auth_method: "none",
          redirect_uris: ["http://127.0.0.1/callback"],
          application_type: "native",
        },
        insecure,
      ),
    );
    await store.set(metadata.issuer, old.client_id);
    const authorization = await withRegisteredClient(metadata, { ...call, store }, (clientId) =>
      startDeviceAuthorization({ ...call, metadata, clientId, deviceId: "UPGRADEDEV01" }),
    );
    expect(authorization.clientId).not.toBe(old.client_id);
  });

  it("registering again happens once: a second rejection is the answer", async () => {
    const { test, call, metadata, store } = await setUp();
    const rejected = new OAuthError("invalid_client", "still unknown", { clientRejected: true });
    let uses = 0;
    await expect(
      withRegisteredClient(metadata, { ...call, store }, () => {
        uses += 1;
        return Promise.reject(rejected);
      }),
    ).rejects.toBe(rejected);
    expect(uses).toBe(2);
    expect(registrations(test)).toBe(2);
  });

  it("metadata the server's policy refuses (a localhost client_uri): registration_refused, with the server's reason", async () => {
    const { call, metadata, store } = await setUp();
    const failure = registerClient(metadata, { ...call, store, clientUri: "https://localhost/" });
    await expect(failure).rejects.toMatchObject({
      name: "OAuthError",
      code: "registration_refused",
      status: 400,
    });
    await expect(failure).rejects.toThrow(/client_uri must be an https URL/);
    expect(toFlowError(await failure.catch((error: unknown) => error))).toMatchObject({
      code: "server_unsupported",
      reason: "registration_refused",
    });
    expect(await store.get(metadata.issuer)).toBeUndefined();
  });

  it("no registration endpoint: registration_refused without a request", async () => {
    const { test, call, metadata, store } = await setUp();
    const { registrationEndpoint: _, ...withoutRegistration } = metadata;
    await expect(registerClient(withoutRegistration, { ...call, store })).rejects.toMatchObject({
      code: "registration_refused",
    });
    expect(registrations(test)).toBe(0);
  });
});
