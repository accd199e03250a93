// The account's devices as the app's Matrix device handles them: listing, "does this device exist?" (a 5xx is
// retried and then an error, never read as an answer), this device's display name, signing out here, and being
// signed out elsewhere (the profile then says so and keeps nothing of the device), and signing out while the
// crypto is still taking in a sync response (its store is dropped only after that). Every request is in the
// transcript, without a token or a query.
import { access, readdir } from "node:fs/promises";
import { join } from "node:path";
import { logger as sdkRootLogger } from "matrix-js-sdk/lib/logger.js";
import { describe, expect, it, vi } from "vitest";
import {
  CRYPTO_SNAPSHOT_FILE,
  defaultDeviceDisplayName,
  fixedAccessToken,
  isMatrixError,
  SECRETS_FILE,
  type Profile,
} from "../../src-main/matrix";
import { api, mintDeviceToken, TestDevice } from "../helpers/csapi";
import { postHook, signInWithDeviceGrant, testSignal, useMatrixDevices } from "../helpers/matrix-device";

const devices = useMatrixDevices();
const signal = testSignal();

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

describe("the account's devices", () => {
  it("lists them, names this one, and tells an existing device ID from an unknown one", async () => {
    const server = await devices.startDevserver();
    const first = await devices.signIn(server, "alice", "first");
    const second = await devices.signIn(server, "alice", "second");

    await first.device.setDisplayName(defaultDeviceDisplayName("testhost"), signal);
    const listed = await second.device.listDevices(signal);
    expect(listed.map((device) => device.deviceId).sort()).toEqual(
      [first.account.deviceId, second.account.deviceId].sort(),
    );
    expect(listed.find((device) => device.deviceId === first.account.deviceId)?.displayName).toBe(
      "Matrix QR Login on testhost",
    );

    expect(await second.device.deviceExists(first.account.deviceId, signal)).toBe(true);
    expect(await second.device.deviceExists("NOSUCHDEVICE", signal)).toBe(false);
    // Element X's device IDs are unpadded base64 and may hold "/" and "+": one path segment all the same.
    expect(await second.device.deviceExists("abc/def+ghi", signal)).toBe(false);
    const paths = server.hooks.clientApiLog().map((entry) => entry.path);
    expect(paths).toContain("/_matrix/client/v3/devices/abc%2Fdef%2Bghi");
  });

  it("retries a 5xx, and after the retries reports it instead of reading it as an answer", async () => {
    const server = await devices.startDevserver();
    const { device, account } = await devices.signIn(server, "alice", "first");
    const path = `^/_matrix/client/v3/devices/${account.deviceId}$`;

    server.hooks.addFault({ method: "GET", pathPattern: path, count: 1, status: 503 });
    expect(await device.deviceExists(account.deviceId, signal)).toBe(true);

    server.hooks.addFault({
      method: "GET",
      pathPattern: "^/_matrix/client/v3/devices/GONE$",
      count: 3,
      status: 500,
    });
    const error = await rejection(device.deviceExists("GONE", signal));
    expect(isMatrixError(error, "server_error")).toBe(true);
    expect(server.hooks.pendingFaults()).toEqual([]);

    server.hooks.addFault({ method: "GET", pathPattern: path, count: 3, status: 429 });
    expect(
      isMatrixError(await rejection(device.deviceExists(account.deviceId, signal)), "rate_limited"),
    ).toBe(true);
  });

  it("points at the account page to sign out another device", async () => {
    const server = await devices.startDevserver();
    const { device } = await devices.signIn(server, "alice", "first");
    const url = new URL(await device.signOutOtherDeviceUrl("OTHER/DEVICE", signal));
    expect(`${url.origin}${url.pathname}`).toBe(`${server.issuer}account/`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      action: "org.matrix.session_end",
      device_id: "OTHER/DEVICE",
    });
  });
});

/**
 * Holds the named database of the process's (fake) IndexedDB with a read-write transaction over all of its
 * stores, kept alive until `release`: every other transaction on it waits. `ended` resolves when the hold is
 * over, released or cut (the connection forced shut).
 */
async function holdDatabase(name: string): Promise<{ release: () => void; ended: Promise<string> }> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => {
      resolve(request.result);
    };
    request.onerror = () => {
      reject(request.error ?? new Error(`cannot open ${name}`));
    };
  });
  const stores = [...db.objectStoreNames];
  const transaction = db.transaction(stores, "readonly");
  const ended = new Promise<string>((resolve) => {
    transaction.oncomplete = () => {
      resolve("released");
    };
    transaction.onabort = () => {
      resolve("cut");
    };
    db.onclose = () => {
      resolve("cut");
    };
  });
  let released = false;
  const store = transaction.objectStore(stores[0] ?? "");
  const keepAlive = (): void => {
    if (released) return;
    store.count().onsuccess = keepAlive;
  };
  keepAlive();
  return {
    release: () => {
      released = true;
      db.close();
    },
    ended,
  };
}

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

describe("signing out", () => {
  it("here, while the crypto is still taking in a sync response: the store is dropped only after it", async () => {
    const server = await devices.startDevserver();
    const before = new Set((await indexedDB.databases()).map((db) => db.name));
    // No snapshot by itself during the test (only before a publishing request): a snapshot waits for the crypto
    // like anything else that reads the store, and would make a sign-out that does not wait look as if it did.
    const token = await mintDeviceToken(server, "alice");
    const account = { homeserver: server.baseUrl, userId: token.user_id, deviceId: token.device_id };
    const profile = await devices.openProfile("first");
    await profile.setAccount(account, { accessToken: token.access_token });
    const device = await devices.start({
      profile,
      tokens: fixedAccessToken(token.access_token),
      cryptoStore: { debounceMs: 60_000, maxDelayMs: 60_000 },
    });
    const userId = account.userId;
    // Its keys are on the server first: their upload takes a snapshot, and would be one more thing in the way.
    const uploaded = (): boolean =>
      devices.transcript.some((entry) => entry.kind === "http" && entry.path.endsWith("/keys/upload"));
    while (!uploaded()) await delay(10);
    // matrix-js-sdk reports a sync response its crypto could not take in on its root logger, and goes on.
    const sdkErrors: string[] = [];
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- where matrix-js-sdk/lib/sync.js logs it; no client logger has it
    const spy = vi.spyOn(sdkRootLogger, "error").mockImplementation((...args: unknown[]) => {
      sdkErrors.push(args.map(String).join(" "));
    });
    let restoreTransaction = (): void => undefined;
    try {
      // Another device of alice's publishing keys puts alice in the next sync's device_lists.changed, which the
      // crypto writes to its store. The first change wakes the sync under way; the next request is held.
      const hold = server.hooks.holdRequests({ method: "GET", pathPattern: "/sync$" });
      for (const round of [1, 2]) {
        const other = await mintDeviceToken(server, "alice");
        const keys = new TestDevice(userId, other.device_id).deviceKeys();
        expect(
          (await api(server, other.access_token)("POST", "/keys/upload", { device_keys: keys })).status,
        ).toBe(200);
        if (round === 1) await hold.arrived;
      }
      // This device's crypto database (another test's device may still be closing).
      const names = (await indexedDB.databases()).map((db) => db.name ?? "");
      const cryptoDb = names.filter((name) => !before.has(name) && name.endsWith("::matrix-sdk-crypto"));
      expect(cryptoDb).toHaveLength(1);
      const held = await holdDatabase(cryptoDb[0] ?? "");

      // The held sync goes on; the crypto starts taking it in and waits for its store.
      const crypto = device.sdkClient.getCrypto() as unknown as {
        processSyncChanges: (c: unknown) => Promise<unknown>;
      };
      const guarded = crypto.processSyncChanges;
      const order: string[] = [];
      const takingIn = new Promise<void>((resolve) => {
        crypto.processSyncChanges = (changes) => {
          resolve();
          const call = guarded.call(crypto, changes);
          call.then(
            () => order.push("the crypto took the sync in"),
            () => order.push("the crypto failed"),
          );
          return call;
        };
      });
      // The crypto's write to its store, queued behind the hold.
      const prototype = IDBDatabase.prototype as { transaction: IDBDatabase["transaction"] };
      const transaction = prototype.transaction;
      restoreTransaction = () => {
        prototype.transaction = transaction;
      };
      const writing = new Promise<void>((resolve) => {
        prototype.transaction = function (
          this: IDBDatabase,
          ...args: Parameters<IDBDatabase["transaction"]>
        ) {
          if (this.name === cryptoDb[0] && args[1] === "readwrite") resolve();
          return transaction.apply(this, args);
        } as IDBDatabase["transaction"];
      });
      hold.release();
      await takingIn;
      await writing;
      restoreTransaction();

      // stopClient() says nothing; the client's flag is what tells that the sign-out got that far.
      const stopped = (async () => {
        while (device.sdkClient.clientRunning) await delay(10);
      })();
      const signingOut = device.signOut(signal).then(() => order.push("signed out"));
      // Let the store go once the sign-out has finished (one that does not wait for the crypto does), or has
      // stopped the client and waited a while (one that waits).
      await Promise.race([signingOut, held.ended, stopped.then(() => delay(200))]);
      held.release();
      await signingOut;
      // A sign-out that did not wait left the crypto's call failing (and matrix-js-sdk logging it), or hanging.
      expect(order).toEqual(["the crypto took the sync in", "signed out"]);
      expect(sdkErrors).toEqual([]);
      expect(await held.ended).toBe("released");
      expect(device.state).toBe("stopped");
      expect(profile.signedOut).toMatchObject({ where: "here", deviceId: account.deviceId });
      expect((await indexedDB.databases()).map((db) => db.name)).not.toContain(cryptoDb[0]);
    } finally {
      restoreTransaction();
      spy.mockRestore();
    }
  });

  it("here: the device is gone on the server and the profile forgets it", async () => {
    const server = await devices.startDevserver();
    const first = await devices.signIn(server, "alice", "first");
    const second = await devices.signIn(server, "alice", "second");
    await first.device.setUpEncryption(signal);

    await first.device.signOut(signal);
    expect(await second.device.deviceExists(first.account.deviceId, signal)).toBe(false);
    expect(first.device.state).toBe("stopped");
    expect(first.profile.account).toBeUndefined();
    expect(first.profile.signedOut).toMatchObject({ where: "here", deviceId: first.account.deviceId });
    expect((await readdir(first.profile.dir)).sort()).toEqual(["lock", "profile.json"]);
  });

  it.each([
    ["a token that cannot be refreshed", false],
    ["a refresh token the server refuses too", true],
  ])("elsewhere, with %s: the profile reports signed_out and keeps nothing stale", async (_name, refresh) => {
    const server = await devices.startDevserver();
    let profile: Profile;
    let deviceId: string;
    let device;
    if (refresh) {
      const grant = await signInWithDeviceGrant(server, "alice");
      profile = await devices.openProfile("first");
      deviceId = grant.account.deviceId;
      await profile.setAccount(grant.account, {
        accessToken: grant.tokens.access_token,
        ...(grant.tokens.refresh_token === undefined ? {} : { refreshToken: grant.tokens.refresh_token }),
      });
      device = await devices.start({ profile, tokens: grant.source });
    } else {
      const signedIn = await devices.signIn(server, "alice", "first");
      ({ profile, device } = signedIn);
      deviceId = signedIn.account.deviceId;
    }
    await device.setUpEncryption(signal);
    expect(await exists(join(profile.dir, CRYPTO_SNAPSHOT_FILE))).toBe(true);
    const signedOutCalls: string[] = [];
    device.onSignedOut(() => signedOutCalls.push("signed out"));

    expect(
      (await postHook(server, "/_devserver/sign-out", { user: "alice", device_id: deviceId })).status,
    ).toBe(200);
    const error = await rejection(device.listDevices(signal));
    expect(isMatrixError(error, "signed_out")).toBe(true);
    await device.signedOut();

    expect(device.state).toBe("signed_out");
    expect(signedOutCalls).toEqual(["signed out"]);
    expect(profile.account).toBeUndefined();
    expect(profile.tokens).toBeUndefined();
    expect(profile.signedOut).toMatchObject({ where: "elsewhere", deviceId });
    expect(await exists(join(profile.dir, CRYPTO_SNAPSHOT_FILE))).toBe(false);
    expect(await exists(join(profile.dir, SECRETS_FILE))).toBe(false);
    expect(isMatrixError(await rejection(device.hasLocalCrossSigningKeys()), "signed_out")).toBe(true);

    // Reopened, the profile still says so.
    await profile.close();
    const reopened = await devices.openProfile("first");
    expect(reopened.signedOut).toMatchObject({ where: "elsewhere", deviceId });
    expect(reopened.account).toBeUndefined();
  });

  it("elsewhere before the device starts: starting it is signed_out", async () => {
    const server = await devices.startDevserver();
    const first = await devices.signIn(server, "alice", "first");
    await first.device.stop();
    await postHook(server, "/_devserver/sign-out", { user: "alice", device_id: first.account.deviceId });
    const error = await rejection(
      devices.start({
        profile: first.profile,
        tokens: { accessToken: () => Promise.resolve(first.accessToken) },
      }),
    );
    expect(isMatrixError(error, "signed_out")).toBe(true);
    expect(first.profile.signedOut).toMatchObject({ where: "elsewhere" });
  });
});

describe("the transcript", () => {
  it("has one matrix entry per request, with host and path only", async () => {
    const server = await devices.startDevserver();
    const { device, accessToken } = await devices.signIn(server, "alice", "first");
    await device.setUpEncryption(signal);
    const entries = devices.transcript;
    expect(entries.length).toBeGreaterThan(10);
    const serverRequests = server.hooks.clientApiLog().length;
    expect(entries.filter((entry) => entry.kind === "http")).toHaveLength(serverRequests);
    for (const entry of entries) {
      expect(entry).toMatchObject({ kind: "http", layer: "matrix", host: new URL(server.baseUrl).host });
    }
    const text = JSON.stringify(entries);
    expect(text).not.toContain(accessToken);
    expect(text).not.toContain("?");
    expect(text).toContain("/_matrix/client/v3/keys/device_signing/upload");
  });
});
