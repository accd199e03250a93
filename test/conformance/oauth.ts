// OAuth 2.0 scenarios a Matrix client lives through, seen from the client (oauth4webapi, as the app) against a
// target: discovery through the homeserver's auth metadata (Matrix v1.15), dynamic client registration under the
// Matrix rules and MAS's policy (docs/protocol.md §6), and the device authorization grant (RFC 8628, Matrix v1.18), as
// RFC 8628 describes it and as MAS does it. The homeserver and the OAuth server may be one (the devserver) or two
// (Synapse with the devserver as its MAS): requests for the client-server API go to `homeserverUrl`, everything
// else to the endpoints the auth metadata names. A scenario that needs settings the target cannot have skips itself
// with the reason; where a target differs on purpose, that is a named capability, never a looser assertion.
// The user acts on the OAuth server's real pages over HTTP (test/helpers/consent.ts).
import * as oauth from "oauth4webapi";
import { beforeEach, describe, expect, it, type TestContext } from "vitest";
import { approveOverHttp } from "../helpers/consent";
import {
  AUTH_METADATA,
  DEVICE_GRANT,
  STABLE_API,
  UNSTABLE_API,
  UNSTABLE_AUTH_METADATA,
  discoverAt,
  expectTokens,
  expectWhoamiAt,
  insecure,
  matrixScope,
  pollOnce,
  registerClient,
  requestDeviceCode,
  sleep,
} from "../helpers/oauth-client";

/** How the target's OAuth server runs the device grant and its tokens. */
export interface OAuthSettings {
  /** MAS's departures from RFC 8628: polling errors with 403, no `slow_down`, no `verification_uri_complete`. */
  readonly masQuirks: boolean;
  /** Whether too-early polls get `slow_down` (by default not with masQuirks; on, it is MAS once it has added it). */
  readonly slowDown: boolean;
  readonly deviceCodeTtlS: number;
  readonly deviceCodeIntervalS: number;
  readonly accessTokenTtlS: number;
}

/** What a target serves; fixed when tests are registered. */
export interface OAuthCapabilities {
  /** `/versions` lists v1.15 (stable auth metadata) and v1.18 (device grant). Synapse 1.160 stops at v1.12. */
  readonly versionsListOAuth: boolean;
}

/** A homeserver and its OAuth server, ready for one test. */
export interface OAuthConnection {
  /** The client-server API base URL, no trailing slash: the auth metadata and whoami are asked here. */
  readonly homeserverUrl: string;
  /** The issuer the auth metadata must name (with its trailing slash). */
  readonly issuer: string;
  readonly serverName: string;
  readonly settings: OAuthSettings;
  /** Who can sign in on the login page; must include alice. */
  readonly users: Readonly<Record<string, string>>;
  /** Moves the OAuth server's clock forward (the device grant's polling pace is measured on it). */
  readonly advanceClock: (ms: number) => Promise<void>;
  /** Whether the homeserver has this device now, where the target can tell without a token of the user's. */
  readonly hasDevice?: (localpart: string, deviceId: string) => Promise<boolean>;
}

export interface OAuthTarget {
  readonly capabilities: OAuthCapabilities;
  /**
   * A homeserver whose OAuth server runs with these settings (the rest as the target likes), or the reason why the
   * target cannot offer them.
   */
  connect(settings?: Partial<OAuthSettings>): Promise<OAuthConnection | string>;
}

async function connectOrSkip(
  ctx: TestContext,
  target: OAuthTarget,
  settings?: Partial<OAuthSettings>,
): Promise<OAuthConnection> {
  const conn = await target.connect(settings);
  if (typeof conn === "string") ctx.skip(conn);
  return conn;
}

function password(conn: OAuthConnection, user: string): string {
  const found = conn.users[user];
  if (found === undefined) throw new Error(`the target has no user ${user}`);
  return found;
}

function discover(conn: OAuthConnection): Promise<oauth.AuthorizationServer> {
  return discoverAt(conn.homeserverUrl, conn.issuer);
}

async function json(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

/** whoami on the homeserver names the user and the device the token was issued for. */
function expectWhoami(conn: OAuthConnection, accessToken: string, deviceId: string, user = "alice") {
  return expectWhoamiAt(conn.homeserverUrl, accessToken, `@${user}:${conn.serverName}`, deviceId);
}

// ---------------------------------------------------------------------------------------------------------------

/** How a Matrix client finds the OAuth server: the homeserver's auth metadata, `.well-known`, `/versions`. */
export function describeOAuthDiscovery(target: OAuthTarget): void {
  describe("discovery", () => {
    it("the auth metadata is the same JSON on the stable and the unstable path, and is the issuer's OIDC metadata", async (ctx) => {
      const conn = await connectOrSkip(ctx, target);
      const stable = await json(`${conn.homeserverUrl}${AUTH_METADATA}`);
      expect(await json(`${conn.homeserverUrl}${UNSTABLE_AUTH_METADATA}`)).toEqual(stable);
      expect(await json(`${conn.issuer}.well-known/openid-configuration`)).toEqual(stable);
    });

    it("the auth metadata names every endpoint and capability a Matrix client checks", async (ctx) => {
      const conn = await connectOrSkip(ctx, target);
      const metadata = await json(`${conn.homeserverUrl}${AUTH_METADATA}`);
      const base = conn.issuer.replace(/\/$/, "");
      expect(metadata).toMatchObject({
        issuer: conn.issuer,
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

    it("oauth4webapi accepts the auth metadata as the metadata of the issuer it names", async (ctx) => {
      const conn = await connectOrSkip(ctx, target);
      const as = await discover(conn);
      expect(as.issuer).toBe(conn.issuer);
      expect(as.device_authorization_endpoint).toBe(`${conn.issuer}oauth2/device`);
    });

    it("the unstable auth_issuer (an earlier MSC2965) names the issuer", async (ctx) => {
      const conn = await connectOrSkip(ctx, target);
      expect(
        await json(`${conn.homeserverUrl}/_matrix/client/unstable/org.matrix.msc2965/auth_issuer`),
      ).toEqual({ issuer: conn.issuer });
    });

    it(".well-known/matrix/client names the homeserver, and the issuer and account page (MSC2965)", async (ctx) => {
      const conn = await connectOrSkip(ctx, target);
      const wellKnown = await json(`${conn.homeserverUrl}/.well-known/matrix/client`);
      const homeserver = wellKnown["m.homeserver"] as { base_url?: unknown } | undefined;
      // Synapse hands out its public_baseurl as configured, trailing slash included; clients strip it.
      expect(String(homeserver?.base_url).replace(/\/$/, "")).toBe(conn.homeserverUrl);
      expect(wellKnown["org.matrix.msc2965.authentication"]).toEqual({
        issuer: conn.issuer,
        account: `${conn.issuer}account/`,
      });
    });

    it("/versions lists v1.15 (stable auth metadata) and v1.18 (device grant) where the target claims them", async (ctx) => {
      const conn = await connectOrSkip(ctx, target);
      const { versions } = (await json(`${conn.homeserverUrl}/_matrix/client/versions`)) as {
        versions: string[];
      };
      if (target.capabilities.versionsListOAuth) {
        expect(versions).toEqual(expect.arrayContaining(["v1.15", "v1.18"]));
      } else {
        // The auth metadata is served all the same (the first test): a client must not gate OAuth on /versions.
        expect(versions).not.toContain("v1.15");
      }
    });

    it("the account management URI is a page", async (ctx) => {
      const conn = await connectOrSkip(ctx, target);
      const metadata = await json(`${conn.homeserverUrl}${AUTH_METADATA}`);
      const response = await fetch(String(metadata.account_management_uri));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await response.text()).toContain('data-page="account"');
    });

    it("auth metadata answers GET only, like any Matrix endpoint (405 M_UNRECOGNIZED)", async (ctx) => {
      const conn = await connectOrSkip(ctx, target);
      const response = await fetch(`${conn.homeserverUrl}${AUTH_METADATA}`, { method: "POST" });
      expect(response.status).toBe(405);
      expect(await response.json()).toMatchObject({ errcode: "M_UNRECOGNIZED" });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------

/** A web client with the authorization code grant, the smallest registration MAS's own tests accept. */
const WEB_CLIENT = {
  client_uri: "https://client.example.org/",
  token_endpoint_auth_method: "none",
  redirect_uris: ["https://client.example.org/callback"],
};

/** Dynamic client registration (docs/protocol.md §6): what is accepted, and one refusal per rule. */
export function describeClientRegistration(target: OAuthTarget): void {
  let registrationEndpoint = "";

  beforeEach(async (ctx) => {
    const conn = await connectOrSkip(ctx, target);
    const as = await discover(conn);
    registrationEndpoint = as.registration_endpoint ?? "";
  });

  async function register(
    metadata: Record<string, unknown>,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(registrationEndpoint, {
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
}

// ---------------------------------------------------------------------------------------------------------------

interface Flow {
  readonly conn: OAuthConnection;
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly device: oauth.DeviceAuthorizationResponse;
  /** Moves the OAuth server's clock past the announced interval, then polls once. */
  readonly politePoll: () => ReturnType<typeof pollOnce>;
  readonly poll: () => ReturnType<typeof pollOnce>;
}

const NEW_DEVICE = "NEWDEVICE01";

/** A fresh device ID per flow: on a homeserver that outlives the test, every sign-in is a new device. */
function newDeviceId(): string {
  return `${NEW_DEVICE}${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
}

async function startFlow(conn: OAuthConnection, deviceId = newDeviceId()): Promise<Flow> {
  const as = await discover(conn);
  const client = await registerClient(as);
  const device = await requestDeviceCode(as, client, matrixScope(deviceId));
  const poll = (): ReturnType<typeof pollOnce> => pollOnce(as, client, device.device_code);
  return {
    conn,
    as,
    client,
    device,
    poll,
    politePoll: async () => {
      await conn.advanceClock((device.interval ?? 5) * 1000);
      return poll();
    },
  };
}

function userConsent(flow: Flow, approve: boolean, verificationUri = flow.device.verification_uri) {
  return approveOverHttp({
    verificationUri,
    userCode: flow.device.user_code,
    user: "alice",
    password: password(flow.conn, "alice"),
    approve,
  });
}

/** The device authorization grant, run by oauth4webapi, ending with a token that works on the homeserver. */
export function describeDeviceGrant(target: OAuthTarget): void {
  for (const masQuirks of [false, true]) {
    const pollingStatus = masQuirks ? 403 : 400;
    const title = masQuirks
      ? "device grant with masQuirks, as MAS does it"
      : "device grant as RFC 8628 describes it";
    // Interval 1 s keeps the real-time scenarios short; the others move the OAuth server's clock.
    const fast: Partial<OAuthSettings> = { masQuirks, deviceCodeIntervalS: 1 };

    describe(title, () => {
      it(`the device authorization response has a 6-character upper-case code, the code entry URI${masQuirks ? " only" : "s"}, and the configured expires_in and interval`, async (ctx) => {
        const conn = await connectOrSkip(ctx, target, { masQuirks });
        const flow = await startFlow(conn);
        const base = conn.issuer.replace(/\/$/, "");
        expect(flow.device.user_code).toMatch(/^[A-Z0-9]{6}$/);
        expect(flow.device.verification_uri).toBe(`${base}/link`);
        if (masQuirks) expect(flow.device).not.toHaveProperty("verification_uri_complete");
        else {
          expect(flow.device.verification_uri_complete).toBe(
            `${base}/link?user_code=${flow.device.user_code}`,
          );
        }
        expect(flow.device.expires_in).toBe(conn.settings.deviceCodeTtlS);
        expect(flow.device.interval).toBe(conn.settings.deviceCodeIntervalS);
      });

      it(`before the user acts, each poll answers authorization_pending with HTTP ${pollingStatus}`, async (ctx) => {
        const flow = await startFlow(await connectOrSkip(ctx, target, fast));
        const pending = { kind: "error", error: "authorization_pending", status: pollingStatus };
        expect(await flow.politePoll()).toEqual(pending);
        expect(await flow.politePoll()).toEqual(pending);
      });

      if (masQuirks) {
        it("pending polls never get slow_down, however fast the client polls", async (ctx) => {
          const flow = await startFlow(await connectOrSkip(ctx, target, fast));
          for (let poll = 0; poll < 3; poll += 1) {
            expect(await flow.poll()).toEqual({ kind: "error", error: "authorization_pending", status: 403 });
          }
        });
      }

      // With masQuirks, slow_down switched on: MAS once it has added slow_down, answering it as its other errors.
      it(`${masQuirks ? "with slow_down added: " : ""}a poll sooner than the interval gets slow_down with HTTP ${pollingStatus}, and from then on the interval is 5 s longer`, async (ctx) => {
        const flow = await startFlow(
          await connectOrSkip(ctx, target, masQuirks ? { ...fast, slowDown: true } : fast),
        );
        expect(await flow.poll()).toMatchObject({ error: "authorization_pending" });
        expect(await flow.poll()).toEqual({ kind: "error", error: "slow_down", status: pollingStatus });
        await flow.conn.advanceClock(1000);
        expect(await flow.poll()).toMatchObject({ error: "slow_down" });
        await flow.conn.advanceClock(11_000);
        expect(await flow.poll()).toEqual({
          kind: "error",
          error: "authorization_pending",
          status: pollingStatus,
        });
      });

      it("approved on the pages: tokens at the next poll, the device exists when they arrive, whoami on the homeserver names it", async (ctx) => {
        const conn = await connectOrSkip(ctx, target, fast);
        const deviceId = newDeviceId();
        const flow = await startFlow(conn, deviceId);
        expect(await flow.politePoll()).toMatchObject({ error: "authorization_pending" });
        expect(await userConsent(flow, true)).toEqual({ kind: "result", result: "approved" });
        if (conn.hasDevice !== undefined) expect(await conn.hasDevice("alice", deviceId)).toBe(false);

        await conn.advanceClock(1000);
        const response = await oauth.deviceCodeGrantRequest(
          flow.as,
          flow.client,
          oauth.None(),
          flow.device.device_code,
          insecure,
        );
        // Checked before the response body is read: the device must exist once the token response has been sent.
        if (conn.hasDevice !== undefined) expect(await conn.hasDevice("alice", deviceId)).toBe(true);
        const tokens = await oauth.processDeviceCodeResponse(flow.as, flow.client, response);
        expect(tokens.token_type).toBe("bearer");
        expect(tokens.expires_in).toBe(conn.settings.accessTokenTtlS);
        expect(typeof tokens.refresh_token).toBe("string");
        await expectWhoami(conn, tokens.access_token, deviceId);
      });

      if (!masQuirks) {
        it("verification_uri_complete pre-fills the code, so the user only confirms it", async (ctx) => {
          const flow = await startFlow(await connectOrSkip(ctx, target, fast));
          const outcome = await userConsent(flow, true, flow.device.verification_uri_complete ?? "");
          expect(outcome).toEqual({ kind: "result", result: "approved" });
          expectTokens(await flow.politePoll());
        });
      }

      it(`denied on the pages: access_denied with HTTP ${pollingStatus}, and the device is never created`, async (ctx) => {
        const conn = await connectOrSkip(ctx, target, fast);
        const deviceId = newDeviceId();
        const flow = await startFlow(conn, deviceId);
        expect(await userConsent(flow, false)).toEqual({ kind: "result", result: "denied" });
        expect(await flow.politePoll()).toEqual({
          kind: "error",
          error: "access_denied",
          status: pollingStatus,
        });
        if (conn.hasDevice !== undefined) expect(await conn.hasDevice("alice", deviceId)).toBe(false);
      });

      it(`a code nobody answered in time: expired_token with HTTP ${pollingStatus}`, async (ctx) => {
        const flow = await startFlow(await connectOrSkip(ctx, target, { masQuirks, deviceCodeTtlS: 1 }));
        // Device codes expire on real time (oidc-provider reads Date.now), hence the one short real wait.
        await sleep(1100);
        expect(await flow.politePoll()).toEqual({
          kind: "error",
          error: "expired_token",
          status: pollingStatus,
        });
      });

      it("a client that did not register the device grant: 401 unauthorized_client", async (ctx) => {
        const conn = await connectOrSkip(ctx, target, { masQuirks });
        const as = await discover(conn);
        const client = await registerClient(as, {
          grant_types: ["authorization_code"],
          response_types: ["code"],
          redirect_uris: ["https://client.example.org/callback"],
        });
        const response = await oauth.deviceAuthorizationRequest(
          as,
          client,
          oauth.None(),
          { scope: matrixScope(newDeviceId()) },
          insecure,
        );
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ error: "unauthorized_client" });
      });

      it("a client that did not register refresh_token gets no refresh token", async (ctx) => {
        const conn = await connectOrSkip(ctx, target, fast);
        const as = await discover(conn);
        const client = await registerClient(as, { grant_types: [DEVICE_GRANT] });
        const deviceId = newDeviceId();
        const device = await requestDeviceCode(as, client, matrixScope(deviceId));
        await approveOverHttp({
          verificationUri: device.verification_uri,
          userCode: device.user_code,
          user: "alice",
          password: password(conn, "alice"),
          approve: true,
        });
        await conn.advanceClock(1000);
        const tokens = expectTokens(await pollOnce(as, client, device.device_code));
        expect(tokens.refresh_token).toBeUndefined();
        await expectWhoami(conn, tokens.access_token, deviceId);
      });
    });
  }
}
