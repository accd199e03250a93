// The app's OAuth client (src-main/oauth/) against a target: homeserver resolution and metadata discovery, the device
// authorization grant from device code to a token the homeserver accepts, and the browser sign-in (authorization
// code + PKCE through the loopback listener, the consent page clicked in Chromium). The same scenarios run against
// the devserver (test/oauth/) and against Synapse with the devserver as its MAS (test/synapse/). A scenario needing
// settings the target cannot have skips itself with the reason (OAuthTarget, test/conformance/oauth.ts).
import { describe, expect, it, type TestContext } from "vitest";
import {
  API_SCOPE,
  OAuthError,
  createMemoryClientRegistrationStore,
  discoverAuthMetadata,
  pollDeviceToken,
  registerClient,
  resolveHomeserver,
  scopeFamily,
  signInWithBrowser,
  startDeviceAuthorization,
  supportsDeviceGrant,
  type AuthMetadata,
  type DeviceAuthorization,
  type OAuthCallOptions,
} from "../../src-main/oauth";
import type { ChromiumForTests } from "../helpers/chromium";
import { approveInBrowser, approveOverHttp } from "../helpers/consent";
import { expectWhoamiAt } from "../helpers/oauth-client";
import { NEVER, testRuntime, type TestRuntime } from "../oauth/fixtures";
import type { OAuthConnection, OAuthSettings, OAuthTarget } from "./oauth";

const TOKEN_PATH = "/oauth2/token";

async function connectOrSkip(
  ctx: TestContext,
  target: OAuthTarget,
  settings?: Partial<OAuthSettings>,
): Promise<OAuthConnection> {
  const conn = await target.connect(settings);
  if (typeof conn === "string") ctx.skip(conn);
  return conn;
}

function password(conn: OAuthConnection): string {
  const found = conn.users.alice;
  if (found === undefined) throw new Error("the target has no user alice");
  return found;
}

/** A fresh device ID per sign-in: on a homeserver that outlives the test, every sign-in is a new device. */
export function newDeviceId(prefix = "CLIENTDEV"): string {
  return `${prefix}${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
}

interface Client {
  readonly conn: OAuthConnection;
  readonly test: TestRuntime;
  readonly call: OAuthCallOptions;
  readonly metadata: AuthMetadata;
  readonly clientId: string;
}

/** Discovery and registration as the app does them, with a runtime whose skipped waits move the target's clock. */
async function signedUpClient(conn: OAuthConnection, advance = conn.advanceClock): Promise<Client> {
  const test = testRuntime({ advance });
  const call = { runtime: test.runtime, signal: NEVER, allowInsecureHttp: true };
  const metadata = await discoverAuthMetadata(conn.homeserverUrl, call);
  const { clientId } = await registerClient(metadata, {
    ...call,
    store: createMemoryClientRegistrationStore(),
  });
  return { conn, test, call, metadata, clientId };
}

function tokenPolls(test: TestRuntime): TestRuntime["exchanges"] {
  return test.exchanges.filter((exchange) => exchange.path === TOKEN_PATH);
}

/** Approves on the target's pages over HTTP, as the user on the other device would. */
async function consent(conn: OAuthConnection, authorization: DeviceAuthorization, approve: boolean) {
  return approveOverHttp({
    verificationUri: authorization.verificationUri,
    userCode: authorization.userCode,
    user: "alice",
    password: password(conn),
    approve,
  });
}

// ---------------------------------------------------------------------------------------------------------------

export function describeClientDiscovery(target: OAuthTarget): void {
  describe("OAuth client: homeserver resolution and discovery", () => {
    it("a server name is resolved through its .well-known/matrix/client to the homeserver's base URL", async (ctx) => {
      const conn = await connectOrSkip(ctx, target);
      const test = testRuntime();
      const serverName = new URL(conn.homeserverUrl).host;
      const resolved = await resolveHomeserver(serverName, {
        runtime: test.runtime,
        signal: NEVER,
        allowInsecureHttp: true,
      });
      expect(resolved).toEqual({ baseUrl: conn.homeserverUrl, serverName });
      expect(test.exchanges.map((exchange) => exchange.path)).toEqual(["/.well-known/matrix/client"]);
    });

    it("a base URL is used as it is (without a trailing slash), with no request", async (ctx) => {
      const conn = await connectOrSkip(ctx, target);
      const test = testRuntime();
      const resolved = await resolveHomeserver(`${conn.homeserverUrl}/`, {
        runtime: test.runtime,
        signal: NEVER,
        allowInsecureHttp: true,
      });
      expect(resolved).toEqual({ baseUrl: conn.homeserverUrl });
      expect(test.exchanges).toEqual([]);
    });

    it("the stable auth_metadata answers first: the issuer, a device grant, the stable scopes; /versions is never asked", async (ctx) => {
      const conn = await connectOrSkip(ctx, target);
      const test = testRuntime();
      const metadata = await discoverAuthMetadata(conn.homeserverUrl, {
        runtime: test.runtime,
        signal: NEVER,
        allowInsecureHttp: true,
      });
      expect(metadata).toMatchObject({
        source: "v1",
        issuer: conn.issuer,
        tokenEndpoint: `${conn.issuer}oauth2/token`,
        registrationEndpoint: `${conn.issuer}oauth2/registration`,
        deviceAuthorizationEndpoint: `${conn.issuer}oauth2/device`,
        revocationEndpoint: `${conn.issuer}oauth2/revoke`,
        authorizationEndpoint: `${conn.issuer}authorize`,
      });
      expect(supportsDeviceGrant(metadata)).toBe(true);
      expect(scopeFamily(metadata)).toBe("stable");
      expect(test.exchanges.map((exchange) => exchange.path)).toEqual(["/_matrix/client/v1/auth_metadata"]);
      // Every request is in the transcript, as host and path only.
      expect(test.transcript).toEqual([
        expect.objectContaining({
          kind: "http",
          layer: "oauth",
          method: "GET",
          host: new URL(conn.homeserverUrl).host,
          path: "/_matrix/client/v1/auth_metadata",
          status: 200,
        }),
      ]);
    });

    for (const source of ["unstable", "legacy"] as const) {
      it(`the ${source} path alone gives the same metadata`, async (ctx) => {
        const conn = await connectOrSkip(ctx, target);
        const call = { runtime: testRuntime().runtime, signal: NEVER, allowInsecureHttp: true };
        const stable = await discoverAuthMetadata(conn.homeserverUrl, { ...call, sources: ["v1"] });
        const other = await discoverAuthMetadata(conn.homeserverUrl, { ...call, sources: [source] });
        expect(other).toEqual({ ...stable, source });
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------

export function describeClientDeviceGrant(target: OAuthTarget): void {
  for (const masQuirks of [false, true]) {
    describe(`OAuth client: device grant${masQuirks ? " against MAS's quirks" : " (RFC 8628)"}`, () => {
      const settings: Partial<OAuthSettings> = { masQuirks, deviceCodeIntervalS: 1 };

      it("pending until the user approves on the consent page, then tokens the homeserver accepts for this device", async (ctx) => {
        const client = await signedUpClient(await connectOrSkip(ctx, target, settings));
        const deviceId = newDeviceId();
        const authorization = await startDeviceAuthorization({ ...client.call, ...client, deviceId });
        expect(authorization).toMatchObject({ deviceId, scopeFamily: "stable", intervalMs: 1000 });
        expect(authorization.verificationUri).toBe(`${client.conn.issuer}link`);
        if (masQuirks) expect(authorization).not.toHaveProperty("verificationUriComplete");
        // The device code never serialises.
        expect(Object.keys(JSON.parse(JSON.stringify(authorization)) as object).sort()).toEqual(
          [
            "clientId",
            "deviceId",
            "expiresAt",
            "intervalMs",
            "issuer",
            "scope",
            "scopeFamily",
            "userCode",
            "verificationUri",
            ...(masQuirks ? [] : ["verificationUriComplete"]),
          ].sort(),
        );

        let approval: Promise<unknown> | undefined;
        const tokens = await pollDeviceToken(authorization, {
          ...client.call,
          onPoll: (outcome) => {
            // The user approves only after the client has been told to wait twice.
            if (outcome === "pending" && tokenPolls(client.test).length === 2) {
              approval = consent(client.conn, authorization, true);
            }
          },
        });
        expect(await approval).toEqual({ kind: "result", result: "approved" });
        const polls = tokenPolls(client.test);
        expect(polls.slice(0, 2).map((poll) => [poll.status, poll.error])).toEqual([
          [masQuirks ? 403 : 400, "authorization_pending"],
          [masQuirks ? 403 : 400, "authorization_pending"],
        ]);
        expect(polls.at(-1)?.status).toBe(200);
        expect(typeof tokens.refreshToken).toBe("string");
        expect(tokens.scope.split(" ").sort()).toEqual(
          [API_SCOPE.stable, `urn:matrix:client:device:${deviceId}`].sort(),
        );
        await expectWhoamiAt(
          client.conn.homeserverUrl,
          tokens.accessToken,
          `@alice:${client.conn.serverName}`,
          deviceId,
        );
        // No token, code or body in the transcript.
        const transcript = JSON.stringify(client.test.transcript);
        expect(transcript).not.toContain(tokens.accessToken);
        expect(transcript).not.toContain(tokens.refreshToken);
        expect(transcript).not.toContain(authorization.userCode);
      });

      it("no poll goes out sooner than the interval after the previous answer, and the server never says slow_down", async (ctx) => {
        const client = await signedUpClient(await connectOrSkip(ctx, target, settings));
        const authorization = await startDeviceAuthorization({
          ...client.call,
          ...client,
          deviceId: newDeviceId(),
        });
        const controller = new AbortController();
        const polling = pollDeviceToken(authorization, {
          ...client.call,
          signal: controller.signal,
          onPoll: () => {
            if (tokenPolls(client.test).length === 4) controller.abort(new Error("enough polls"));
          },
        });
        await expect(polling).rejects.toThrow("enough polls");
        const polls = tokenPolls(client.test);
        expect(polls.map((poll) => poll.error)).toEqual(Array<string>(4).fill("authorization_pending"));
        for (let index = 1; index < polls.length; index += 1) {
          const gap = (polls[index]?.at ?? 0) - (polls[index - 1]?.at ?? 0);
          expect(gap).toBeGreaterThanOrEqual(authorization.intervalMs);
        }
      });

      it("declined on the consent page: OAuthError declined, and the device never appears", async (ctx) => {
        const client = await signedUpClient(await connectOrSkip(ctx, target, settings));
        const deviceId = newDeviceId();
        const authorization = await startDeviceAuthorization({ ...client.call, ...client, deviceId });
        expect(await consent(client.conn, authorization, false)).toEqual({
          kind: "result",
          result: "denied",
        });
        await expect(pollDeviceToken(authorization, client.call)).rejects.toMatchObject({
          name: "OAuthError",
          code: "declined",
        });
        if (client.conn.hasDevice !== undefined)
          expect(await client.conn.hasDevice("alice", deviceId)).toBe(false);
      });

      it("cancelled while polling: rejects with the signal's reason and sends nothing more", async (ctx) => {
        const client = await signedUpClient(await connectOrSkip(ctx, target, settings));
        const authorization = await startDeviceAuthorization({
          ...client.call,
          ...client,
          deviceId: newDeviceId(),
        });
        const controller = new AbortController();
        const reason = new Error("the user cancelled");
        const polling = pollDeviceToken(authorization, {
          ...client.call,
          signal: controller.signal,
          onPoll: () => {
            controller.abort(reason);
          },
        });
        await expect(polling).rejects.toBe(reason);
        const sent = client.test.exchanges.length;
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(client.test.exchanges.length).toBe(sent);
        expect(tokenPolls(client.test)).toHaveLength(1);
      });

      it("the unstable scope family (what Element X sends): tokens in those names, accepted by the homeserver", async (ctx) => {
        const client = await signedUpClient(await connectOrSkip(ctx, target, settings));
        const deviceId = newDeviceId();
        const authorization = await startDeviceAuthorization({
          ...client.call,
          ...client,
          deviceId,
          scopeFamily: "unstable",
        });
        await consent(client.conn, authorization, true);
        const tokens = await pollDeviceToken(authorization, client.call);
        expect(tokens.scope.split(" ").sort()).toEqual(
          [API_SCOPE.unstable, `urn:matrix:org.matrix.msc2967.client:device:${deviceId}`].sort(),
        );
        await expectWhoamiAt(
          client.conn.homeserverUrl,
          tokens.accessToken,
          `@alice:${client.conn.serverName}`,
          deviceId,
        );
      });

      {
        // With masQuirks, slow_down switched on: MAS once it has added it, answering it with 403 as its other
        // polling errors; the client reads the error, whatever the status.
        it(`${masQuirks ? "slow_down with HTTP 403" : "slow_down"}: the next poll waits 5 s longer, and the server is satisfied with that`, async (ctx) => {
          const conn = await connectOrSkip(
            ctx,
            target,
            masQuirks ? { ...settings, slowDown: true } : settings,
          );
          // The server's clock stands still until the first slow_down, so the second poll looks too soon to it
          // (as a server whose clock runs fast would judge); from then on it moves with the client's waits.
          let slowedDown = false;
          const client = await signedUpClient(conn, (ms) =>
            slowedDown ? conn.advanceClock(ms) : Promise.resolve(),
          );
          const authorization = await startDeviceAuthorization({
            ...client.call,
            ...client,
            deviceId: newDeviceId(),
          });
          const controller = new AbortController();
          const polling = pollDeviceToken(authorization, {
            ...client.call,
            signal: controller.signal,
            onPoll: (outcome) => {
              if (outcome === "slow_down") slowedDown = true;
              if (tokenPolls(client.test).length === 4) controller.abort(new Error("enough polls"));
            },
          });
          await expect(polling).rejects.toThrow("enough polls");
          const polls = tokenPolls(client.test);
          expect(polls.map((poll) => poll.error)).toEqual([
            "authorization_pending",
            "slow_down",
            "authorization_pending",
            "authorization_pending",
          ]);
          expect(polls.map((poll) => poll.status)).toEqual(Array(4).fill(masQuirks ? 403 : 400));
          expect((polls[2]?.at ?? 0) - (polls[1]?.at ?? 0)).toBeGreaterThanOrEqual(
            authorization.intervalMs + 5000,
          );
          expect((polls[3]?.at ?? 0) - (polls[2]?.at ?? 0)).toBeGreaterThanOrEqual(
            authorization.intervalMs + 5000,
          );
        });
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** The browser sign-in, with the consent pages clicked in Chromium (`browser` from `useChromium()`). */
export function describeClientBrowserSignIn(target: OAuthTarget, browser: ChromiumForTests): void {
  describe("OAuth client: browser sign-in (authorization code + PKCE, loopback redirect)", () => {
    it("the user signs in and approves in Chromium; the browser returns to the listener, which then goes away", async (ctx) => {
      const context = await browser.newContext(ctx);
      const client = await signedUpClient(await connectOrSkip(ctx, target));
      const page = await context.newPage();
      const deviceId = newDeviceId("BROWSERDEV");
      let redirectUri: URL | undefined;
      const tokens = await signInWithBrowser({
        ...client.call,
        metadata: client.metadata,
        clientId: client.clientId,
        deviceId,
        timeoutMs: 30_000,
        openUrl: async (url) => {
          const authorization = new URL(url);
          expect(authorization.searchParams.get("code_challenge_method")).toBe("S256");
          redirectUri = new URL(authorization.searchParams.get("redirect_uri") ?? "");
          const outcome = await approveInBrowser(page, {
            verificationUri: url,
            user: "alice",
            password: password(client.conn),
            approve: true,
            letRedirectThrough: true,
          });
          expect(outcome).toMatchObject({ kind: "redirect" });
        },
      });
      expect(redirectUri?.hostname).toBe("127.0.0.1");
      expect(await page.locator("body").innerText()).toContain("You can close this tab");
      await expectWhoamiAt(
        client.conn.homeserverUrl,
        tokens.accessToken,
        `@alice:${client.conn.serverName}`,
        deviceId,
      );
      // The one-shot listener is closed: its port refuses connections.
      await expect(fetch(redirectUri ?? "")).rejects.toThrow();
      expect(JSON.stringify(client.test.transcript)).not.toContain(tokens.accessToken);
    });

    it("Deny in Chromium: OAuthError declined", async (ctx) => {
      const context = await browser.newContext(ctx);
      const client = await signedUpClient(await connectOrSkip(ctx, target));
      const page = await context.newPage();
      const signingIn = signInWithBrowser({
        ...client.call,
        metadata: client.metadata,
        clientId: client.clientId,
        deviceId: newDeviceId("BROWSERDEV"),
        timeoutMs: 30_000,
        openUrl: async (url) => {
          await approveInBrowser(page, {
            verificationUri: url,
            user: "alice",
            password: password(client.conn),
            approve: false,
            letRedirectThrough: true,
          });
        },
      });
      await expect(signingIn).rejects.toBeInstanceOf(OAuthError);
      await expect(signingIn).rejects.toMatchObject({ code: "declined" });
    });
  });
}
