// The device authorization grant (RFC 8628, Matrix v1.18) run by oauth4webapi, the app's OAuth library, against
// the devserver: as the RFC says (HTTP 400 polling errors, slow_down, verification_uri_complete), and with
// masQuirks as MAS does it (HTTP 403, no slow_down, no verification_uri_complete). The user acts on the real pages
// over HTTP (test/helpers/consent.ts); the Chromium run of the same pages is oauth-consent-browser.test.ts.
// Polling pace is measured on the devserver clock, which the tests advance instead of waiting; device code expiry
// follows real time (oidc-provider reads Date.now), hence the one short real wait.
import * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import type { Devserver, DevserverOptions } from "../../devserver/index";
import { approveOverHttp } from "../helpers/consent";
import {
  DEVICE_GRANT,
  USERS,
  discover,
  expectTokens,
  expectWhoami,
  insecure,
  matrixScope,
  pollOnce,
  registerClient,
  requestDeviceCode,
  sleep,
  useOAuthDevservers,
} from "./oauth-fixtures";

const start = useOAuthDevservers();

interface Flow {
  readonly server: Devserver;
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly device: oauth.DeviceAuthorizationResponse;
  /** Moves the devserver clock past the announced interval, then polls once. */
  readonly politePoll: () => ReturnType<typeof pollOnce>;
  readonly poll: () => ReturnType<typeof pollOnce>;
}

async function startFlow(options: DevserverOptions = {}, deviceId = "NEWDEVICE01"): Promise<Flow> {
  const server = await start({ deviceCode: { intervalS: 1 }, ...options });
  const as = await discover(server);
  const client = await registerClient(as);
  const device = await requestDeviceCode(as, client, matrixScope(deviceId));
  const poll = (): ReturnType<typeof pollOnce> => pollOnce(as, client, device.device_code);
  return {
    server,
    as,
    client,
    device,
    poll,
    politePoll: () => {
      server.hooks.clock.advance((device.interval ?? 5) * 1000);
      return poll();
    },
  };
}

function userConsent(flow: Flow, approve: boolean) {
  return approveOverHttp({
    verificationUri: flow.device.verification_uri,
    userCode: flow.device.user_code,
    user: "alice",
    password: USERS.alice,
    approve,
  });
}

describe("device grant as RFC 8628 describes it", () => {
  it("the device authorization response has a 6-character upper-case code, both URIs, expires_in and interval", async () => {
    const server = await start();
    const as = await discover(server);
    const device = await requestDeviceCode(as, await registerClient(as), matrixScope("NEWDEVICE01"));
    expect(device.user_code).toMatch(/^[A-Z0-9]{6}$/);
    expect(device.verification_uri).toBe(`${server.publicBaseUrl}/link`);
    expect(device.verification_uri_complete).toBe(
      `${server.publicBaseUrl}/link?user_code=${device.user_code}`,
    );
    expect(device.expires_in).toBe(600);
    expect(device.interval).toBe(5);
  });

  it("deviceCode options set expires_in and interval", async () => {
    const flow = await startFlow({ deviceCode: { ttlS: 90, intervalS: 2 } });
    expect(flow.device.expires_in).toBe(90);
    expect(flow.device.interval).toBe(2);
  });

  it("before the user acts, each poll answers authorization_pending with HTTP 400", async () => {
    const flow = await startFlow();
    expect(await flow.politePoll()).toEqual({ kind: "error", error: "authorization_pending", status: 400 });
    expect(await flow.politePoll()).toEqual({ kind: "error", error: "authorization_pending", status: 400 });
  });

  it("a poll sooner than the interval gets slow_down, and from then on the interval is 5 s longer", async () => {
    const flow = await startFlow();
    expect(await flow.poll()).toMatchObject({ error: "authorization_pending" });
    expect(await flow.poll()).toEqual({ kind: "error", error: "slow_down", status: 400 });
    flow.server.hooks.clock.advance(1000);
    expect(await flow.poll()).toMatchObject({ error: "slow_down" });
    flow.server.hooks.clock.advance(11_000);
    expect(await flow.poll()).toMatchObject({ error: "authorization_pending" });
  });

  it("approved on the pages: tokens at the next poll, the device already exists when they arrive, whoami names it", async () => {
    const flow = await startFlow();
    expect(await flow.politePoll()).toMatchObject({ error: "authorization_pending" });
    expect(await userConsent(flow, true)).toEqual({ kind: "result", result: "approved" });
    const userId = `@alice:${flow.server.serverName}`;
    expect(flow.server.accounts.getDevice(userId, "NEWDEVICE01")).toBeUndefined();

    flow.server.hooks.clock.advance(1000);
    const response = await oauth.deviceCodeGrantRequest(
      flow.as,
      flow.client,
      oauth.None(),
      flow.device.device_code,
      insecure,
    );
    expect(flow.server.accounts.getDevice(userId, "NEWDEVICE01")).toBeDefined();
    const tokens = await oauth.processDeviceCodeResponse(flow.as, flow.client, response);
    expect(tokens.token_type).toBe("bearer");
    expect(tokens.expires_in).toBe(300);
    expect(typeof tokens.refresh_token).toBe("string");
    await expectWhoami(flow.server, tokens.access_token, "NEWDEVICE01");
  });

  it("verification_uri_complete pre-fills the code, so the user only confirms it", async () => {
    const flow = await startFlow();
    const outcome = await approveOverHttp({
      verificationUri: flow.device.verification_uri_complete ?? "",
      user: "alice",
      password: USERS.alice,
      approve: true,
    });
    expect(outcome).toEqual({ kind: "result", result: "approved" });
    expectTokens(await flow.politePoll());
  });

  it("denied on the pages: access_denied with HTTP 400, and the device is never created", async () => {
    const flow = await startFlow();
    expect(await userConsent(flow, false)).toEqual({ kind: "result", result: "denied" });
    expect(await flow.politePoll()).toEqual({ kind: "error", error: "access_denied", status: 400 });
    expect(flow.server.accounts.listDevices(`@alice:${flow.server.serverName}`)).toEqual([]);
  });

  it("a code nobody answered in time: expired_token with HTTP 400", async () => {
    const flow = await startFlow({ deviceCode: { ttlS: 1, intervalS: 1 } });
    await sleep(1100);
    expect(await flow.politePoll()).toEqual({ kind: "error", error: "expired_token", status: 400 });
  });

  it("a client that did not register the device grant: 401 unauthorized_client", async () => {
    const server = await start();
    const as = await discover(server);
    const client = await registerClient(as, {
      grant_types: ["authorization_code"],
      response_types: ["code"],
      redirect_uris: ["https://client.example.org/callback"],
    });
    const response = await oauth.deviceAuthorizationRequest(
      as,
      client,
      oauth.None(),
      { scope: matrixScope("NEWDEVICE01") },
      insecure,
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: "unauthorized_client" });
  });

  it("a client that did not register refresh_token gets no refresh token", async () => {
    const server = await start();
    const as = await discover(server);
    const client = await registerClient(as, { grant_types: [DEVICE_GRANT] });
    const device = await requestDeviceCode(as, client, matrixScope("NEWDEVICE01"));
    await approveOverHttp({
      verificationUri: device.verification_uri,
      userCode: device.user_code,
      user: "alice",
      password: USERS.alice,
      approve: true,
    });
    const tokens = expectTokens(await pollOnce(as, client, device.device_code));
    expect(tokens.refresh_token).toBeUndefined();
  });
});

describe("device grant with masQuirks, as MAS does it", () => {
  it("no verification_uri_complete; interval 5 s and expires_in 1200 s by default", async () => {
    const server = await start({ masQuirks: true });
    const as = await discover(server);
    const device = await requestDeviceCode(as, await registerClient(as), matrixScope("NEWDEVICE01"));
    expect(device.verification_uri).toBe(`${server.publicBaseUrl}/link`);
    expect(device).not.toHaveProperty("verification_uri_complete");
    expect(device.interval).toBe(5);
    expect(device.expires_in).toBe(1200);
  });

  it("pending polls answer HTTP 403, and never slow_down however fast the client polls", async () => {
    const flow = await startFlow({ masQuirks: true });
    for (let poll = 0; poll < 3; poll += 1) {
      expect(await flow.poll()).toEqual({ kind: "error", error: "authorization_pending", status: 403 });
    }
  });

  it("denied: access_denied with HTTP 403", async () => {
    const flow = await startFlow({ masQuirks: true });
    await userConsent(flow, false);
    expect(await flow.poll()).toEqual({ kind: "error", error: "access_denied", status: 403 });
  });

  it("expired: expired_token with HTTP 403 (an explicit ttl overrides MAS's 1200 s)", async () => {
    const flow = await startFlow({ masQuirks: true, deviceCode: { ttlS: 1 } });
    await sleep(1100);
    expect(await flow.poll()).toEqual({ kind: "error", error: "expired_token", status: 403 });
  });

  it("approved: the tokens come with HTTP 200 as usual, and whoami works", async () => {
    const flow = await startFlow({ masQuirks: true });
    await userConsent(flow, true);
    const tokens = expectTokens(await flow.poll());
    await expectWhoami(flow.server, tokens.access_token, "NEWDEVICE01");
  });
});
