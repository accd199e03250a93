// The device grant where only the devserver can set the stage: code expiry (ours and the server's), a server that
// knows one scope family, a 5xx between polls, and what the caller gets to show. The scenarios both targets share
// are in test/conformance/oauth-client.ts.
import { describe, expect, it } from "vitest";
import { toFlowError } from "../../src-shared/errors";
import {
  API_SCOPE,
  createMemoryClientRegistrationStore,
  discoverAuthMetadata,
  pollDeviceToken,
  registerClient,
  scopeFamily,
  startDeviceAuthorization,
} from "../../src-main/oauth";
import type { DevserverOptions } from "../../devserver/index";
import { expectWhoamiAt, sleep } from "../helpers/oauth-client";
import { NEVER, devserverRuntime, testRuntime, useOAuthDevservers } from "./fixtures";

const start = useOAuthDevservers();

async function setUp(options: DevserverOptions = {}) {
  const server = await start({ ...options, deviceCode: { intervalS: 1, ...options.deviceCode } });
  const test = devserverRuntime(server);
  const call = { runtime: test.runtime, signal: NEVER, allowInsecureHttp: true };
  const metadata = await discoverAuthMetadata(server.baseUrl, call);
  const { clientId } = await registerClient(metadata, {
    ...call,
    store: createMemoryClientRegistrationStore(),
  });
  return { server, test, call, metadata, clientId };
}

async function approve(
  server: Awaited<ReturnType<typeof start>>,
  userCode: string,
  yes = true,
): Promise<void> {
  const response = await fetch(`${server.baseUrl}/_devserver/approve`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user_code: userCode, user: "alice", approve: yes }),
  });
  expect(response.status).toBe(200);
}

for (const masQuirks of [false, true]) {
  describe(`device grant: expiry${masQuirks ? " against MAS's quirks (403)" : ""}`, () => {
    it("the code's expires_in runs out on our clock while the user does nothing: expired (expires_in), no poll past it", async () => {
      const { test, call, metadata, clientId } = await setUp({ masQuirks, deviceCode: { ttlS: 3 } });
      const authorization = await startDeviceAuthorization({
        ...call,
        metadata,
        clientId,
        deviceId: "EXPIRINGDEV1",
      });
      const failure = pollDeviceToken(authorization, call);
      await expect(failure).rejects.toMatchObject({
        name: "OAuthError",
        code: "expired",
        reason: "expires_in",
      });
      const polls = test.exchanges.filter((exchange) => exchange.path === "/oauth2/token");
      expect(polls.map((poll) => poll.error)).toEqual(["authorization_pending", "authorization_pending"]);
      expect(polls.map((poll) => poll.status)).toEqual(Array(2).fill(masQuirks ? 403 : 400));
      expect(polls.every((poll) => poll.at < authorization.expiresAt)).toBe(true);
      expect(toFlowError(await failure.catch((error: unknown) => error))).toMatchObject({
        code: "authorization_expired",
        retryable: true,
      });
    });

    it("the server's expired_token (its clock ran out first, ours is slow): expired (expired_token)", async () => {
      const { server, call, metadata, clientId } = await setUp({ masQuirks, deviceCode: { ttlS: 1 } });
      const authorization = await startDeviceAuthorization({
        ...call,
        metadata,
        clientId,
        deviceId: "EXPIREDDEV01",
      });
      // Device codes expire on real time on the devserver (oidc-provider reads Date.now): the one short real wait.
      await sleep(1100);
      const behind = testRuntime({
        clockOffsetMs: -10_000,
        advance: (ms) => {
          server.hooks.clock.advance(ms);
        },
      });
      await expect(
        pollDeviceToken(authorization, { ...call, runtime: behind.runtime }),
      ).rejects.toMatchObject({
        code: "expired",
        reason: "expired_token",
      });
      expect(behind.exchanges.map((poll) => [poll.error, poll.status])).toEqual([
        ["expired_token", masQuirks ? 403 : 400],
      ]);
    });
  });
}

describe("device grant: scope families", () => {
  it("a server that lists only the unstable API scope is asked in the unstable family", async () => {
    const { server, call, metadata, clientId } = await setUp({ scopeFamily: "unstable" });
    expect(metadata.scopesSupported).toEqual(["openid", API_SCOPE.unstable]);
    expect(scopeFamily(metadata)).toBe("unstable");
    const authorization = await startDeviceAuthorization({
      ...call,
      metadata,
      clientId,
      deviceId: "UNSTABLEDV1",
    });
    expect(authorization.scopeFamily).toBe("unstable");
    await approve(server, authorization.userCode);
    const tokens = await pollDeviceToken(authorization, call);
    expect(tokens.scope).toContain(API_SCOPE.unstable);
    await expectWhoamiAt(server.baseUrl, tokens.accessToken, `@alice:${server.serverName}`, "UNSTABLEDV1");
  });

  it("invalid_scope in the family asked first: asked once more in the other, which the server accepts", async () => {
    const { server, test, call, metadata, clientId } = await setUp({ scopeFamily: "stable" });
    // A server that does not list its scopes: the client starts with the one it was told to.
    const { scopesSupported: _, ...unlisted } = metadata;
    const authorization = await startDeviceAuthorization({
      ...call,
      metadata: unlisted,
      clientId,
      deviceId: "RETRIEDDEV01",
      scopeFamily: "unstable",
    });
    expect(authorization.scopeFamily).toBe("stable");
    expect(
      test.exchanges
        .filter((exchange) => exchange.path === "/oauth2/device")
        .map((exchange) => exchange.error),
    ).toEqual(["invalid_scope", undefined]);
    await approve(server, authorization.userCode);
    const tokens = await pollDeviceToken(authorization, call);
    await expectWhoamiAt(server.baseUrl, tokens.accessToken, `@alice:${server.serverName}`, "RETRIEDDEV01");
  });
});

describe("device grant: what the caller gets", () => {
  it("the user code as the server sent it, and verification URIs the consent page answers", async () => {
    const { server, call, metadata, clientId } = await setUp();
    const authorization = await startDeviceAuthorization({
      ...call,
      metadata,
      clientId,
      deviceId: "SHOWCODEDEV1",
    });
    expect(authorization.userCode).toMatch(/^\S+$/);
    expect(authorization.verificationUriComplete).toBe(
      `${server.issuer}link?user_code=${encodeURIComponent(authorization.userCode)}`,
    );
    expect((await fetch(authorization.verificationUri)).status).toBe(200);
  });

  it("a 5xx between polls is polled through: the approval still arrives", async () => {
    const { server, test, call, metadata, clientId } = await setUp();
    const authorization = await startDeviceAuthorization({
      ...call,
      metadata,
      clientId,
      deviceId: "FLAKYDEVICE1",
    });
    server.hooks.addFault({ method: "POST", pathPattern: "^/oauth2/token$", count: 1, status: 503 });
    const outcomes: string[] = [];
    const tokens = await pollDeviceToken(authorization, {
      ...call,
      onPoll: (outcome) => {
        outcomes.push(outcome);
        if (outcome === "retrying") void approve(server, authorization.userCode);
      },
    });
    expect(outcomes[0]).toBe("retrying");
    expect(test.exchanges.find((exchange) => exchange.path === "/oauth2/token")?.status).toBe(503);
    await expectWhoamiAt(server.baseUrl, tokens.accessToken, `@alice:${server.serverName}`, "FLAKYDEVICE1");
  });

  it("a device ID the protocol does not allow is our own mistake: TypeError, no request", async () => {
    const { test, call, metadata, clientId } = await setUp();
    const before = test.exchanges.length;
    await expect(
      startDeviceAuthorization({ ...call, metadata, clientId, deviceId: "short" }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(test.exchanges.length).toBe(before);
  });

  it("a server without the device grant: no_device_grant, server_unsupported with that reason", async () => {
    const { call, metadata, clientId } = await setUp();
    const failure = startDeviceAuthorization({
      ...call,
      metadata: { ...metadata, grantTypesSupported: ["authorization_code"] },
      clientId,
      deviceId: "NOGRANTDEV01",
    });
    await expect(failure).rejects.toMatchObject({ code: "no_device_grant" });
    expect(toFlowError(await failure.catch((error: unknown) => error))).toMatchObject({
      code: "server_unsupported",
      reason: "no_device_grant",
    });
  });
});
