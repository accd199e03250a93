// The OAuth test hooks: answering a device code without a browser, minting a token for a test client, and their
// refusals; without `testHooks` neither path exists.
import type * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import {
  discover,
  expectTokens,
  expectWhoami,
  matrixScope,
  pollOnce,
  registerClient,
  requestDeviceCode,
  useOAuthDevservers,
} from "./oauth-fixtures";

const start = useOAuthDevservers();

function post(server: Devserver, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function deviceCodeFor(server: Devserver): Promise<{
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  device: oauth.DeviceAuthorizationResponse;
}> {
  const as = await discover(server);
  const client = await registerClient(as);
  return { as, client, device: await requestDeviceCode(as, client, matrixScope("HOOKDEVICE1")) };
}

describe("POST /_devserver/approve", () => {
  it("approve true signs the device in as the named user (a full user ID works too)", async () => {
    const server = await start({ testHooks: true });
    const { as, client, device } = await deviceCodeFor(server);
    const response = await post(server, "/_devserver/approve", {
      user_code: device.user_code.toLowerCase(),
      user: `@bob:${server.serverName}`,
      approve: true,
    });
    expect(response.status).toBe(200);
    const tokens = expectTokens(await pollOnce(as, client, device.device_code));
    await expectWhoami(server, tokens.access_token, "HOOKDEVICE1", "bob");
  });

  it("approve false answers the client access_denied", async () => {
    const server = await start({ testHooks: true });
    const { as, client, device } = await deviceCodeFor(server);
    expect(
      (
        await post(server, "/_devserver/approve", {
          user_code: device.user_code,
          user: "alice",
          approve: false,
        })
      ).status,
    ).toBe(200);
    expect(await pollOnce(as, client, device.device_code)).toMatchObject({ error: "access_denied" });
  });

  it("refuses an unknown code (404), an unknown user and a code already answered (400)", async () => {
    const server = await start({ testHooks: true });
    const { device } = await deviceCodeFor(server);
    const unknownCode = await post(server, "/_devserver/approve", {
      user_code: "ZZZZZZ",
      user: "alice",
      approve: true,
    });
    expect(unknownCode.status).toBe(404);
    const unknownUser = await post(server, "/_devserver/approve", {
      user_code: device.user_code,
      user: "mallory",
      approve: true,
    });
    expect(unknownUser.status).toBe(400);
    expect(
      (
        await post(server, "/_devserver/approve", {
          user_code: device.user_code,
          user: "alice",
          approve: true,
        })
      ).status,
    ).toBe(200);
    const again = await post(server, "/_devserver/approve", {
      user_code: device.user_code,
      user: "alice",
      approve: false,
    });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });
  });
});

describe("POST /_devserver/token", () => {
  it("creates the device and mints a token that whoami accepts", async () => {
    const server = await start({ testHooks: true });
    const response = await post(server, "/_devserver/token", { user: "alice", device_id: "EXISTING" });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; user_id: string; device_id: string };
    expect(body).toMatchObject({ user_id: `@alice:${server.serverName}`, device_id: "EXISTING" });
    expect(server.accounts.getDevice(body.user_id, "EXISTING")).toBeDefined();
    await expectWhoami(server, body.access_token, "EXISTING");
  });

  it("makes up a device ID when none is given", async () => {
    const server = await start({ testHooks: true });
    const body = (await (await post(server, "/_devserver/token", { user: "alice" })).json()) as {
      device_id: string;
    };
    expect(body.device_id).toMatch(/^[A-Z]{10}$/);
  });

  it("refuses a user who is not configured", async () => {
    const server = await start({ testHooks: true });
    expect((await post(server, "/_devserver/token", { user: "mallory" })).status).toBe(400);
  });
});

describe("without testHooks", () => {
  it("neither path exists: 404 M_UNRECOGNIZED", async () => {
    const server = await start();
    for (const path of ["/_devserver/approve", "/_devserver/token"]) {
      const response = await post(server, path, { user: "alice" });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ errcode: "M_UNRECOGNIZED" });
    }
  });
});
