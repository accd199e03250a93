// The profile's secrets in Electron's keychain (safeStorage, here the recording fake's, which seals reversibly):
// a profile made by another host is moved into the keychain on first open and the user is told; where Linux has
// only the basic_text backend the user is asked before anything is stored, and a "no" stores nothing; a keychain
// that rotated its key gets the secrets re-sealed; a damaged or foreign file is profile_corrupt.
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  KEYCHAIN_SECRETS_FILE,
  SafeStorageSecretStore,
  type SafeStorageApi,
} from "../../src-main/electron/safe-storage-secret-store";
import { isMatrixError, type ProfileSecrets } from "../../src-main/matrix";
import { FakeElectron } from "./fake-electron";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function profileDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mqrl-secrets-"));
  dirs.push(dir);
  return dir;
}

const SECRETS: ProfileSecrets = {
  cryptoStoreKey: Buffer.alloc(32, 9).toString("base64"),
  tokens: { accessToken: "mat_access", refreshToken: "mar_refresh", expiresAt: 1_900_000_000_000 },
};

interface Setup {
  readonly backend?: string;
  readonly platform?: NodeJS.Platform;
  readonly answer?: boolean;
}

function storeIn(dir: string, setup: Setup = {}) {
  const fake = new FakeElectron();
  fake.storageBackend = setup.backend ?? "gnome_libsecret";
  const questions: string[] = [];
  const notices: string[] = [];
  const safeStorage = fake.module().safeStorage as SafeStorageApi;
  const store = new SafeStorageSecretStore(dir, {
    safeStorage,
    platform: setup.platform ?? "linux",
    askToStoreWithoutKeychain: () => {
      questions.push("asked");
      return Promise.resolve(setup.answer ?? false);
    },
    onMoved: (notice) => notices.push(notice),
  });
  return { store, questions, notices, fake };
}

describe("secrets in the keychain", () => {
  it("are sealed in secrets.keychain (mode 0600), never in the clear, and read back", async () => {
    const dir = await profileDir();
    const { store, questions } = storeIn(dir);
    expect(await store.read()).toBeUndefined();
    await store.write(SECRETS);
    const file = await readFile(join(dir, KEYCHAIN_SECRETS_FILE), "utf8");
    expect(file).not.toContain("mat_access");
    expect(JSON.parse(file)).toMatchObject({ format: 1, backend: "gnome_libsecret" });
    expect((await stat(join(dir, KEYCHAIN_SECRETS_FILE))).mode & 0o777).toBe(0o600);
    await expect(stat(join(dir, "secrets.json"))).rejects.toThrow("ENOENT");
    expect(await storeIn(dir).store.read()).toEqual(SECRETS);
    expect(store.protection).toBe("the system keychain (gnome_libsecret)");
    expect(store.warning).toBeUndefined();
    expect(questions).toEqual([]);
    await store.erase();
    expect(await storeIn(dir).store.read()).toBeUndefined();
  });

  it("moves a profile's secrets from the file another host wrote into the keychain, once, and says so", async () => {
    const dir = await profileDir();
    await writeFile(join(dir, "secrets.json"), JSON.stringify(SECRETS), { mode: 0o600 });
    const { store, notices } = storeIn(dir, { platform: "darwin" });
    expect(await store.read()).toEqual(SECRETS);
    expect(notices).toEqual([
      `Moved this profile's tokens and encryption key from ${join(dir, "secrets.json")} into the system keychain (darwin keychain).`,
    ]);
    await expect(stat(join(dir, "secrets.json"))).rejects.toThrow("ENOENT");
    const again = storeIn(dir, { platform: "darwin" });
    expect(await again.store.read()).toEqual(SECRETS);
    expect(again.notices).toEqual([]);
  });

  it("re-seals the secrets when the keychain says its key rotated", async () => {
    const dir = await profileDir();
    const { store, fake } = storeIn(dir);
    await store.write(SECRETS);
    const safeStorage = fake.module().safeStorage as SafeStorageApi;
    let resealed = 0;
    const rotating: SafeStorageApi = {
      ...safeStorage,
      decryptStringAsync: async (sealed) => ({
        ...(await safeStorage.decryptStringAsync(sealed)),
        shouldReEncrypt: true,
      }),
      encryptStringAsync: (text) => {
        resealed += 1;
        return safeStorage.encryptStringAsync(text);
      },
    };
    const reader = new SafeStorageSecretStore(dir, {
      safeStorage: rotating,
      platform: "linux",
      askToStoreWithoutKeychain: () => Promise.resolve(false),
    });
    expect(await reader.read()).toEqual(SECRETS);
    expect(resealed).toBe(1);
  });

  it("calls a damaged or foreign keychain file profile_corrupt, naming the file and never its content", async () => {
    const dir = await profileDir();
    const file = join(dir, KEYCHAIN_SECRETS_FILE);
    for (const [content, reason] of [
      ["{not json", "not_json"],
      [
        JSON.stringify({
          format: 1,
          backend: "kwallet",
          data: Buffer.from("other machine").toString("base64"),
        }),
        "keychain_refused",
      ],
      [JSON.stringify({ format: 2, backend: "kwallet", data: "" }), "unknown_format"],
    ] as const) {
      await writeFile(file, content);
      const error: unknown = await storeIn(dir)
        .store.read()
        .catch((caught: unknown) => caught);
      expect(isMatrixError(error, "profile_corrupt"), content).toBe(true);
      expect((error as { reason?: string; file?: string }).reason).toBe(reason);
      expect((error as { file?: string }).file).toBe(file);
    }
  });
});

describe("without a keychain (Linux's basic_text backend)", () => {
  it("asks before storing secrets, and with a yes keeps them in the private file, saying so", async () => {
    const dir = await profileDir();
    const { store, questions } = storeIn(dir, { backend: "basic_text", answer: true });
    expect(await store.read()).toBeUndefined();
    expect(questions).toEqual([]);
    await store.write(SECRETS);
    expect(questions).toEqual(["asked"]);
    await store.write(SECRETS);
    expect(questions).toEqual(["asked"]);
    expect((await stat(join(dir, "secrets.json"))).mode & 0o777).toBe(0o600);
    await expect(stat(join(dir, KEYCHAIN_SECRETS_FILE))).rejects.toThrow("ENOENT");
    expect(store.warning).toContain("not by the system keychain");
    // Next time the file is there: no question, and no pretend move into a keychain that does not exist.
    const again = storeIn(dir, { backend: "basic_text" });
    expect(await again.store.read()).toEqual(SECRETS);
    expect(again.notices).toEqual([]);
    await again.store.write(SECRETS);
    expect(again.questions).toEqual([]);
  });

  it("stores nothing when the user says no", async () => {
    const dir = await profileDir();
    const { store, questions } = storeIn(dir, { backend: "basic_text", answer: false });
    const error: unknown = await store.write(SECRETS).catch((caught: unknown) => caught);
    expect(isMatrixError(error, "profile_write_failed")).toBe(true);
    expect((error as { reason?: string }).reason).toBe("no_keychain");
    expect(questions).toEqual(["asked"]);
    await expect(stat(join(dir, "secrets.json"))).rejects.toThrow("ENOENT");
    await expect(stat(join(dir, KEYCHAIN_SECRETS_FILE))).rejects.toThrow("ENOENT");
  });

  it("asks too where safeStorage has no encryption at all", async () => {
    const dir = await profileDir();
    const { store, questions, fake } = storeIn(dir, { backend: "gnome_libsecret", answer: false });
    fake.encryptionAvailable = false;
    await expect(store.write(SECRETS)).rejects.toThrow("declined");
    expect(questions).toEqual(["asked"]);
  });
});
