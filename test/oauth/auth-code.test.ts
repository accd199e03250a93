// The browser sign-in's loopback listener and its edges, with the consent pages submitted over HTTP and the
// browser's return delivered by fetch (the Chromium run is in test/conformance/oauth-client.ts): a wrong `state`
// refused while the right one still gets through, the listener gone after success, timeout, cancel, and a browser
// that cannot be opened.
import { describe, expect, it } from "vitest";
import { toFlowError } from "../../src-shared/errors";
import {
  createMemoryClientRegistrationStore,
  discoverAuthMetadata,
  registerClient,
  signInWithBrowser,
  type SignInWithBrowserOptions,
} from "../../src-main/oauth";
import { approveOverHttp } from "../helpers/consent";
import { expectWhoamiAt } from "../helpers/oauth-client";
import { NEVER, USERS, testRuntime, useOAuthDevservers } from "./fixtures";

const start = useOAuthDevservers();

async function setUp() {
  const server = await start();
  const test = testRuntime({ skipUpToMs: 0 });
  const call = { runtime: test.runtime, signal: NEVER, allowInsecureHttp: true };
  const metadata = await discoverAuthMetadata(server.baseUrl, call);
  const { clientId } = await registerClient(metadata, {
    ...call,
    store: createMemoryClientRegistrationStore(),
  });
  const options = (overrides: Partial<SignInWithBrowserOptions>): SignInWithBrowserOptions => ({
    ...call,
    metadata,
    clientId,
    deviceId: "LOOPBACKDEV1",
    timeoutMs: 20_000,
    openUrl: () => Promise.resolve(),
    ...overrides,
  });
  return { server, test, options };
}

/** The user's part in the browser, over HTTP: returns where the server sends the browser back to. */
async function consentOverHttp(url: string, approve = true): Promise<URL> {
  const outcome = await approveOverHttp({
    verificationUri: url,
    user: "alice",
    password: USERS.alice,
    approve,
  });
  if (outcome.kind !== "redirect") throw new Error(`expected a redirect, got ${outcome.result}`);
  return outcome.url;
}

async function refused(url: string | URL): Promise<boolean> {
  return fetch(url).then(
    () => false,
    () => true,
  );
}

describe("browser sign-in: the loopback listener", () => {
  it("a return with another state is refused and the sign-in waits on; the right one completes it; then the port is closed", async () => {
    const { server, test, options } = await setUp();
    let callback: URL | undefined;
    const tokens = await signInWithBrowser(
      options({
        openUrl: async (url) => {
          callback = await consentOverHttp(url);
          const forged = new URL(callback);
          forged.searchParams.set("state", "not-the-state");
          const wrong = await fetch(forged);
          expect(wrong.status).toBe(400);
          expect(await wrong.text()).toContain("does not belong to the sign-in in progress");
          // Other paths and methods are not served.
          expect((await fetch(new URL("/favicon.ico", callback))).status).toBe(404);
          expect((await fetch(callback, { method: "POST" })).status).toBe(405);
          const right = await fetch(callback);
          expect(right.status).toBe(200);
          expect(await right.text()).toContain("You can close this tab");
        },
      }),
    );
    await expectWhoamiAt(server.baseUrl, tokens.accessToken, `@alice:${server.serverName}`, "LOOPBACKDEV1");
    expect(callback?.hostname).toBe("127.0.0.1");
    expect(await refused(callback ?? "")).toBe(true);
    expect(test.transcript.map((entry) => (entry.kind === "step" ? entry.name : entry.kind))).toContain(
      "browser callback refused",
    );
    // Neither the code nor the tokens went to the transcript.
    const transcript = JSON.stringify(test.transcript);
    expect(transcript).not.toContain(callback?.searchParams.get("code") ?? "no code");
    expect(transcript).not.toContain(tokens.accessToken);
  });

  it("nobody comes back in time: expired (browser_timeout), and the listener is gone", async () => {
    const { options } = await setUp();
    let redirectUri = "";
    const failure = signInWithBrowser(
      options({
        timeoutMs: 200,
        openUrl: (url) => {
          redirectUri = new URL(url).searchParams.get("redirect_uri") ?? "";
          return Promise.resolve();
        },
      }),
    );
    await expect(failure).rejects.toMatchObject({
      name: "OAuthError",
      code: "expired",
      reason: "browser_timeout",
    });
    expect(toFlowError(await failure.catch((error: unknown) => error))).toMatchObject({
      code: "authorization_expired",
    });
    expect(await refused(redirectUri)).toBe(true);
  });

  it("cancelled while waiting for the browser: the signal's reason, and the listener is gone", async () => {
    const { options } = await setUp();
    const controller = new AbortController();
    const reason = new Error("the user cancelled");
    let redirectUri = "";
    const failure = signInWithBrowser(
      options({
        signal: controller.signal,
        openUrl: (url) => {
          redirectUri = new URL(url).searchParams.get("redirect_uri") ?? "";
          controller.abort(reason);
          return Promise.resolve();
        },
      }),
    );
    await expect(failure).rejects.toBe(reason);
    expect(await refused(redirectUri)).toBe(true);
  });

  it("a browser that cannot be opened: browser_unavailable, and the listener is gone", async () => {
    const { options } = await setUp();
    let redirectUri = "";
    const failure = signInWithBrowser(
      options({
        openUrl: (url) => {
          redirectUri = new URL(url).searchParams.get("redirect_uri") ?? "";
          return Promise.reject(new Error("no browser"));
        },
      }),
    );
    await expect(failure).rejects.toMatchObject({ code: "browser_unavailable" });
    expect(toFlowError(await failure.catch((error: unknown) => error))).toMatchObject({
      code: "unable_to_open_browser",
    });
    expect(await refused(redirectUri)).toBe(true);
  });

  it("the authorization request: S256 PKCE, a fresh state, the Matrix scopes, the loopback redirect", async () => {
    const { options } = await setUp();
    const urls: URL[] = [];
    const signIn = (): Promise<unknown> =>
      signInWithBrowser(
        options({
          timeoutMs: 50,
          openUrl: (url) => {
            urls.push(new URL(url));
            return Promise.resolve();
          },
        }),
      ).catch(() => undefined);
    await signIn();
    await signIn();
    const [first, second] = urls.map((url) => Object.fromEntries(url.searchParams));
    expect(first).toMatchObject({
      response_type: "code",
      code_challenge_method: "S256",
      scope: "urn:matrix:client:api:* urn:matrix:client:device:LOOPBACKDEV1",
      redirect_uri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/) as unknown,
    });
    expect(first?.state).not.toBe(second?.state);
    expect(first?.code_challenge).not.toBe(second?.code_challenge);
  });

  it("a server without S256 PKCE: no_oauth_api (no_pkce_s256), and no listener is started", async () => {
    const { options } = await setUp();
    let opened = false;
    const base = options({});
    await expect(
      signInWithBrowser({
        ...base,
        metadata: { ...base.metadata, codeChallengeMethodsSupported: ["plain"] },
        openUrl: () => {
          opened = true;
          return Promise.resolve();
        },
      }),
    ).rejects.toMatchObject({ code: "no_oauth_api", reason: "no_pkce_s256" });
    expect(opened).toBe(false);
  });
});
