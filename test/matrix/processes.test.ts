// The Matrix device across processes: a device killed (SIGKILL) at the moment the server receives its keys comes
// back with the keys the server has (the crypto store's snapshot was on disk before the request left); a second
// process opening a profile in use is refused, naming the holder; a write that fails halfway keeps the last good
// file. `MATRIX_KILL_RUNS` sets how many kills run (default 3; `npm run stress:kill` runs 50).
import { appendFile, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { Devserver } from "../../devserver/index";
import { CRYPTO_SNAPSHOT_FILE, fixedAccessToken, isMatrixError, Profile } from "../../src-main/matrix";
import { api, mintDeviceToken } from "../helpers/csapi";
import { useDeviceChild } from "../helpers/matrix-child";
import { testSignal, useMatrixDevices } from "../helpers/matrix-device";

const devices = useMatrixDevices();
const children = useDeviceChild("out/matrix-processes-test");
const signal = testSignal();

const KILL_RUNS = Number(process.env.MATRIX_KILL_RUNS ?? 3);
/** Where a stress run appends one JSON line per kill. */
const RESULTS_FILE = process.env.MATRIX_KILL_RESULTS;

const KILL_POINTS = [
  { name: "keys/upload", pathPattern: "/_matrix/client/v3/keys/upload$" },
  { name: "keys/device_signing/upload", pathPattern: "/_matrix/client/v3/keys/device_signing/upload$" },
] as const;

type DeviceKeys = { ed25519: string; curve25519: string } | undefined;

async function deviceKeysOnServer(server: Devserver, userId: string, deviceId: string): Promise<DeviceKeys> {
  const observer = await mintDeviceToken(server, "alice");
  const { body } = await api(server, observer.access_token)("POST", "/keys/query", {
    device_keys: { [userId]: [deviceId] },
  });
  const keys = (body.device_keys as Record<string, Record<string, { keys: Record<string, string> }>>)[
    userId
  ]?.[deviceId]?.keys;
  const ed25519 = keys?.[`ed25519:${deviceId}`];
  const curve25519 = keys?.[`curve25519:${deviceId}`];
  return ed25519 === undefined || curve25519 === undefined ? undefined : { ed25519, curve25519 };
}

describe("a device killed at the moment the server receives its keys", () => {
  const runs = Array.from({ length: KILL_RUNS }, (_, i) => ({ run: i + 1, point: KILL_POINTS[i % 2] }));
  it.each(runs)(
    "run $run: killed at $point.name, restarted with the keys the server has",
    async ({ run, point }) => {
      if (point === undefined) throw new TypeError("no kill point");
      const started = Date.now();
      const server = await devices.startDevserver();
      const token = await mintDeviceToken(server, "alice");
      const account = { homeserver: server.baseUrl, userId: token.user_id, deviceId: token.device_id };
      const dir = join(await devices.root(), "killed");

      const hold = server.hooks.holdRequests({ method: "POST", pathPattern: point.pathPattern });
      const child = children.run({ mode: "set-up", dir, account, accessToken: token.access_token });
      const finishedFirst = child.next("set-up").then((event) => {
        throw new Error(`the child finished without sending ${point.name}: ${JSON.stringify(event)}`);
      });
      await Promise.race([hold.arrived, finishedFirst]);
      // The request is held: what it publishes must already be in the snapshot on disk.
      const snapshotAtKill = await readFile(join(dir, CRYPTO_SNAPSHOT_FILE));
      expect(snapshotAtKill.length).toBeGreaterThan(0);
      child.process.kill("SIGKILL");
      expect((await child.exited).signal).toBe("SIGKILL");
      // The server now serves the held request (its client is gone): the keys may reach it, as after a real crash.
      hold.release();
      await vi.waitFor(
        () => {
          expect(
            server.hooks.clientApiLog().some((entry) => new RegExp(point.pathPattern).test(entry.path)),
          ).toBe(true);
        },
        { timeout: 3000, interval: 20 },
      );
      const keysAtKill = await deviceKeysOnServer(server, account.userId, account.deviceId);

      // Restarted (here; the dead child's lock is taken over), the device resumes its setup.
      const profile = await devices.openProfile("killed");
      const device = await devices.start({ profile, tokens: fixedAccessToken(token.access_token) });
      await device.setUpEncryption(signal);
      const own = await device.ownDeviceKeys();
      const onServer = await deviceKeysOnServer(server, account.userId, account.deviceId);
      expect(onServer).toEqual(own);
      if (keysAtKill !== undefined) expect(keysAtKill).toEqual(own);
      expect(await device.serverView(account.deviceId, signal)).toEqual({ verified: true, backup: true });

      if (RESULTS_FILE !== undefined) {
        const result = {
          run,
          point: point.name,
          keysReachedServer: keysAtKill !== undefined,
          ms: Date.now() - started,
        };
        await appendFile(RESULTS_FILE, `${JSON.stringify(result)}\n`);
      }
    },
  );
});

describe("one process at a time per profile", () => {
  it("refuses a second process, naming the holder, either way round", async () => {
    const profile = await devices.openProfile("shared");
    const refused = await children.run({ mode: "open", dir: profile.dir }).next("opened");
    expect(refused).toMatchObject({ event: "error", name: "MatrixError", code: "profile_in_use" });
    expect(refused.holder).toMatch(new RegExp(`^test \\(process ${process.pid} on `));

    await profile.close();
    const holder = children.run({ mode: "open", dir: profile.dir });
    const opened = await holder.next("opened");
    expect(opened.event).toBe("opened");
    const error: unknown = await Profile.open({ location: { dir: profile.dir }, app: "test" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMatrixError(error, "profile_in_use")).toBe(true);
    expect((error as { holder: string }).holder).toMatch(
      new RegExp(`^test-child \\(process ${String(opened.pid)} on `),
    );

    holder.process.stdin.end();
    expect((await holder.exited).code).toBe(0);
    const again = await devices.openProfile("shared");
    expect(again.dir).toBe(profile.dir);
  });
});

describe("a write that fails halfway", () => {
  it("keeps the last good file and leaves no temporary file", async () => {
    const root = await devices.root();
    const file = join(root, CRYPTO_SNAPSHOT_FILE);
    await writeFile(file, "last good");
    // A file size limit of a few KiB: the 200 KB write fails with EFBIG after its first blocks.
    const child = children.run({ mode: "write", file, bytes: 200_000 }, { shell: "ulimit -f 8" });
    const event = await child.next("written");
    expect(event).toMatchObject({ event: "error", code: "profile_write_failed", file });
    expect(await readFile(file, "utf8")).toBe("last good");
    expect(await readdir(root)).toEqual([CRYPTO_SNAPSHOT_FILE]);
  });
});
