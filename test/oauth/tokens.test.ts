// The refresher of one account's tokens against the devserver's rotating refresh tokens: one refresh however many
// callers need a fresh token at once, the rotated tokens handed to the caller to persist, a session ended elsewhere
// as `signed_out`, and revocation that leaves both tokens dead on the server.
import * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import { toFlowError } from "../../src-shared/errors";
import {
  TokenRefresher,
  createMemoryClientRegistrationStore,
  discoverAuthMetadata,
  pollDeviceToken,
  registerClient,
  startDeviceAuthorization,
  type TokenSet,
} from "../../src-main/oauth";
import { insecure, whoamiAt } from "../helpers/oauth-client";
import { NEVER, testRuntime, useOAuthDevservers } from "./fixtures";

const start = useOAuthDevservers({ deviceCode: { intervalS: 1 } });

/** A signed-in device (the device grant, approved through the test hook) and a refresher for it. */
async function signedIn(deviceId: string, margin?: number) {
  const server = await start();
  const test = testRuntime();
  const call = { runtime: test.runtime, signal: NEVER, allowInsecureHttp: true };
  const metadata = await discoverAuthMetadata(server.baseUrl, call);
  const { clientId } = await registerClient(metadata, {
    ...call,
    store: createMemoryClientRegistrationStore(),
  });
  const authorization = await startDeviceAuthorization({ ...call, metadata, clientId, deviceId });
  const approval = await fetch(`${server.baseUrl}/_devserver/approve`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user_code: authorization.userCode, user: "alice", approve: true }),
  });
  expect(approval.status).toBe(200);
  const tokens = await pollDeviceToken(authorization, call);
  const persisted: TokenSet[] = [];
  const refresher = new TokenRefresher({
    runtime: test.runtime,
    allowInsecureHttp: true,
    metadata,
    clientId,
    tokens,
    onTokens: (next) => {
      persisted.push(next);
    },
    ...(margin === undefined ? {} : { refreshMarginMs: margin }),
  });
  const refreshes = () => test.exchanges.filter((exchange) => exchange.path === "/oauth2/token").length - 1; // minus the device poll
  const userId = `@alice:${server.serverName}`;
  return { server, test, call, metadata, clientId, tokens, refresher, persisted, refreshes, userId };
}

async function whoamiStatus(baseUrl: string, accessToken: string): Promise<number> {
  return (await whoamiAt(baseUrl, accessToken)).status;
}

describe("token refresher", () => {
  it("a token far from expiry is handed out as it is, with no request", async () => {
    const { tokens, refresher, refreshes } = await signedIn("FRESHTOKEN01");
    expect(await refresher.accessToken(NEVER)).toBe(tokens.accessToken);
    expect(refreshes()).toBe(0);
  });

  it("two callers needing a fresh token at once share one refresh; the rotated tokens are persisted once and work", async () => {
    const { server, test, tokens, refresher, persisted, refreshes, userId } = await signedIn("SHAREDREFR01");
    // 300 s tokens, refreshed 60 s before expiry: 250 s on, both callers need a fresh one.
    await test.moveClock(250_000);
    const [first, second] = await Promise.all([refresher.accessToken(NEVER), refresher.accessToken(NEVER)]);
    expect(first).toBe(second);
    expect(first).not.toBe(tokens.accessToken);
    expect(refreshes()).toBe(1);
    expect(persisted).toHaveLength(1);
    expect(persisted[0]?.accessToken).toBe(first);
    expect(persisted[0]?.refreshToken).not.toBe(tokens.refreshToken);
    expect(refresher.tokens).toEqual(persisted[0]);
    expect(await whoamiStatus(server.baseUrl, first)).toBe(200);
    expect((await (await whoamiAt(server.baseUrl, first)).json()) as unknown).toMatchObject({
      user_id: userId,
    });
    // Fresh again: the next caller gets it without a request.
    expect(await refresher.accessToken(NEVER)).toBe(first);
    expect(refreshes()).toBe(1);
    // Nothing secret went to the transcript.
    const transcript = JSON.stringify(test.transcript);
    for (const secret of [tokens.accessToken, tokens.refreshToken, first, persisted[0]?.refreshToken]) {
      expect(transcript).not.toContain(secret);
    }
  });

  it("a caller that stops waiting does not stop the refresh: the rotated tokens are kept and persisted", async () => {
    const { test, refresher, persisted, refreshes } = await signedIn("ABANDONREF01");
    await test.moveClock(250_000);
    const impatient = new AbortController();
    const gaveUp = refresher.accessToken(impatient.signal);
    impatient.abort(new Error("gave up"));
    await expect(gaveUp).rejects.toThrow("gave up");
    const patient = await refresher.accessToken(NEVER);
    expect(refreshes()).toBe(1);
    expect(persisted.map((tokens) => tokens.accessToken)).toEqual([patient]);
  });

  it("a token the homeserver refused is replaced once, however many callers report it", async () => {
    const { tokens, refresher, refreshes } = await signedIn("REJECTEDTOK1");
    const [first, second] = await Promise.all([
      refresher.accessToken(NEVER, { rejected: tokens.accessToken }),
      refresher.accessToken(NEVER, { rejected: tokens.accessToken }),
    ]);
    expect(first).toBe(second);
    // Someone reporting the old token after the refresh gets the new one, with no second refresh.
    expect(await refresher.accessToken(NEVER, { rejected: tokens.accessToken })).toBe(first);
    expect(refreshes()).toBe(1);
  });

  it("signed out elsewhere (the device removed on the server): the refresh's invalid_grant is signed_out, for good", async () => {
    const { server, test, refresher, refreshes, userId } = await signedIn("SIGNEDOUT001");
    expect(server.accounts.removeDevice(userId, "SIGNEDOUT001")).toBe(true);
    await test.moveClock(250_000);
    const failure = refresher.accessToken(NEVER);
    await expect(failure).rejects.toMatchObject({
      name: "OAuthError",
      code: "signed_out",
      reason: "invalid_grant",
    });
    expect(toFlowError(await failure.catch((error: unknown) => error))).toMatchObject({
      code: "signed_out",
      retryable: false,
    });
    // No second attempt: the session is over.
    await expect(refresher.accessToken(NEVER)).rejects.toMatchObject({ code: "signed_out" });
    expect(refreshes()).toBe(1);
  });

  it("revoke: both tokens are dead on the server, the device is gone, and the refresher is signed out", async () => {
    const { server, metadata, clientId, tokens, refresher, userId } = await signedIn("REVOKEDDEV01");
    expect(await whoamiStatus(server.baseUrl, tokens.accessToken)).toBe(200);
    await refresher.revoke(NEVER);
    expect(await whoamiStatus(server.baseUrl, tokens.accessToken)).toBe(401);
    expect(server.accounts.getDevice(userId, "REVOKEDDEV01")).toBeUndefined();
    // The refresh token buys nothing any more.
    const as = await oauth.processDiscoveryResponse(
      new URL(metadata.issuer),
      await oauth.discoveryRequest(new URL(metadata.issuer), insecure),
    );
    const response = await oauth.refreshTokenGrantRequest(
      as,
      { client_id: clientId },
      oauth.None(),
      tokens.refreshToken ?? "",
      insecure,
    );
    await expect(
      oauth.processRefreshTokenResponse(as, { client_id: clientId }, response),
    ).rejects.toMatchObject({
      error: "invalid_grant",
    });
    await expect(refresher.accessToken(NEVER)).rejects.toMatchObject({
      code: "signed_out",
      reason: "revoked",
    });
  });
});
