// The account's devices as the app's Matrix device handles them: listing, "does this device exist?" (a 5xx is
// retried and then an error, never read as an answer), this device's display name, signing out here, and being
// signed out elsewhere (the profile then says so and keeps nothing of the device). Every request is in the
// transcript, without a token or a query.
import { access, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CRYPTO_SNAPSHOT_FILE,
  defaultDeviceDisplayName,
  isMatrixError,
  SECRETS_FILE,
  type Profile,
} from "../../src-main/matrix";
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

describe("signing out", () => {
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
