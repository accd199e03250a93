// `/sync` and send-to-device on the devserver: what an initial and an incremental sync carry (to-device messages,
// device list changes, key counts, account data), how `since` acknowledges to-device messages, transaction IDs,
// and the long poll that waits for something new and wakes when it arrives.
import { describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import {
  api,
  CSAPI_DEVSERVER,
  errorOf,
  mintDeviceToken,
  TestDevice,
  type Api,
  type DeviceToken,
} from "../helpers/csapi";
import { useDevservers } from "../helpers/devservers";

const startServer = useDevservers(CSAPI_DEVSERVER);

interface Device {
  readonly token: DeviceToken;
  readonly call: Api;
}

async function start(): Promise<{
  server: Devserver;
  device: (user: string, id: string) => Promise<Device>;
}> {
  const server = await startServer();
  return {
    server,
    device: async (user, id) => {
      const token = await mintDeviceToken(server, user, id);
      return { token, call: api(server, token.access_token) };
    },
  };
}

async function nextBatch(device: Device): Promise<string> {
  return (await device.call("GET", "/sync")).body.next_batch as string;
}

describe("GET /sync", () => {
  it("an initial sync carries next_batch, the key counts and all global account data, and no device list changes", async () => {
    const { device } = await start();
    const phone = await device("alice", "PHONE");
    await phone.call("PUT", `/user/${encodeURIComponent(phone.token.user_id)}/account_data/m.test`, { a: 1 });
    await phone.call("POST", "/keys/upload", {
      fallback_keys: {
        "signed_curve25519:AAAAAQ": new TestDevice(phone.token.user_id, "PHONE").signedKey("f", true),
      },
    });
    const sync = await phone.call("GET", "/sync");
    expect(sync.body.next_batch).toMatch(/^s\d+$/);
    expect(sync).toEqual({
      status: 200,
      body: {
        next_batch: sync.body.next_batch,
        account_data: { events: [{ type: "m.test", content: { a: 1 } }] },
        device_one_time_keys_count: { signed_curve25519: 0 },
        "org.matrix.msc2732.device_unused_fallback_key_types": ["signed_curve25519"],
        device_unused_fallback_key_types: ["signed_curve25519"],
      },
    });
  });

  it("an incremental sync carries only what changed since", async () => {
    const { device } = await start();
    const phone = await device("alice", "PHONE");
    const path = `/user/${encodeURIComponent(phone.token.user_id)}/account_data`;
    await phone.call("PUT", `${path}/m.old`, { old: true });
    const since = await nextBatch(phone);
    await phone.call("PUT", `${path}/m.new`, { new: true });
    const sync = await phone.call("GET", `/sync?since=${since}`);
    expect(sync.body.account_data).toEqual({ events: [{ type: "m.new", content: { new: true } }] });
    expect(sync.body.next_batch).not.toBe(since);
    const quiet = await phone.call("GET", `/sync?since=${sync.body.next_batch as string}`);
    expect(quiet.body).toEqual({
      next_batch: sync.body.next_batch,
      device_one_time_keys_count: { signed_curve25519: 0 },
      "org.matrix.msc2732.device_unused_fallback_key_types": [],
      device_unused_fallback_key_types: [],
    });
  });

  it("reports the user's device list as changed when a device is added, uploads keys or is removed", async () => {
    const { server, device } = await start();
    const phone = await device("alice", "PHONE");
    const userId = phone.token.user_id;
    const changedSince = async (since: string) =>
      (await phone.call("GET", `/sync?since=${since}`)).body.device_lists;

    let since = await nextBatch(phone);
    const laptop = await device("alice", "LAPTOP");
    expect(await changedSince(since)).toEqual({ changed: [userId] });

    since = await nextBatch(phone);
    await laptop.call("POST", "/keys/upload", { device_keys: new TestDevice(userId, "LAPTOP").deviceKeys() });
    expect(await changedSince(since)).toEqual({ changed: [userId] });

    since = await nextBatch(phone);
    await device("bob", "BOBPHONE");
    expect(await changedSince(since)).toBeUndefined();

    since = await nextBatch(phone);
    server.accounts.removeDevice(userId, "LAPTOP");
    expect(await changedSince(since)).toEqual({ changed: [userId] });
  });

  it("refuses a since token that is not one of its own, and a timeout that is not a number: 400 M_INVALID_PARAM", async () => {
    const { device } = await start();
    const phone = await device("alice", "PHONE");
    expect(errorOf(await phone.call("GET", "/sync?since=s72594_4483_1934"))).toEqual({
      status: 400,
      errcode: "M_INVALID_PARAM",
    });
    expect(errorOf(await phone.call("GET", "/sync?timeout=soon"))).toEqual({
      status: 400,
      errcode: "M_INVALID_PARAM",
    });
  });
});

describe("the long poll", () => {
  it("waits when there is nothing new, and answers as soon as a to-device message arrives", async () => {
    const { device } = await start();
    const phone = await device("alice", "PHONE");
    const bob = await device("bob", "BOBPHONE");
    const since = await nextBatch(phone);
    const waiting = phone.call("GET", `/sync?since=${since}&timeout=20000`);
    // Give the sync a moment to start waiting, so that the message wakes it (were it late, it would find the
    // message at once: the test cannot fail for that, it would only not test the wake-up). A sync that is never
    // woken would hold on for 20 s, past this test's timeout.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await bob.call("PUT", "/sendToDevice/m.test/txn1", {
      messages: { [phone.token.user_id]: { PHONE: { hello: "alice" } } },
    });
    const sync = await waiting;
    expect(sync.body.to_device).toEqual({
      events: [{ type: "m.test", sender: bob.token.user_id, content: { hello: "alice" } }],
    });
  });

  it("answers with nothing new once the timeout passes", async () => {
    const { device } = await start();
    const phone = await device("alice", "PHONE");
    const since = await nextBatch(phone);
    const sync = await phone.call("GET", `/sync?since=${since}&timeout=50`);
    expect(sync.status).toBe(200);
    expect(sync.body.next_batch).toBe(since);
    expect(sync.body.to_device).toBeUndefined();
  });

  it("keeps messages for a client that hung up on a long poll", async () => {
    const { server, device } = await start();
    const phone = await device("alice", "PHONE");
    const bob = await device("bob", "BOBPHONE");
    const since = await nextBatch(phone);
    const hangUp = new AbortController();
    const abandoned = fetch(`${server.baseUrl}/_matrix/client/v3/sync?since=${since}&timeout=20000`, {
      headers: { authorization: `Bearer ${phone.token.access_token}` },
      signal: hangUp.signal,
    });
    hangUp.abort();
    await expect(abandoned).rejects.toThrow();
    await bob.call("PUT", "/sendToDevice/m.test/txn1", {
      messages: { [phone.token.user_id]: { PHONE: { kept: true } } },
    });
    const sync = await phone.call("GET", `/sync?since=${since}`);
    expect(sync.body.to_device).toEqual({
      events: [{ type: "m.test", sender: bob.token.user_id, content: { kept: true } }],
    });
  });
});

describe("PUT /sendToDevice/{eventType}/{txnId}", () => {
  it("delivers to the named device, or every device with *, and to nobody else", async () => {
    const { device } = await start();
    const phone = await device("alice", "PHONE");
    const laptop = await device("alice", "LAPTOP");
    const bob = await device("bob", "BOBPHONE");
    const aliceId = phone.token.user_id;
    await bob.call("PUT", "/sendToDevice/m.one/t1", { messages: { [aliceId]: { PHONE: { n: 1 } } } });
    await bob.call("PUT", "/sendToDevice/m.all/t2", { messages: { [aliceId]: { "*": { n: 2 } } } });
    const events = async (target: Device) => (await target.call("GET", "/sync")).body.to_device;
    expect(await events(phone)).toEqual({
      events: [
        { type: "m.one", sender: bob.token.user_id, content: { n: 1 } },
        { type: "m.all", sender: bob.token.user_id, content: { n: 2 } },
      ],
    });
    expect(await events(laptop)).toEqual({
      events: [{ type: "m.all", sender: bob.token.user_id, content: { n: 2 } }],
    });
    expect(await events(bob)).toBeUndefined();
  });

  it("keeps a message until a sync with a later since acknowledges it", async () => {
    const { device } = await start();
    const phone = await device("alice", "PHONE");
    const bob = await device("bob", "BOBPHONE");
    const since = await nextBatch(phone);
    await bob.call("PUT", "/sendToDevice/m.test/t1", { messages: { [phone.token.user_id]: { PHONE: {} } } });
    const first = await phone.call("GET", `/sync?since=${since}`);
    // The client did not get that answer: it asks again with the same since, and gets the message again.
    const retried = await phone.call("GET", `/sync?since=${since}`);
    expect(retried.body.to_device).toEqual(first.body.to_device);
    expect(first.body.to_device).toBeDefined();
    const acknowledged = await phone.call("GET", `/sync?since=${first.body.next_batch as string}`);
    expect(acknowledged.body.to_device).toBeUndefined();
  });

  it("sends a transaction once: the same txnId from the same device is answered without sending again", async () => {
    const { device } = await start();
    const phone = await device("alice", "PHONE");
    const bob = await device("bob", "BOBPHONE");
    const otherBobDevice = await device("bob", "BOBLAPTOP");
    const body = { messages: { [phone.token.user_id]: { PHONE: { n: 1 } } } };
    expect(await bob.call("PUT", "/sendToDevice/m.test/same", body)).toEqual({ status: 200, body: {} });
    expect(await bob.call("PUT", "/sendToDevice/m.test/same", body)).toEqual({ status: 200, body: {} });
    await otherBobDevice.call("PUT", "/sendToDevice/m.test/same", body);
    const events = (await phone.call("GET", "/sync")).body.to_device as { events: unknown[] };
    expect(events.events).toHaveLength(2);
  });

  it("drops messages for unknown users and devices silently, as Synapse", async () => {
    const { device, server } = await start();
    const bob = await device("bob", "BOBPHONE");
    const response = await bob.call("PUT", "/sendToDevice/m.test/t1", {
      messages: { [`@nobody:${server.serverName}`]: { X: {} }, [bob.token.user_id]: { NOSUCH: {} } },
    });
    expect(response).toEqual({ status: 200, body: {} });
  });

  it("refuses a body without messages (400 M_MISSING_PARAM) or with malformed ones (400 M_BAD_JSON)", async () => {
    const { device } = await start();
    const bob = await device("bob", "BOBPHONE");
    expect(errorOf(await bob.call("PUT", "/sendToDevice/m.test/t1", {}))).toEqual({
      status: 400,
      errcode: "M_MISSING_PARAM",
    });
    expect(
      errorOf(await bob.call("PUT", "/sendToDevice/m.test/t2", { messages: { "@a:b": { X: "text" } } })),
    ).toEqual({ status: 400, errcode: "M_BAD_JSON" });
    // A refused transaction was not done: the same ID with a good body sends.
    const phone = await device("alice", "PHONE");
    await bob.call("PUT", "/sendToDevice/m.test/t1", { messages: { [phone.token.user_id]: { PHONE: {} } } });
    expect((await phone.call("GET", "/sync")).body.to_device).toBeDefined();
  });
});
