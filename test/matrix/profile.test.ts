// Profiles on disk: where they live, what a profile directory holds and what protects each file, format versions
// (an older profile migrated, a newer one refused), damaged files as typed errors naming the file, and the lock
// (a second opener refused naming the holder; a dead holder's lock taken over).
import { spawnSync } from "node:child_process";
import { copyFile, readFile, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  dataRoot,
  isMatrixError,
  LOCK_FILE,
  Profile,
  PROFILE_FILE,
  resolveProfileDir,
  SECRETS_FILE,
} from "../../src-main/matrix";
import { useMatrixDevices } from "../helpers/matrix-device";

const devices = useMatrixDevices();

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

async function profileDir(name: string): Promise<string> {
  return join(await devices.root(), name);
}

function open(dir: string): Promise<Profile> {
  return Profile.open({ location: { dir }, app: "test" });
}

describe("where profiles live", () => {
  it("under $MATRIX_QR_LOGIN_HOME, else the platform's per-user configuration folder", () => {
    const home = "/home/u";
    expect(dataRoot({ env: { MATRIX_QR_LOGIN_HOME: "/data/mql" }, platform: "linux", home })).toBe(
      "/data/mql",
    );
    expect(dataRoot({ env: {}, platform: "linux", home })).toBe("/home/u/.config/matrix-qr-login");
    expect(dataRoot({ env: {}, platform: "darwin", home })).toBe(
      "/home/u/Library/Application Support/matrix-qr-login",
    );
    expect(dataRoot({ env: { APPDATA: "/roaming" }, platform: "win32", home })).toBe(
      join("/roaming", "matrix-qr-login"),
    );
    const environment = { env: { MATRIX_QR_LOGIN_HOME: "/data/mql" } };
    expect(resolveProfileDir({ name: "work" }, environment)).toBe("/data/mql/profiles/work");
    expect(resolveProfileDir({ dir: "relative/dir" }, environment)).toBe(resolve("relative/dir"));
    for (const bad of ["", "..", ".hidden", "a/b", "a\\b", "x".repeat(65)]) {
      expect(() => resolveProfileDir({ name: bad }, environment), bad).toThrow(TypeError);
    }
  });
});

describe("a profile directory", () => {
  it("holds profile.json, secrets.json and the lock, private to the user, and warns about file-kept secrets", async () => {
    const dir = await profileDir("fresh");
    const profile = await open(dir);
    expect(await modeOf(dir)).toBe(0o700);
    expect(JSON.parse(await readFile(join(dir, PROFILE_FILE), "utf8"))).toEqual({
      formatVersion: 2,
      settings: { defaultVersion: "v2024", qrErrorCorrection: "M", theme: "system" },
    });
    expect(await modeOf(join(dir, PROFILE_FILE))).toBe(0o600);
    expect(await modeOf(join(dir, LOCK_FILE))).toBe(0o600);

    const key = await profile.cryptoStoreKey();
    expect(key).toHaveLength(32);
    await profile.saveTokens({ accessToken: "mat_secret_access", refreshToken: "mar_secret_refresh" });
    expect(await modeOf(join(dir, SECRETS_FILE))).toBe(0o600);
    expect(profile.warnings).toEqual([
      `warning: tokens and the crypto-store key are kept in ${join(dir, SECRETS_FILE)}, protected only by file ` +
        "permissions (mode 0600), not by the system keychain",
    ]);
    // Secrets never reach profile.json.
    expect(await readFile(join(dir, PROFILE_FILE), "utf8")).not.toContain("secret");

    await profile.updateSettings({ theme: "dark", homeserver: "https://matrix.example.org" });
    await profile.setAccount({ homeserver: "https://hs.example", userId: "@a:example", deviceId: "DEV" });
    await profile.close();
    const reopened = await open(dir);
    expect(reopened.settings).toEqual({
      defaultVersion: "v2024",
      qrErrorCorrection: "M",
      theme: "dark",
      homeserver: "https://matrix.example.org",
    });
    expect(reopened.account).toEqual({
      homeserver: "https://hs.example",
      userId: "@a:example",
      deviceId: "DEV",
    });
    expect(reopened.tokens).toEqual({ accessToken: "mat_secret_access", refreshToken: "mar_secret_refresh" });
    expect(await reopened.cryptoStoreKey()).toEqual(key);
    // One device per profile: another account needs a sign-out first.
    await expect(
      reopened.setAccount({ homeserver: "https://hs.example", userId: "@a:example", deviceId: "OTHER" }),
    ).rejects.toThrow(TypeError);
    await reopened.close();
  });

  it("migrates an older format (a fixture of format 1) and writes it back in the current one", async () => {
    const dir = await profileDir("old");
    await open(dir).then((profile) => profile.close());
    await copyFile(resolve(import.meta.dirname, "../fixtures/profile-v1.json"), join(dir, PROFILE_FILE));

    const profile = await open(dir);
    const expected = {
      formatVersion: 2,
      homeserver: "https://matrix.example.org",
      userId: "@alice:example.org",
      deviceId: "ABCDEFGHIJ",
      oauthClient: { issuer: "https://auth.example.org/", clientId: "01J0CLIENT" },
      settings: { defaultVersion: "v2025", qrErrorCorrection: "Q", theme: "system" },
    };
    expect(profile.profileData).toEqual(expected);
    expect(JSON.parse(await readFile(join(dir, PROFILE_FILE), "utf8"))).toEqual(expected);
    await profile.close();
  });

  it("refuses a newer format, naming the file, and leaves it untouched", async () => {
    const dir = await profileDir("new");
    await open(dir).then((profile) => profile.close());
    const newer = JSON.stringify({ formatVersion: 3, somethingNew: true });
    await writeFile(join(dir, PROFILE_FILE), newer);

    const error = await rejection(open(dir));
    expect(isMatrixError(error, "profile_too_new")).toBe(true);
    expect(error).toMatchObject({ file: join(dir, PROFILE_FILE), reason: "format_3" });
    expect(await readFile(join(dir, PROFILE_FILE), "utf8")).toBe(newer);
    // The failed open released its lock.
    await writeFile(join(dir, PROFILE_FILE), JSON.stringify({ formatVersion: 2, settings: {} }));
    expect(isMatrixError(await rejection(open(dir)), "profile_corrupt")).toBe(true);
  });

  it.each([
    [PROFILE_FILE, '{"formatVersion": 2, "settings": {"defaultVer'],
    [PROFILE_FILE, "[]"],
    [SECRETS_FILE, '{"cryptoStoreKey": "short"}'],
    [SECRETS_FILE, '{"cryptoStoreKey": "AAAA'],
  ])("reports a damaged %s as profile_corrupt naming it (%s)", async (name, content) => {
    const dir = await profileDir("damaged");
    const profile = await open(dir);
    await profile.cryptoStoreKey();
    await profile.close();
    await writeFile(join(dir, name), content);
    const error = await rejection(open(dir));
    expect(isMatrixError(error, "profile_corrupt")).toBe(true);
    expect((error as { file: string }).file).toBe(join(dir, name));
    // The message never repeats the file's content (a secrets file holds keys).
    expect((error as Error).message).not.toContain("AAAA");
  });
});

describe("the lock", () => {
  it("refuses a second open in this process, naming the holder; a closed profile opens again", async () => {
    const dir = await profileDir("locked");
    const profile = await open(dir);
    const error = await rejection(Profile.open({ location: { dir }, app: "cli" }));
    expect(isMatrixError(error, "profile_in_use")).toBe(true);
    expect((error as { holder: string }).holder).toMatch(
      new RegExp(`^test \\(process ${process.pid} on ${hostname()}, since \\d{4}-`),
    );
    await profile.close();
    await (await open(dir)).close();
  });

  it("takes over the lock of a process that died, and never one taken on another machine", async () => {
    const dir = await profileDir("stale");
    await open(dir).then((profile) => profile.close());
    // A process that has exited: its pid is free (reuse within the test is as unlikely as it gets).
    const { pid: dead } = spawnSync(process.execPath, ["-e", ""]);
    const lock = (host: string): string =>
      JSON.stringify({ pid: dead, hostname: host, app: "cli", since: 1 });

    await writeFile(join(dir, LOCK_FILE), lock(hostname()));
    const profile = await open(dir);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid });
    await profile.close();

    await writeFile(join(dir, LOCK_FILE), lock("elsewhere.example"));
    const error = await rejection(open(dir));
    expect(isMatrixError(error, "profile_in_use")).toBe(true);
    expect((error as { holder: string }).holder).toContain(`process ${dead} on elsewhere.example`);
  });
});
