// `POST /keys/upload`, `/keys/query` and `/keys/claim` on the devserver: device keys must carry a valid
// self-signature (the devserver is stricter than Synapse there, and says so), only signatures that verify are
// kept, re-uploads behave as on Synapse, one-time keys go oldest first and then the fallback key.
import {
  DeviceId,
  initAsync,
  OlmMachine,
  KeysUploadRequest,
  UserId,
} from "@matrix-org/matrix-sdk-crypto-wasm";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../devserver/csapi/signing";
import type { Devserver } from "../../devserver/index";
import {
  api,
  CSAPI_DEVSERVER,
  errorOf,
  mintDeviceToken,
  TestCrossSigning,
  TestDevice,
  type Api,
  type DeviceToken,
} from "../helpers/csapi";
import { useDevservers } from "../helpers/devservers";

const startServer = useDevservers(CSAPI_DEVSERVER);

interface Signed {
  readonly server: Devserver;
  readonly token: DeviceToken;
  readonly device: TestDevice;
  readonly call: Api;
}

/** A devserver and a device of alice (`PHONE`), nothing uploaded yet. */
async function aliceOnPhone(): Promise<Signed> {
  const server = await startServer();
  const token = await mintDeviceToken(server, "alice", "PHONE");
  return {
    server,
    token,
    device: new TestDevice(token.user_id, "PHONE"),
    call: api(server, token.access_token),
  };
}

async function queryDevice(call: Api, userId: string, deviceId: string): Promise<JsonObject | undefined> {
  const response = await call("POST", "/keys/query", { device_keys: { [userId]: [deviceId] } });
  return (response.body.device_keys as Record<string, Record<string, JsonObject>>)[userId]?.[deviceId];
}

describe("POST /keys/upload", () => {
  it("stores self-signed device keys, one-time keys and a fallback key, and counts the one-time keys", async () => {
    const { call, device, token } = await aliceOnPhone();
    const response = await call("POST", "/keys/upload", {
      device_keys: device.deviceKeys(),
      one_time_keys: {
        "signed_curve25519:AAAAAQ": device.signedKey("otk1"),
        "signed_curve25519:AAAAAg": device.signedKey("otk2"),
      },
      fallback_keys: { "signed_curve25519:AAAAAw": device.signedKey("fallback", true) },
    });
    expect(response).toEqual({ status: 200, body: { one_time_key_counts: { signed_curve25519: 2 } } });
    const { unsigned, ...stored } = (await queryDevice(call, token.user_id, "PHONE")) ?? {};
    expect(stored).toEqual(device.deviceKeys());
    expect(unsigned).toEqual({});
  });

  it("counts signed_curve25519 even when there are none (as Synapse does)", async () => {
    const { call } = await aliceOnPhone();
    expect(await call("POST", "/keys/upload", {})).toEqual({
      status: 200,
      body: { one_time_key_counts: { signed_curve25519: 0 } },
    });
  });

  it.each([
    ["unsigned", (device: TestDevice) => device.deviceKeys(false)],
    [
      "signed by another key",
      (device: TestDevice) =>
        new TestDevice(device.userId, device.deviceId).signingKey.sign(
          device.deviceKeys(false),
          device.userId,
          device.keyId,
        ),
    ],
    [
      "changed after signing",
      (device: TestDevice) => ({ ...device.deviceKeys(), algorithms: ["m.olm.v1.curve25519-aes-sha2"] }),
    ],
    [
      "signed under another user's name",
      (device: TestDevice) => device.signingKey.sign(device.deviceKeys(false), "@mallory:x", device.keyId),
    ],
  ])(
    "refuses device keys %s: 400 M_INVALID_SIGNATURE, and stores nothing of the upload",
    async (_name, make) => {
      const { call, device, token } = await aliceOnPhone();
      const response = await call("POST", "/keys/upload", {
        device_keys: make(device),
        one_time_keys: { "signed_curve25519:AAAAAQ": device.signedKey("otk1") },
      });
      expect(errorOf(response)).toEqual({ status: 400, errcode: "M_INVALID_SIGNATURE" });
      expect(await queryDevice(call, token.user_id, "PHONE")).toBeUndefined();
      expect((await call("GET", "/sync")).body.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    },
  );

  it("refuses another user's or another device's keys: 400 M_BAD_JSON, as Synapse", async () => {
    const { call, token } = await aliceOnPhone();
    const bobs = new TestDevice(`@bob:${token.user_id.split(":").slice(1).join(":")}`, "PHONE").deviceKeys();
    expect(errorOf(await call("POST", "/keys/upload", { device_keys: bobs }))).toEqual({
      status: 400,
      errcode: "M_BAD_JSON",
    });
    const laptops = new TestDevice(token.user_id, "LAPTOP").deviceKeys();
    expect(errorOf(await call("POST", "/keys/upload", { device_keys: laptops }))).toEqual({
      status: 400,
      errcode: "M_BAD_JSON",
    });
  });

  it.each([
    ["device_keys null", { device_keys: null }],
    ["device_keys without keys", { device_keys: { user_id: "@a:b", device_id: "PHONE", algorithms: [] } }],
    ["a one-time key ID without an algorithm", { one_time_keys: { AAAAAQ: "key" } }],
    ["a one-time key ID with two colons", { one_time_keys: { "a:b:c": "key" } }],
    ["a one-time key that is a number", { one_time_keys: { "curve25519:AAAAAQ": 5 } }],
    ["fallback_keys that are a list", { fallback_keys: ["key"] }],
  ])("refuses %s: 400 M_BAD_JSON", async (_name, body) => {
    const { call } = await aliceOnPhone();
    expect(errorOf(await call("POST", "/keys/upload", body))).toEqual({ status: 400, errcode: "M_BAD_JSON" });
  });

  it("replaces device keys on re-upload (Synapse upserts them), and keeps the device keys' own signature only", async () => {
    const { call, device, token } = await aliceOnPhone();
    await call("POST", "/keys/upload", { device_keys: device.deviceKeys() });
    const rotated = new TestDevice(token.user_id, "PHONE");
    const withStranger = new TestDevice(token.user_id, "OTHER").signingKey.sign(
      rotated.deviceKeys(),
      token.user_id,
      "ed25519:OTHER",
    );
    expect((await call("POST", "/keys/upload", { device_keys: withStranger })).status).toBe(200);
    const { unsigned: _unsigned, ...stored } = (await queryDevice(call, token.user_id, "PHONE")) ?? {};
    expect(stored).toEqual(rotated.deviceKeys());
  });

  it("keeps the self-signing key's signature made in the same upload (docs/protocol.md §7), and drops one that does not verify", async () => {
    const { call, device, token } = await aliceOnPhone();
    const crossSigning = new TestCrossSigning(token.user_id);
    await call("POST", "/keys/device_signing/upload", crossSigning.uploadBody());
    const sskId = TestCrossSigning.keyId(crossSigning.selfSigning);

    const forged = new TestCrossSigning(token.user_id).selfSigning.sign(
      device.deviceKeys(),
      token.user_id,
      sskId,
    );
    await call("POST", "/keys/upload", { device_keys: forged });
    expect((await queryDevice(call, token.user_id, "PHONE"))?.signatures).toEqual(
      device.deviceKeys().signatures,
    );

    const crossSigned = crossSigning.selfSigning.sign(device.deviceKeys(), token.user_id, sskId);
    await call("POST", "/keys/upload", { device_keys: crossSigned });
    expect((await queryDevice(call, token.user_id, "PHONE"))?.signatures).toEqual(crossSigned.signatures);
  });

  it("refuses a one-time key ID re-used with other content (400 M_UNKNOWN, as Synapse); the same key again is fine", async () => {
    const { call, device } = await aliceOnPhone();
    await call("POST", "/keys/upload", {
      one_time_keys: { "signed_curve25519:AAAAAQ": device.signedKey("otk1") },
    });
    const resigned = { ...device.signedKey("otk1"), signatures: {} };
    expect(
      await call("POST", "/keys/upload", { one_time_keys: { "signed_curve25519:AAAAAQ": resigned } }),
    ).toEqual({
      status: 200,
      body: { one_time_key_counts: { signed_curve25519: 1 } },
    });
    const other = await call("POST", "/keys/upload", {
      one_time_keys: { "signed_curve25519:AAAAAQ": device.signedKey("otk2") },
    });
    expect(errorOf(other)).toEqual({ status: 400, errcode: "M_UNKNOWN" });
  });

  it("accepts the device keys vodozemac makes (an independent signer), and refuses them with one key changed", async () => {
    const { call, token } = await aliceOnPhone();
    await initAsync();
    const machine = await OlmMachine.initialize(new UserId(token.user_id), new DeviceId("PHONE"));
    try {
      const requests = await machine.outgoingRequests();
      const upload = requests.find((request) => request instanceof KeysUploadRequest);
      if (upload === undefined) throw new Error("vodozemac asked for no key upload");
      const body = JSON.parse(upload.body) as { device_keys: JsonObject & { keys: Record<string, string> } };
      const tampered = {
        ...body.device_keys,
        keys: { ...body.device_keys.keys, "curve25519:PHONE": "A".repeat(43) },
      };
      expect(errorOf(await call("POST", "/keys/upload", { device_keys: tampered }))).toEqual({
        status: 400,
        errcode: "M_INVALID_SIGNATURE",
      });
      const accepted = await call("POST", "/keys/upload", body);
      expect(accepted.status).toBe(200);
      expect(accepted.body.one_time_key_counts).toMatchObject({
        signed_curve25519: expect.any(Number) as number,
      });
    } finally {
      machine.free();
    }
  });
});

describe("POST /keys/query", () => {
  it("answers every device with keys for an empty list, the named ones otherwise; unknown ones are left out", async () => {
    const { server, call, device, token } = await aliceOnPhone();
    await call("POST", "/keys/upload", { device_keys: device.deviceKeys() });
    const laptop = await mintDeviceToken(server, "alice", "LAPTOP");
    const laptopDevice = new TestDevice(token.user_id, "LAPTOP");
    await api(server, laptop.access_token)("POST", "/keys/upload", {
      device_keys: laptopDevice.deviceKeys(),
    });
    await mintDeviceToken(server, "alice", "NOKEYS");

    const all = await call("POST", "/keys/query", { device_keys: { [token.user_id]: [] } });
    expect(Object.keys((all.body.device_keys as Record<string, object>)[token.user_id] ?? {}).sort()).toEqual(
      ["LAPTOP", "PHONE"],
    );
    const named = await call("POST", "/keys/query", {
      device_keys: { [token.user_id]: ["LAPTOP", "NOKEYS", "NOSUCH"] },
    });
    expect(Object.keys((named.body.device_keys as Record<string, object>)[token.user_id] ?? {})).toEqual([
      "LAPTOP",
    ]);
  });

  it("answers an unknown local user with no devices, a user on another server in failures, and skips invalid IDs", async () => {
    const { call, server } = await aliceOnPhone();
    const response = await call("POST", "/keys/query", {
      device_keys: { [`@nobody:${server.serverName}`]: [], "@carol:elsewhere.example": [], "not-a-user": [] },
    });
    expect(response).toEqual({
      status: 200,
      body: {
        device_keys: { [`@nobody:${server.serverName}`]: {} },
        failures: { "elsewhere.example": { status: 503, message: "The devserver does not federate" } },
        master_keys: {},
        self_signing_keys: {},
        user_signing_keys: {},
      },
    });
  });

  it.each([
    ["no device_keys", {}],
    ["device_keys that are a list", { device_keys: [] }],
    ["a user's devices that are not a list of strings", { device_keys: { "@a:b": [1] } }],
  ])("refuses %s: 400 M_BAD_JSON", async (_name, body) => {
    const { call } = await aliceOnPhone();
    expect(errorOf(await call("POST", "/keys/query", body))).toEqual({ status: 400, errcode: "M_BAD_JSON" });
  });
});

describe("POST /keys/claim", () => {
  it("hands out one-time keys oldest first, then the fallback key, which stays and is marked used", async () => {
    const { server, call, device, token } = await aliceOnPhone();
    await call("POST", "/keys/upload", {
      one_time_keys: {
        "signed_curve25519:AAAAAQ": device.signedKey("first"),
        "signed_curve25519:AAAAAg": device.signedKey("second"),
      },
      fallback_keys: { "signed_curve25519:AAAAAw": device.signedKey("fallback", true) },
    });
    const bob = api(server, (await mintDeviceToken(server, "bob", "BOBPHONE")).access_token);
    const claim = async () =>
      (
        await bob("POST", "/keys/claim", {
          one_time_keys: { [token.user_id]: { PHONE: "signed_curve25519" } },
        })
      ).body;

    expect(await claim()).toEqual({
      one_time_keys: {
        [token.user_id]: { PHONE: { "signed_curve25519:AAAAAQ": device.signedKey("first") } },
      },
      failures: {},
    });
    expect((await claim()).one_time_keys).toEqual({
      [token.user_id]: { PHONE: { "signed_curve25519:AAAAAg": device.signedKey("second") } },
    });
    expect((await call("GET", "/sync")).body.device_unused_fallback_key_types).toEqual(["signed_curve25519"]);
    for (let round = 0; round < 2; round += 1) {
      expect((await claim()).one_time_keys).toEqual({
        [token.user_id]: { PHONE: { "signed_curve25519:AAAAAw": device.signedKey("fallback", true) } },
      });
    }
    const sync = (await call("GET", "/sync")).body;
    expect(sync.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(sync.device_unused_fallback_key_types).toEqual([]);
  });

  it("answers nothing for a device without keys, and a failure for another server", async () => {
    const { call, token } = await aliceOnPhone();
    const response = await call("POST", "/keys/claim", {
      one_time_keys: {
        [token.user_id]: { PHONE: "signed_curve25519", NOSUCH: "signed_curve25519" },
        "@carol:elsewhere.example": { CAROL: "signed_curve25519" },
      },
    });
    expect(response.body).toEqual({
      one_time_keys: {},
      failures: { "elsewhere.example": { status: 503, message: "The devserver does not federate" } },
    });
  });

  it("refuses a malformed request: 400 M_BAD_JSON", async () => {
    const { call, token } = await aliceOnPhone();
    const response = await call("POST", "/keys/claim", { one_time_keys: { [token.user_id]: ["PHONE"] } });
    expect(errorOf(response)).toEqual({ status: 400, errcode: "M_BAD_JSON" });
  });
});
