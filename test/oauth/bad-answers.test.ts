// Answers no well-behaved server gives, from a scripted server: each must end as a typed OAuthError, within the
// request's time limit, and never as a crash or a hang. Plus the answers of other servers the client must read
// right (Tuwunel's 429 `slow_down`, MAS's 403 `access_denied`, a user code in any alphabet).
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { toFlowError } from "../../src-shared/errors";
import {
  DEVICE_CODE_GRANT,
  createMemoryClientRegistrationStore,
  discoverAuthMetadata,
  pollDeviceToken,
  registerClient,
  startDeviceAuthorization,
  type AuthMetadata,
} from "../../src-main/oauth";
import { closedPort } from "../helpers/stand-in-homeserver";
import { NEVER, testRuntime, type TestRuntime } from "./fixtures";
import { html, json, useScriptedServers, type Handler, type ScriptedServer } from "./scripted-server";

const startScripted = useScriptedServers();
const METADATA = "/_matrix/client/v1/auth_metadata";

/** A scripted OAuth server whose metadata names its own endpoints; tests script the endpoints. */
async function scriptedOAuthServer(): Promise<ScriptedServer> {
  const server = await startScripted();
  server.on(
    METADATA,
    json(200, {
      issuer: `${server.url}/`,
      authorization_endpoint: `${server.url}/authorize`,
      token_endpoint: `${server.url}/token`,
      registration_endpoint: `${server.url}/register`,
      device_authorization_endpoint: `${server.url}/device`,
      revocation_endpoint: `${server.url}/revoke`,
      grant_types_supported: ["authorization_code", "refresh_token", DEVICE_CODE_GRANT],
    }),
  );
  return server;
}

/** Real timers for the request limit: these tests are about time running out. */
function realTime(requestTimeoutMs = 300): {
  test: TestRuntime;
  call: Parameters<typeof discoverAuthMetadata>[1];
} {
  const test = testRuntime({ skipUpToMs: 0 });
  return { test, call: { runtime: test.runtime, signal: NEVER, allowInsecureHttp: true, requestTimeoutMs } };
}

const deviceAnswer = (overrides: Record<string, unknown> = {}): Handler =>
  json(200, {
    device_code: "the-device-code",
    user_code: "WDJB-MJHT",
    verification_uri: "https://auth.example.org/link",
    expires_in: 600,
    interval: 1,
    ...overrides,
  });

function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );
}

describe("bad bodies and broken connections (the bounded fetch)", () => {
  it("a 10 MB body: invalid_response (too_large), read no further than the limit", async () => {
    const server = await startScripted({
      [METADATA]: (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.on("error", () => undefined);
        res.write(Buffer.alloc(10 * 1024 * 1024, 0x20));
        res.end();
      },
    });
    const { call } = realTime(20_000);
    await expect(discoverAuthMetadata(server.url, call)).rejects.toMatchObject({
      code: "invalid_response",
      reason: "too_large",
    });
  });

  it("a body announced as 10 MB: too_large before any of it is read", async () => {
    const server = await startScripted({
      [METADATA]: (_req, res) => {
        res.writeHead(200, {
          "content-type": "application/json",
          "content-length": String(10 * 1024 * 1024),
        });
        res.write("{");
      },
    });
    const { call } = realTime(20_000);
    await expect(discoverAuthMetadata(server.url, call)).rejects.toMatchObject({ reason: "too_large" });
  });

  it("a server that stops in the middle of the body: timeout, when the request's time is up", async () => {
    const server = await startScripted({
      [METADATA]: (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"issuer":');
      },
    });
    const { test, call } = realTime(300);
    const failure = await failureOf(discoverAuthMetadata(server.url, call));
    expect(failure).toMatchObject({ name: "OAuthError", code: "timeout" });
    expect(toFlowError(failure)).toMatchObject({ code: "network", retryable: true });
    expect(test.transcript).toEqual([
      expect.objectContaining({ path: METADATA, error: "timeout after 300 ms" }),
    ]);
  });

  it("a server that sends no answer at all: timeout", async () => {
    const server = await startScripted({ [METADATA]: () => undefined });
    const { call } = realTime(300);
    await expect(discoverAuthMetadata(server.url, call)).rejects.toMatchObject({ code: "timeout" });
  });

  it("a connection closed in the middle of the body: network (truncated)", async () => {
    const server = await startScripted({
      [METADATA]: (_req, res: ServerResponse) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"issuer":', () => {
          res.socket?.destroy();
        });
      },
    });
    const { call } = realTime(20_000);
    await expect(discoverAuthMetadata(server.url, call)).rejects.toMatchObject({
      code: "network",
      reason: "truncated",
    });
  });

  it("nothing listening: network", async () => {
    const { call } = realTime(20_000);
    await expect(discoverAuthMetadata(`http://127.0.0.1:${await closedPort()}`, call)).rejects.toMatchObject({
      code: "network",
    });
  });

  it("an HTML page with 200 where the metadata belongs: invalid_response", async () => {
    const server = await startScripted({ [METADATA]: html(200, "<html><body>It works!</body></html>") });
    const { call } = realTime(20_000);
    await expect(discoverAuthMetadata(server.url, call)).rejects.toMatchObject({ code: "invalid_response" });
  });

  it("a proxy's HTML error page (502): server_error", async () => {
    const server = await startScripted({ [METADATA]: html(502) });
    const { call } = realTime(20_000);
    await expect(discoverAuthMetadata(server.url, call)).rejects.toMatchObject({
      code: "server_error",
      status: 502,
    });
  });

  it("cancelled while the server is silent: rejects with the signal's reason at once", async () => {
    const server = await startScripted({ [METADATA]: () => undefined });
    const controller = new AbortController();
    const reason = new Error("the user cancelled");
    const discovery = discoverAuthMetadata(server.url, {
      runtime: testRuntime({ skipUpToMs: 0 }).runtime,
      signal: controller.signal,
      allowInsecureHttp: true,
    });
    setTimeout(() => {
      controller.abort(reason);
    }, 50);
    await expect(discovery).rejects.toBe(reason);
  });
});

describe("bad answers from the OAuth endpoints", () => {
  async function discovered(server: ScriptedServer) {
    const test = testRuntime();
    const call = { runtime: test.runtime, signal: NEVER, allowInsecureHttp: true };
    return { test, call, metadata: await discoverAuthMetadata(server.url, call) };
  }

  async function deviceAuthorization(server: ScriptedServer, metadata: AuthMetadata, call: object) {
    return startDeviceAuthorization({
      ...(call as Parameters<typeof startDeviceAuthorization>[0]),
      metadata,
      clientId: "client",
      deviceId: "SCRIPTEDDEV1",
    });
  }

  it("registration: an HTML 500 is server_error; a 201 without client_id is invalid_response", async () => {
    const server = await scriptedOAuthServer();
    const { call, metadata } = await discovered(server);
    const store = createMemoryClientRegistrationStore();
    server.on("/register", html(500));
    await expect(registerClient(metadata, { ...call, store })).rejects.toMatchObject({
      code: "server_error",
    });
    server.on("/register", json(201, { client_name: "no id" }));
    await expect(registerClient(metadata, { ...call, store })).rejects.toMatchObject({
      code: "invalid_response",
    });
    expect(await store.get(metadata.issuer)).toBeUndefined();
  });

  it("device authorization refused with 400 invalid_request (MAS with the grant off): device_grant_disabled", async () => {
    const server = await scriptedOAuthServer();
    const { call, metadata } = await discovered(server);
    server.on(
      "/device",
      json(400, { error: "invalid_request", error_description: "device code grant is disabled" }),
    );
    const failure = await failureOf(deviceAuthorization(server, metadata, call));
    expect(failure).toMatchObject({ code: "device_grant_disabled" });
    expect(toFlowError(failure)).toMatchObject({
      code: "server_unsupported",
      reason: "device_grant_disabled",
    });
  });

  for (const [what, handler] of [
    ["no user_code", deviceAnswer({ user_code: undefined })],
    ["expires_in as text", deviceAnswer({ expires_in: "soon" })],
    ["a verification_uri that is not a URL", deviceAnswer({ verification_uri: "open the app" })],
    ["an HTML page", html(200)],
  ] as const) {
    it(`device authorization answered with ${what}: invalid_response`, async () => {
      const server = await scriptedOAuthServer();
      const { call, metadata } = await discovered(server);
      server.on("/device", handler);
      await expect(deviceAuthorization(server, metadata, call)).rejects.toMatchObject({
        code: "invalid_response",
      });
    });
  }

  it("a user code in any alphabet and length reaches the caller verbatim", async () => {
    const server = await scriptedOAuthServer();
    const { call, metadata } = await discovered(server);
    server.on("/device", deviceAnswer({ user_code: "ab-12 ÇD" }));
    expect((await deviceAuthorization(server, metadata, call)).userCode).toBe("ab-12 ÇD");
  });

  it("polling: 403 access_denied (MAS's status) is declined", async () => {
    const server = await scriptedOAuthServer();
    const { call, metadata } = await discovered(server);
    server.on("/device", deviceAnswer());
    server.on("/token", json(403, { error: "access_denied" }));
    const authorization = await deviceAuthorization(server, metadata, call);
    await expect(pollDeviceToken(authorization, call)).rejects.toMatchObject({
      code: "declined",
      status: 403,
    });
  });

  it("polling: Tuwunel's 429 with slow_down adds 5 s before the next poll, and the grant goes on", async () => {
    const server = await scriptedOAuthServer();
    const { test, call, metadata } = await discovered(server);
    server.on("/device", deviceAnswer());
    let polls = 0;
    server.on("/token", (req, res, url) => {
      polls += 1;
      const answer =
        polls === 1
          ? json(429, { error: "slow_down" })
          : json(200, {
              access_token: "at",
              token_type: "Bearer",
              expires_in: 300,
              scope: "urn:matrix:client:api:* urn:matrix:client:device:SCRIPTEDDEV1",
            });
      answer(req, res, url);
    });
    const authorization = await deviceAuthorization(server, metadata, call);
    const tokens = await pollDeviceToken(authorization, call);
    expect(tokens.accessToken).toBe("at");
    const times = test.exchanges
      .filter((exchange) => exchange.path === "/token")
      .map((exchange) => exchange.at);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(6000);
  });

  for (const [what, body, code] of [
    ["an access_token that is a number", { access_token: 42, token_type: "Bearer" }, "invalid_response"],
    ["no token_type", { access_token: "at" }, "invalid_response"],
    [
      "a token for another device",
      {
        access_token: "at",
        token_type: "Bearer",
        scope: "urn:matrix:client:api:* urn:matrix:client:device:OTHER",
      },
      "invalid_response",
    ],
  ] as const) {
    it(`polling: tokens with ${what}: ${code}`, async () => {
      const server = await scriptedOAuthServer();
      const { call, metadata } = await discovered(server);
      server.on("/device", deviceAnswer());
      server.on("/token", json(200, body));
      const authorization = await deviceAuthorization(server, metadata, call);
      await expect(pollDeviceToken(authorization, call)).rejects.toMatchObject({ code });
    });
  }

  it("a device code whose expires_in and interval overflow (1e308 s) lives a day at most, and is polled in it", async () => {
    const server = await scriptedOAuthServer();
    const { test, call, metadata } = await discovered(server);
    server.on("/device", deviceAnswer({ expires_in: 1e308, interval: 1e308 }));
    const before = test.runtime.now();
    const authorization = await deviceAuthorization(server, metadata, call);
    expect(Number.isFinite(authorization.expiresAt)).toBe(true);
    expect(authorization.expiresAt - before).toBeLessThanOrEqual(24 * 3_600_000 + 5_000);
    expect(authorization.intervalMs).toBeLessThanOrEqual(authorization.expiresAt - before);
  });

  it("polling: tokens whose expires_in overflows (1e308 s) count as tokens without expiry (an infinite time breaks the profile's secrets file)", async () => {
    const server = await scriptedOAuthServer();
    const { call, metadata } = await discovered(server);
    server.on("/device", deviceAnswer());
    const granted = {
      access_token: "at",
      token_type: "Bearer",
      scope: "urn:matrix:client:api:* urn:matrix:client:device:SCRIPTEDDEV1",
    };
    server.on("/token", json(200, { ...granted, expires_in: 1e308 }));
    const tokens = await pollDeviceToken(await deviceAuthorization(server, metadata, call), call);
    expect(tokens).toStrictEqual({ accessToken: "at", scope: granted.scope });
    server.on("/token", json(200, { ...granted, expires_in: 300 }));
    const finite = await pollDeviceToken(await deviceAuthorization(server, metadata, call), call);
    expect(Number.isSafeInteger(finite.expiresAt)).toBe(true);
  });

  it("polling: an error no grant defines (unsupported_grant_type) ends it as authorization_failed", async () => {
    const server = await scriptedOAuthServer();
    const { call, metadata } = await discovered(server);
    server.on("/device", deviceAnswer());
    server.on("/token", json(400, { error: "unsupported_grant_type" }));
    const authorization = await deviceAuthorization(server, metadata, call);
    await expect(pollDeviceToken(authorization, call)).rejects.toMatchObject({
      code: "authorization_failed",
      reason: "unsupported_grant_type",
    });
  });

  it("polling: a server failing (HTML 503) until the code expires ends with server_error, not before", async () => {
    const server = await scriptedOAuthServer();
    const { test, call, metadata } = await discovered(server);
    server.on("/device", deviceAnswer({ expires_in: 4 }));
    server.on("/token", html(503));
    const authorization = await deviceAuthorization(server, metadata, call);
    await expect(pollDeviceToken(authorization, call)).rejects.toMatchObject({
      code: "server_error",
      status: 503,
    });
    expect(test.exchanges.filter((exchange) => exchange.path === "/token")).toHaveLength(3);
  });
});
