// The durable crypto store: IndexedDB databases in memory (fake-indexeddb) copied to one encrypted snapshot per
// profile. A snapshot restores exactly what was written (schema, keys, structured-clone values), holds only its
// own profile's databases, is taken by itself shortly after a write, and is on disk before a request that
// publishes keys leaves, and leaves no connection of its own open; a damaged snapshot is a typed error naming the
// file. Two profiles live in one process, and a restarted one comes back with its identity.
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { isMatrixError } from "../../src-main/matrix";
import { DurableCryptoStore } from "../../src-main/matrix/crypto-store";
import { createMatrixFetch, fixedAccessToken, publishesCryptoState } from "../../src-main/matrix/http";
import { installIndexedDb, trackedConnections } from "../../src-main/matrix/indexeddb";
import { decodeSnapshot, type Snapshot } from "../../src-main/matrix/snapshot";
import { TEST_CRYPTO_STORE, testSignal, useMatrixDevices } from "../helpers/matrix-device";

const devices = useMatrixDevices();
const signal = testSignal();

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => {
      resolve(req.result);
    };
    req.onerror = () => {
      reject(req.error ?? new Error("request failed"));
    };
  });
}

async function openDb(name: string, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  const factory = installIndexedDb();
  const req = factory.open(name, 3);
  req.onupgradeneeded = () => upgrade?.(req.result);
  return request(req);
}

/** Writes the test's records in one read-write transaction and waits for it to commit. */
async function write(db: IDBDatabase, store: string, records: readonly [IDBValidKey | undefined, unknown][]) {
  const tx = db.transaction(store, "readwrite");
  for (const [key, value] of records) {
    if (key === undefined) tx.objectStore(store).put(value);
    else tx.objectStore(store).put(value, key);
  }
  await new Promise((resolve) => (tx.oncomplete = resolve));
}

async function readAll(db: IDBDatabase, store: string): Promise<[IDBValidKey[], unknown[]]> {
  const tx = db.transaction(store, "readonly");
  const objectStore = tx.objectStore(store);
  return Promise.all([request(objectStore.getAllKeys()), request(objectStore.getAll())]);
}

async function fileSnapshot(file: string, key: Uint8Array): Promise<Snapshot> {
  return decodeSnapshot(await readFile(file), key, file);
}

describe("a snapshot", () => {
  it("restores the schema and every record, under a new prefix, after the store was closed", async () => {
    const file = join(await devices.root(), "crypto-store.snapshot");
    const key = randomBytes(32);
    const store = await DurableCryptoStore.open({ file, storageKey: key, ...TEST_CRYPTO_STORE });
    const prefix = `${store.cryptoDatabasePrefix}::`;
    const db = await openDb(`${prefix}crypto`, (created) => {
      created.createObjectStore("plain");
      const inline = created.createObjectStore("inline", { keyPath: ["room", "id"] });
      inline.createIndex("by_room", "room", { unique: false });
      created.createObjectStore("counter", { autoIncrement: true });
    });
    const bytes = new Uint8Array([0, 1, 2, 255]);
    await write(db, "plain", [
      ["account", { pickle: bytes, nested: { list: [1, "two", null] } }],
      [["compound", 2], "value under an array key"],
      [bytes.buffer, "value under a binary key"],
    ]);
    await write(db, "inline", [[undefined, { room: "!r", id: "s1", data: new Map([["k", 1]]) }]]);
    await write(db, "counter", [
      [undefined, "first"],
      [undefined, "second"],
    ]);
    db.close();
    await store.close();

    const reopened = await DurableCryptoStore.open({ file, storageKey: key, ...TEST_CRYPTO_STORE });
    expect(reopened.cryptoDatabasePrefix).not.toBe(store.cryptoDatabasePrefix);
    const restored = await openDb(`${reopened.cryptoDatabasePrefix}::crypto`);
    expect(restored.version).toBe(3);
    expect([...restored.objectStoreNames].sort()).toEqual(["counter", "inline", "plain"]);
    // IndexedDB's key order: strings, then binary keys, then arrays.
    expect(await readAll(restored, "plain")).toEqual([
      ["account", bytes.buffer, ["compound", 2]],
      [
        { pickle: bytes, nested: { list: [1, "two", null] } },
        "value under a binary key",
        "value under an array key",
      ],
    ]);
    expect(await readAll(restored, "inline")).toEqual([
      [["!r", "s1"]],
      [{ room: "!r", id: "s1", data: new Map([["k", 1]]) }],
    ]);
    const tx = restored.transaction("inline", "readonly");
    expect(await request(tx.objectStore("inline").index("by_room").getAllKeys("!r"))).toEqual([["!r", "s1"]]);
    expect(await readAll(restored, "counter")).toEqual([
      [1, 2],
      ["first", "second"],
    ]);
    // The key generator goes on after the restored keys.
    await write(restored, "counter", [[undefined, "third"]]);
    expect((await readAll(restored, "counter"))[0]).toEqual([1, 2, 3]);
    restored.close();
    await reopened.close();
  });

  it("is taken by itself shortly after a write, and holds only its own databases", async () => {
    const root = await devices.root();
    const [keyA, keyB] = [randomBytes(32), randomBytes(32)];
    const a = await DurableCryptoStore.open({
      file: join(root, "a.snapshot"),
      storageKey: keyA,
      ...TEST_CRYPTO_STORE,
    });
    const b = await DurableCryptoStore.open({
      file: join(root, "b.snapshot"),
      storageKey: keyB,
      ...TEST_CRYPTO_STORE,
    });
    for (const [store, value] of [
      [a, "of a"],
      [b, "of b"],
    ] as const) {
      const db = await openDb(`${store.cryptoDatabasePrefix}::crypto`, (created) =>
        created.createObjectStore("s"),
      );
      await write(db, "s", [["k", value]]);
      db.close();
    }
    await vi.waitFor(
      async () => {
        const snapshot = await fileSnapshot(join(root, "a.snapshot"), keyA);
        expect(snapshot.databases).toEqual([
          {
            name: "crypto",
            version: 3,
            stores: [expect.objectContaining({ name: "s", records: [["k", "of a"]] })],
          },
        ]);
      },
      { timeout: 2000, interval: 20 },
    );
    expect(a.hasUnsavedWrites).toBe(false);
    await a.close();
    await b.close();
    const snapshotB = await fileSnapshot(join(root, "b.snapshot"), keyB);
    expect(snapshotB.databases.map((db) => db.stores[0]?.records)).toEqual([[["k", "of b"]]]);
  });

  it("keeps nothing of the connections its snapshots opened and closed, while it stays open", async () => {
    const store = await DurableCryptoStore.open({
      file: join(await devices.root(), "crypto-store.snapshot"),
      storageKey: randomBytes(32),
      ...TEST_CRYPTO_STORE,
    });
    const db = await openDb(`${store.cryptoDatabasePrefix}::crypto`, (created) =>
      created.createObjectStore("s"),
    );
    const before = trackedConnections();
    for (let i = 0; i < 10; i++) {
      await write(db, "s", [["k", i]]);
      await store.flush();
    }
    expect(trackedConnections()).toBe(before);
    db.close();
    await store.close();
  });

  it.each([
    [
      "one flipped byte",
      (bytes: Buffer) =>
        Buffer.concat([bytes.subarray(0, 40), Buffer.from([(bytes[40] ?? 0) ^ 1]), bytes.subarray(41)]),
      "authentication_failed",
    ],
    ["a truncated file", (bytes: Buffer) => bytes.subarray(0, bytes.length - 100), "authentication_failed"],
    ["a few bytes", (bytes: Buffer) => bytes.subarray(0, 20), "truncated"],
    [
      "another file",
      () => Buffer.from('{"formatVersion": 2, "padding": "...................."}'),
      "not_a_snapshot",
    ],
  ])("damaged (%s) is profile_corrupt naming the file", async (_name, damage, reason) => {
    const file = join(await devices.root(), "crypto-store.snapshot");
    const key = randomBytes(32);
    const store = await DurableCryptoStore.open({ file, storageKey: key, ...TEST_CRYPTO_STORE });
    const db = await openDb(`${store.cryptoDatabasePrefix}::crypto`, (created) =>
      created.createObjectStore("s"),
    );
    await write(db, "s", [["k", "x".repeat(500)]]);
    db.close();
    await store.close();
    await writeFile(file, damage(await readFile(file)));
    const error: unknown = await DurableCryptoStore.open({ file, storageKey: key }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMatrixError(error, "profile_corrupt")).toBe(true);
    expect(error).toMatchObject({ file, reason });
  });
});

describe("a request that publishes crypto state", () => {
  it.each([
    ["POST", "/_matrix/client/v3/keys/upload", true],
    ["POST", "/_matrix/client/v3/keys/device_signing/upload", true],
    ["POST", "/_matrix/client/v3/keys/signatures/upload", true],
    ["POST", "/_matrix/client/v3/room_keys/version", true],
    ["PUT", "/_matrix/client/v3/room_keys/version/3", true],
    ["GET", "/_matrix/client/v3/room_keys/version", false],
    ["POST", "/_matrix/client/v3/keys/query", false],
    ["GET", "/_matrix/client/v3/sync", false],
  ])("%s %s waits for the snapshot: %s", (method, path, waits) => {
    expect(publishesCryptoState(method, path)).toBe(waits);
  });

  it("leaves only once the snapshot is on disk", async () => {
    const server = await devices.startDevserver();
    let snapshotWritten!: () => void;
    const written = new Promise<void>((resolve) => (snapshotWritten = resolve));
    const fetch = createMatrixFetch({
      runtime: devices.runtime,
      baseUrl: server.baseUrl,
      tokens: fixedAccessToken("unknown"),
      beforePublish: () => written,
      onSignedOut: () => undefined,
      isStopped: () => false,
    });
    const upload = fetch(`${server.baseUrl}/_matrix/client/v3/keys/upload`, { method: "POST", body: "{}" });
    await fetch(`${server.baseUrl}/_matrix/client/v3/keys/query`, { method: "POST", body: "{}" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.hooks.clientApiLog().map((entry) => entry.path)).toEqual(["/_matrix/client/v3/keys/query"]);
    snapshotWritten();
    expect((await upload).status).toBe(401);
    expect(server.hooks.clientApiLog().map((entry) => entry.path)).toContain(
      "/_matrix/client/v3/keys/upload",
    );
  });
});

describe("two profiles in one process", () => {
  it("keep their own identities, and a restarted one comes back with its keys and trust", async () => {
    const server = await devices.startDevserver();
    const one = await devices.signIn(server, "alice", "one");
    await one.device.setUpEncryption(signal);
    const two = await devices.signIn(server, "alice", "two");
    await two.device.importSecretsBundle(await one.device.exportSecretsBundle(), signal);
    const keysOne = await one.device.ownDeviceKeys();
    const keysTwo = await two.device.ownDeviceKeys();
    expect(keysOne).not.toEqual(keysTwo);

    // Each snapshot holds its own profile's two databases and nothing else.
    await one.device.stop();
    const key = await one.profile.cryptoStoreKey();
    const snapshot = await fileSnapshot(one.profile.snapshotFile, key);
    expect(snapshot.databases.map((db) => db.name).sort()).toEqual([
      "matrix-sdk-crypto",
      "matrix-sdk-crypto-meta",
    ]);

    await one.profile.close();
    const reopened = await devices.openProfile("one");
    const restarted = await devices.start({ profile: reopened, tokens: fixedAccessToken(one.accessToken) });
    expect(await restarted.ownDeviceKeys()).toEqual(keysOne);
    expect(await restarted.hasLocalCrossSigningKeys()).toBe(true);
    expect(await restarted.serverView(one.account.deviceId, signal)).toEqual({
      verified: true,
      backup: true,
    });
    expect(await two.device.ownDeviceKeys()).toEqual(keysTwo);
    expect(await two.device.serverView(two.account.deviceId, signal)).toEqual({
      verified: true,
      backup: true,
    });
    expect(await restarted.exportSecretsBundle()).toEqual(await two.device.exportSecretsBundle());
  });
});
