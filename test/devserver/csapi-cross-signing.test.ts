// Cross-signing on the devserver as Synapse 1.160 with MAS answers it: `POST /keys/device_signing/upload` (first
// upload without user-interactive auth; a replacement refused with MAS's "approve the reset first" 401) and
// `POST /keys/signatures/upload` (every signature verified, failures per key), and who sees what in `/keys/query`.
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

interface User {
  readonly token: DeviceToken;
  readonly call: Api;
  readonly device: TestDevice;
  readonly crossSigning: TestCrossSigning;
}

async function startWithUsers(): Promise<{ server: Devserver; alice: User; bob: User }> {
  const server = await startServer();
  const user = async (name: string, deviceId: string): Promise<User> => {
    const token = await mintDeviceToken(server, name, deviceId);
    const call = api(server, token.access_token);
    const device = new TestDevice(token.user_id, deviceId);
    await call("POST", "/keys/upload", { device_keys: device.deviceKeys() });
    return { token, call, device, crossSigning: new TestCrossSigning(token.user_id) };
  };
  return { server, alice: await user("alice", "PHONE"), bob: await user("bob", "BOBPHONE") };
}

async function query(call: Api, userId: string): Promise<JsonObject> {
  return (await call("POST", "/keys/query", { device_keys: { [userId]: [] } })).body;
}

function signaturesOf(object: unknown): unknown {
  return (object as { signatures?: unknown } | undefined)?.signatures;
}

describe("POST /keys/device_signing/upload", () => {
  it("takes the first upload without user-interactive auth and publishes master and self-signing keys to all, the user-signing key to its owner only", async () => {
    const { alice, bob } = await startWithUsers();
    const body = alice.crossSigning.uploadBody();
    expect(await alice.call("POST", "/keys/device_signing/upload", body)).toEqual({ status: 200, body: {} });
    const userId = alice.token.user_id;
    expect(await query(alice.call, userId)).toMatchObject({
      master_keys: { [userId]: body.master_key },
      self_signing_keys: { [userId]: body.self_signing_key },
      user_signing_keys: { [userId]: body.user_signing_key },
    });
    const seenByBob = await query(bob.call, userId);
    expect(seenByBob).toMatchObject({
      master_keys: { [userId]: body.master_key },
      self_signing_keys: { [userId]: body.self_signing_key },
    });
    expect(seenByBob.user_signing_keys).toEqual({});
  });

  it("answers 200 {} to the same keys sent again", async () => {
    const { alice } = await startWithUsers();
    const body = alice.crossSigning.uploadBody();
    await alice.call("POST", "/keys/device_signing/upload", body);
    expect(await alice.call("POST", "/keys/device_signing/upload", body)).toEqual({ status: 200, body: {} });
  });

  it("refuses a replacement as Synapse with MAS does: 401, and the reset must be approved on the account page", async () => {
    const { server, alice } = await startWithUsers();
    const original = alice.crossSigning.uploadBody();
    await alice.call("POST", "/keys/device_signing/upload", original);
    const replacement = new TestCrossSigning(alice.token.user_id).uploadBody();
    const response = await alice.call("POST", "/keys/device_signing/upload", replacement);
    const url = `${server.publicBaseUrl}/account/?action=org.matrix.cross_signing_reset`;
    expect(response).toEqual({
      status: 401,
      body: {
        session: "dummy",
        flows: [{ stages: ["m.oauth"] }, { stages: ["org.matrix.cross_signing_reset"] }],
        params: { "m.oauth": { url }, "org.matrix.cross_signing_reset": { url } },
        msg: `To reset your end-to-end encryption cross-signing identity, you first need to approve it at ${url} and then try again.`,
      },
    });
    expect((await query(alice.call, alice.token.user_id)).master_keys).toEqual({
      [alice.token.user_id]: original.master_key,
    });
  });

  it("refuses self-signing and user-signing keys the master key did not sign: 400 M_INVALID_SIGNATURE, nothing stored", async () => {
    const { alice } = await startWithUsers();
    const body = {
      ...alice.crossSigning.uploadBody(),
      self_signing_key: alice.crossSigning.selfSigningKey(false),
    };
    expect(errorOf(await alice.call("POST", "/keys/device_signing/upload", body))).toEqual({
      status: 400,
      errcode: "M_INVALID_SIGNATURE",
    });
    expect((await query(alice.call, alice.token.user_id)).master_keys).toEqual({});
  });

  it.each([
    ["for another user", (key: JsonObject) => ({ ...key, user_id: "@bob:elsewhere" })],
    ["without its usage", (key: JsonObject) => ({ ...key, usage: ["self_signing"] })],
    ["with two keys", (key: JsonObject) => ({ ...key, keys: { "ed25519:a": "a", "ed25519:b": "b" } })],
    [
      "whose public key is not a curve point",
      (key: JsonObject) => ({ ...key, keys: { "ed25519:AAAA": "AAAA" } }),
    ],
  ])("refuses a master key %s: 400 M_INVALID_PARAM", async (_name, change) => {
    const { alice } = await startWithUsers();
    const body = { master_key: change(alice.crossSigning.masterKey()) };
    expect(errorOf(await alice.call("POST", "/keys/device_signing/upload", body))).toEqual({
      status: 400,
      errcode: "M_INVALID_PARAM",
    });
  });

  it("refuses a self-signing key with no master key anywhere: 400 M_MISSING_PARAM", async () => {
    const { alice } = await startWithUsers();
    const body = { self_signing_key: alice.crossSigning.selfSigningKey() };
    expect(errorOf(await alice.call("POST", "/keys/device_signing/upload", body))).toEqual({
      status: 400,
      errcode: "M_MISSING_PARAM",
    });
  });

  it("refuses a key that is not an object: 400 M_BAD_JSON", async () => {
    const { alice } = await startWithUsers();
    expect(errorOf(await alice.call("POST", "/keys/device_signing/upload", { master_key: "key" }))).toEqual({
      status: 400,
      errcode: "M_BAD_JSON",
    });
  });
});

describe("POST /keys/signatures/upload", () => {
  it("stores a device's signature by the self-signing key: /keys/query shows it, /sync reports the change", async () => {
    const { alice, bob } = await startWithUsers();
    const userId = alice.token.user_id;
    await alice.call("POST", "/keys/device_signing/upload", alice.crossSigning.uploadBody());
    const since = (await alice.call("GET", "/sync")).body.next_batch as string;
    const sskId = TestCrossSigning.keyId(alice.crossSigning.selfSigning);
    const signed = alice.crossSigning.selfSigning.sign(alice.device.deviceKeys(), userId, sskId);

    expect(await alice.call("POST", "/keys/signatures/upload", { [userId]: { PHONE: signed } })).toEqual({
      status: 200,
      body: { failures: {} },
    });
    const devices = (await query(bob.call, userId)).device_keys as Record<string, Record<string, unknown>>;
    expect(signaturesOf(devices[userId]?.PHONE)).toEqual(signed.signatures);
    expect((await alice.call("GET", `/sync?since=${since}`)).body.device_lists).toEqual({
      changed: [userId],
    });
  });

  it("stores the master key's signature by a device, which the owner sees on the master key", async () => {
    const { alice, bob } = await startWithUsers();
    const userId = alice.token.user_id;
    await alice.call("POST", "/keys/device_signing/upload", alice.crossSigning.uploadBody());
    const master = alice.crossSigning.masterKey();
    const signed = alice.device.signingKey.sign(master, userId, alice.device.keyId);
    const response = await alice.call("POST", "/keys/signatures/upload", {
      [userId]: { [alice.crossSigning.master.publicKey]: signed },
    });
    expect(response.body).toEqual({ failures: {} });
    const ownView = (await query(alice.call, userId)).master_keys as Record<string, unknown>;
    expect(signaturesOf(ownView[userId])).toEqual(signed.signatures);
    // Synapse shows a cross-signing key's added signatures only to the user who made them.
    const bobsView = (await query(bob.call, userId)).master_keys as Record<string, unknown>;
    expect(bobsView[userId]).toEqual(master);
  });

  it("reports failures per key and stores the rest: a wrong signature, no signature, an unknown device", async () => {
    const { server, alice } = await startWithUsers();
    const userId = alice.token.user_id;
    const laptopToken = await mintDeviceToken(server, "alice", "LAPTOP");
    const laptop = new TestDevice(userId, "LAPTOP");
    await api(server, laptopToken.access_token)("POST", "/keys/upload", { device_keys: laptop.deviceKeys() });
    await alice.call("POST", "/keys/device_signing/upload", alice.crossSigning.uploadBody());
    const sskId = TestCrossSigning.keyId(alice.crossSigning.selfSigning);
    const ssk = alice.crossSigning.selfSigning;

    const response = await alice.call("POST", "/keys/signatures/upload", {
      [userId]: {
        PHONE: ssk.sign(alice.device.deviceKeys(), userId, sskId),
        LAPTOP: new TestCrossSigning(userId).selfSigning.sign(laptop.deviceKeys(), userId, sskId),
        NOSUCH: ssk.sign(new TestDevice(userId, "NOSUCH").deviceKeys(), userId, sskId),
        UNSIGNED: { ...laptop.deviceKeys(), signatures: {} },
      },
    });
    expect(response).toEqual({
      status: 200,
      body: {
        failures: {
          [userId]: {
            LAPTOP: { status: 400, errcode: "M_INVALID_SIGNATURE", message: "Invalid signature" },
            NOSUCH: { status: 404, errcode: "M_NOT_FOUND", message: "Unknown device" },
            UNSIGNED: { status: 400, errcode: "M_INVALID_SIGNATURE", message: "Invalid signature" },
          },
        },
      },
    });
    const devices = (await query(alice.call, userId)).device_keys as Record<string, Record<string, unknown>>;
    expect(Object.keys(signaturesOf(devices[userId]?.PHONE) as object)).toEqual([userId]);
    expect(
      Object.keys((signaturesOf(devices[userId]?.PHONE) as Record<string, object>)[userId] ?? {}),
    ).toEqual([alice.device.keyId, sskId]);
    expect(signaturesOf(devices[userId]?.LAPTOP)).toEqual(laptop.deviceKeys().signatures);
  });

  it("refuses a signature over content that differs from the stored device keys: Key does not match", async () => {
    const { alice } = await startWithUsers();
    const userId = alice.token.user_id;
    await alice.call("POST", "/keys/device_signing/upload", alice.crossSigning.uploadBody());
    const sskId = TestCrossSigning.keyId(alice.crossSigning.selfSigning);
    const changed = { ...alice.device.deviceKeys(), algorithms: ["m.megolm.v1.aes-sha2"] };
    const response = await alice.call("POST", "/keys/signatures/upload", {
      [userId]: { PHONE: alice.crossSigning.selfSigning.sign(changed, userId, sskId) },
    });
    expect(response.body.failures).toEqual({
      [userId]: { PHONE: { status: 400, errcode: "M_UNKNOWN", message: "Key does not match" } },
    });
  });

  it("fails every key of a user with no self-signing key yet: 404 M_NOT_FOUND", async () => {
    const { alice } = await startWithUsers();
    const userId = alice.token.user_id;
    const response = await alice.call("POST", "/keys/signatures/upload", {
      [userId]: { PHONE: alice.device.deviceKeys() },
    });
    expect(response.body.failures).toEqual({
      [userId]: {
        PHONE: { status: 404, errcode: "M_NOT_FOUND", message: `No self_signing key found for ${userId}` },
      },
    });
  });

  it("signs another user's master key with the user-signing key: only the signer sees it, and /sync tells only the signer", async () => {
    const { alice, bob } = await startWithUsers();
    await alice.call("POST", "/keys/device_signing/upload", alice.crossSigning.uploadBody());
    await bob.call("POST", "/keys/device_signing/upload", bob.crossSigning.uploadBody());
    const aliceSince = (await alice.call("GET", "/sync")).body.next_batch as string;
    const bobSince = (await bob.call("GET", "/sync")).body.next_batch as string;
    const aliceId = alice.token.user_id;
    const bobId = bob.token.user_id;
    const bobsMaster = bob.crossSigning.masterKey();
    const signed = alice.crossSigning.userSigning.sign(
      bobsMaster,
      aliceId,
      TestCrossSigning.keyId(alice.crossSigning.userSigning),
    );

    const response = await alice.call("POST", "/keys/signatures/upload", {
      [bobId]: { [bob.crossSigning.master.publicKey]: signed, SOMEDEVICE: bob.device.deviceKeys() },
    });
    expect(response.body.failures).toEqual({
      [bobId]: { SOMEDEVICE: { status: 404, errcode: "M_NOT_FOUND", message: "Unknown device" } },
    });
    const seenByAlice = (await query(alice.call, bobId)).master_keys as Record<string, unknown>;
    expect(signaturesOf(seenByAlice[bobId])).toEqual(signed.signatures);
    const seenByBob = (await query(bob.call, bobId)).master_keys as Record<string, unknown>;
    expect(seenByBob[bobId]).toEqual(bobsMaster);
    expect((await alice.call("GET", `/sync?since=${aliceSince}`)).body.device_lists).toEqual({
      changed: [bobId],
    });
    expect((await bob.call("GET", `/sync?since=${bobSince}`)).body.device_lists).toBeUndefined();
  });

  it("fails another user's master key signed by a key that is not the user-signing key", async () => {
    const { alice, bob } = await startWithUsers();
    await alice.call("POST", "/keys/device_signing/upload", alice.crossSigning.uploadBody());
    await bob.call("POST", "/keys/device_signing/upload", bob.crossSigning.uploadBody());
    const aliceId = alice.token.user_id;
    const forged = new TestCrossSigning(aliceId).userSigning.sign(
      bob.crossSigning.masterKey(),
      aliceId,
      TestCrossSigning.keyId(alice.crossSigning.userSigning),
    );
    const response = await alice.call("POST", "/keys/signatures/upload", {
      [bob.token.user_id]: { [bob.crossSigning.master.publicKey]: forged },
    });
    expect(response.body.failures).toEqual({
      [bob.token.user_id]: {
        [bob.crossSigning.master.publicKey]: {
          status: 400,
          errcode: "M_INVALID_SIGNATURE",
          message: "Invalid signature",
        },
      },
    });
  });

  it("refuses a body whose entries are not objects: 400 M_INVALID_PARAM", async () => {
    const { alice } = await startWithUsers();
    const response = await alice.call("POST", "/keys/signatures/upload", {
      [alice.token.user_id]: { PHONE: 1 },
    });
    expect(errorOf(response)).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
  });
});
