// Device management and logout on the devserver, as Synapse answers them with MAS in charge of sign-in: list,
// get, rename; no deletion through the client-server API (404 `M_UNRECOGNIZED`); logout ends the device, its
// tokens and its keys.
import * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import { api, CSAPI_DEVSERVER, errorOf, mintDeviceToken, TestDevice } from "../helpers/csapi";
import { useDevservers } from "../helpers/devservers";
import { discover, insecure, registerClient, signInWithHook } from "./oauth-fixtures";

const start = useDevservers(CSAPI_DEVSERVER);

describe("GET /devices and /devices/{deviceId}", () => {
  it("lists the user's own devices with Synapse's fields, last seen from their requests", async () => {
    const server = await start();
    const phone = await mintDeviceToken(server, "alice", "PHONE");
    await mintDeviceToken(server, "alice", "LAPTOP");
    await mintDeviceToken(server, "bob", "BOBPHONE");
    const before = Date.now();
    const response = await api(server, phone.access_token)("GET", "/devices");
    expect(response.status).toBe(200);
    const devices = response.body.devices as Record<string, unknown>[];
    expect(devices.map((device) => device.device_id).sort()).toEqual(["LAPTOP", "PHONE"]);
    expect(devices.find((device) => device.device_id === "LAPTOP")).toEqual({
      user_id: phone.user_id,
      device_id: "LAPTOP",
      display_name: null,
      last_seen_ip: null,
      last_seen_ts: null,
    });
    const self = devices.find((device) => device.device_id === "PHONE");
    expect(self).toMatchObject({ user_id: phone.user_id, last_seen_ip: "127.0.0.1" });
    expect(self?.last_seen_ts).toBeGreaterThanOrEqual(before - 1000);
  });

  it("gets one device, and answers 404 M_NOT_FOUND for another user's device or an unknown one", async () => {
    const server = await start();
    const phone = await mintDeviceToken(server, "alice", "PHONE");
    await mintDeviceToken(server, "bob", "BOBPHONE");
    const alice = api(server, phone.access_token);
    expect(await alice("GET", "/devices/PHONE")).toMatchObject({
      status: 200,
      body: { user_id: phone.user_id, device_id: "PHONE", display_name: null },
    });
    expect(errorOf(await alice("GET", "/devices/BOBPHONE"))).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
    expect(errorOf(await alice("GET", "/devices/NOSUCHDEVICE"))).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
  });

  it("finds a device whose ID has + and / (rust-sdk's Curve25519 key as device ID) when percent-encoded", async () => {
    const server = await start();
    const deviceId = "q1Dc+fR/7sbXn0n2RjH0yU6ImZe3W2sQJQm3w1i8dGk";
    const token = await mintDeviceToken(server, "alice", deviceId);
    const response = await api(server, token.access_token)("GET", `/devices/${encodeURIComponent(deviceId)}`);
    expect(response).toMatchObject({ status: 200, body: { device_id: deviceId } });
  });
});

describe("PUT /devices/{deviceId}", () => {
  it("renames a device; the name shows in /devices and in /keys/query", async () => {
    const server = await start();
    const token = await mintDeviceToken(server, "alice", "PHONE");
    const alice = api(server, token.access_token);
    const device = new TestDevice(token.user_id, "PHONE");
    await alice("POST", "/keys/upload", { device_keys: device.deviceKeys() });
    expect(await alice("PUT", "/devices/PHONE", { display_name: "Alice's phone" })).toEqual({
      status: 200,
      body: {},
    });
    expect((await alice("GET", "/devices/PHONE")).body.display_name).toBe("Alice's phone");
    const query = await alice("POST", "/keys/query", { device_keys: { [token.user_id]: ["PHONE"] } });
    expect(query.body.device_keys).toMatchObject({
      [token.user_id]: { PHONE: { unsigned: { device_display_name: "Alice's phone" } } },
    });
  });

  it("keeps the name when the body has none", async () => {
    const server = await start();
    const token = await mintDeviceToken(server, "alice", "PHONE");
    const alice = api(server, token.access_token);
    await alice("PUT", "/devices/PHONE", { display_name: "Phone" });
    expect((await alice("PUT", "/devices/PHONE", {})).status).toBe(200);
    expect((await alice("GET", "/devices/PHONE")).body.display_name).toBe("Phone");
  });

  it("refuses a name that is not a string (400 M_BAD_JSON), too long (400 M_TOO_LARGE), or an unknown device (404)", async () => {
    const server = await start();
    const token = await mintDeviceToken(server, "alice", "PHONE");
    await mintDeviceToken(server, "bob", "BOBPHONE");
    const alice = api(server, token.access_token);
    expect(errorOf(await alice("PUT", "/devices/PHONE", { display_name: 7 }))).toEqual({
      status: 400,
      errcode: "M_BAD_JSON",
    });
    expect(errorOf(await alice("PUT", "/devices/PHONE", { display_name: "x".repeat(101) }))).toEqual({
      status: 400,
      errcode: "M_TOO_LARGE",
    });
    expect(errorOf(await alice("PUT", "/devices/BOBPHONE", { display_name: "mine" }))).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
  });
});

describe("deleting devices, as Synapse with MAS", () => {
  it("DELETE /devices/{deviceId} is 404 M_UNRECOGNIZED and the device stays", async () => {
    const server = await start();
    const phone = await mintDeviceToken(server, "alice", "PHONE");
    await mintDeviceToken(server, "alice", "LAPTOP");
    const alice = api(server, phone.access_token);
    expect(errorOf(await alice("DELETE", "/devices/LAPTOP"))).toEqual({
      status: 404,
      errcode: "M_UNRECOGNIZED",
    });
    expect((await alice("GET", "/devices/LAPTOP")).status).toBe(200);
  });
});

describe("POST /logout and /logout/all", () => {
  it("logout deletes the token's device: the token stops working, the keys go, the other devices learn of it", async () => {
    const server = await start();
    const phone = await mintDeviceToken(server, "alice", "PHONE");
    const laptop = await mintDeviceToken(server, "alice", "LAPTOP");
    const onPhone = api(server, phone.access_token);
    const onLaptop = api(server, laptop.access_token);
    await onPhone("POST", "/keys/upload", {
      device_keys: new TestDevice(phone.user_id, "PHONE").deviceKeys(),
    });
    const since = (await onLaptop("GET", "/sync")).body.next_batch as string;

    expect(await onPhone("POST", "/logout", {})).toEqual({ status: 200, body: {} });

    expect(errorOf(await onPhone("GET", "/devices"))).toEqual({ status: 401, errcode: "M_UNKNOWN_TOKEN" });
    expect(errorOf(await onLaptop("GET", "/devices/PHONE"))).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
    const query = await onLaptop("POST", "/keys/query", { device_keys: { [phone.user_id]: [] } });
    expect(query.body.device_keys).toEqual({ [phone.user_id]: {} });
    const sync = await onLaptop("GET", `/sync?since=${since}`);
    expect(sync.body.device_lists).toEqual({ changed: [phone.user_id] });
  });

  it("logout/all deletes every device of the user, and no other user's", async () => {
    const server = await start();
    const phone = await mintDeviceToken(server, "alice", "PHONE");
    const laptop = await mintDeviceToken(server, "alice", "LAPTOP");
    const bob = await mintDeviceToken(server, "bob", "BOBPHONE");
    expect((await api(server, phone.access_token)("POST", "/logout/all", {})).status).toBe(200);
    for (const token of [phone, laptop]) {
      expect((await api(server, token.access_token)("GET", "/devices")).status).toBe(401);
    }
    expect((await api(server, bob.access_token)("GET", "/devices")).status).toBe(200);
  });

  it("logout with an OAuth access token ends the device and the OAuth session: the refresh token is dead too", async () => {
    const server = await start();
    const as = await discover(server);
    const client = await registerClient(as);
    const tokens = await signInWithHook(server, as, client, "OAUTHPHONE");

    expect((await api(server, tokens.access_token)("POST", "/logout", {})).status).toBe(200);

    const whoami = await api(server, tokens.access_token)("GET", "/account/whoami");
    expect(errorOf(whoami)).toEqual({ status: 401, errcode: "M_UNKNOWN_TOKEN" });
    const refresh = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      tokens.refresh_token ?? "",
      insecure,
    );
    expect(refresh.status).toBe(400);
  });
});
