// The profile's secrets (tokens, the crypto store's key) in the system keychain, through Electron's safeStorage
// (async API): encrypted with a key the keychain holds (Keychain on macOS, DPAPI on Windows, libsecret or KWallet on
// Linux) into `secrets.keychain`, mode 0600.
//
// Two situations need the user:
// - A profile made by the command line or the browser host keeps its secrets in `<profile>/secrets.json` (plain Node has no
//   keychain). The first time Electron opens it with a real keychain, the secrets move into the keychain, the file
//   is removed, and the user is told (`onMoved`).
// - Where Linux offers only the `basic_text` backend (no keyring running), safeStorage "encrypts" with a key built
//   into Chromium: no better than a plain file. The user is asked before any secret is stored that way; if they
//   agree, the secrets go to the same 0600 file the other hosts use (equal protection, and honest about it); if
//   not, nothing is stored and signing in stops with `profile_write_failed` (reason `no_keychain`).
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { SafeStorage } from "electron";
import { z } from "zod";
// The matrix layer's own files rather than its index: the index loads matrix-js-sdk, which the window should not
// wait for (the engine brings it in later).
import { writeFileAtomic } from "../matrix/atomic-file";
import { MatrixError } from "../matrix/errors";
import {
  FileSecretStore,
  parseProfileSecrets,
  type ProfileSecrets,
  type SecretStore,
} from "../matrix/secret-store";

export const KEYCHAIN_SECRETS_FILE = "secrets.keychain";

export type SafeStorageApi = Pick<
  SafeStorage,
  "isAsyncEncryptionAvailable" | "encryptStringAsync" | "decryptStringAsync"
> &
  Partial<Pick<SafeStorage, "getSelectedStorageBackend">>;

export interface SafeStorageSecretStoreOptions {
  readonly safeStorage: SafeStorageApi;
  readonly platform: NodeJS.Platform;
  /**
   * Asked once, before the first secret would be stored without a keychain: true to keep them in a file only the
   * user's account can read.
   */
  readonly askToStoreWithoutKeychain: () => Promise<boolean>;
  /** Told once when secrets moved from `<profile>/secrets.json` into the keychain. */
  readonly onMoved?: (notice: string) => void;
}

const keychainFileSchema = z.strictObject({
  format: z.literal(1),
  /** The safeStorage backend that encrypted it (Linux), or the platform's keychain. */
  backend: z.string().max(40),
  data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/),
});

type Protection = { readonly kind: "keychain"; readonly backend: string } | { readonly kind: "none" };

export class SafeStorageSecretStore implements SecretStore {
  readonly file: string;
  /** What protects the secrets now (known once they were read or written). */
  protection = "the system keychain";
  /** Set while the secrets live in the plain file: the file store's own warning. */
  warning?: string;
  readonly #options: SafeStorageSecretStoreOptions;
  readonly #plain: FileSecretStore;
  #protection: Protection | undefined;
  /** Set once the secrets live in the plain file (made by another host, or with the user's consent). */
  #inPlainFile = false;

  #usePlainFile(): void {
    this.#inPlainFile = true;
    this.protection = this.#plain.protection;
    this.warning = this.#plain.warning;
  }

  constructor(profileDir: string, options: SafeStorageSecretStoreOptions) {
    this.file = join(profileDir, KEYCHAIN_SECRETS_FILE);
    this.#options = options;
    this.#plain = new FileSecretStore(profileDir);
  }

  async #currentProtection(): Promise<Protection> {
    if (this.#protection !== undefined) return this.#protection;
    const { safeStorage, platform } = this.#options;
    const available = await safeStorage.isAsyncEncryptionAvailable();
    const backend =
      platform === "linux"
        ? (safeStorage.getSelectedStorageBackend?.() ?? "unknown")
        : `${platform} keychain`;
    this.#protection =
      available && backend !== "basic_text" && backend !== "unknown"
        ? { kind: "keychain", backend }
        : { kind: "none" };
    if (this.#protection.kind === "keychain") this.protection = `the system keychain (${backend})`;
    return this.#protection;
  }

  async read(): Promise<ProfileSecrets | undefined> {
    const stored = await this.#readKeychainFile();
    if (stored !== undefined) return stored;
    const plain = await this.#plain.read();
    if (plain === undefined) return undefined;
    if ((await this.#currentProtection()).kind === "keychain") {
      await this.#writeKeychainFile(plain);
      await this.#plain.erase();
      this.#options.onMoved?.(
        `Moved this profile's tokens and encryption key from ${this.#plain.file} into ${this.protection}.`,
      );
    } else {
      this.#usePlainFile();
    }
    return plain;
  }

  async write(secrets: ProfileSecrets): Promise<void> {
    if (!this.#inPlainFile && (await this.#currentProtection()).kind === "keychain") {
      await this.#writeKeychainFile(secrets);
      return;
    }
    if (!this.#inPlainFile) {
      if (!(await this.#options.askToStoreWithoutKeychain())) {
        throw new MatrixError(
          "profile_write_failed",
          "no system keychain is available and storing the secrets without one was declined",
          { file: this.file, reason: "no_keychain" },
        );
      }
      this.#usePlainFile();
    }
    await this.#plain.write(secrets);
  }

  async erase(): Promise<void> {
    await rm(this.file, { force: true });
    await this.#plain.erase();
  }

  async #readKeychainFile(): Promise<ProfileSecrets | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new MatrixError("profile_corrupt", `cannot read ${this.file}`, {
        file: this.file,
        reason: (error as NodeJS.ErrnoException).code ?? "read_failed",
      });
    }
    const damaged = (reason: string) =>
      new MatrixError("profile_corrupt", `${this.file} is damaged (${reason})`, { file: this.file, reason });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw damaged("not_json");
    }
    const read = keychainFileSchema.safeParse(parsed);
    if (!read.success) throw damaged("unknown_format");
    const envelope = read.data;
    let decrypted: { result: string; shouldReEncrypt: boolean };
    try {
      decrypted = await this.#options.safeStorage.decryptStringAsync(Buffer.from(envelope.data, "base64"));
    } catch {
      // Another user's or machine's keychain, or a keychain that was reset: the secrets cannot be recovered here.
      throw damaged("keychain_refused");
    }
    let json: unknown;
    try {
      json = JSON.parse(decrypted.result);
    } catch {
      throw damaged("not_json");
    }
    const secrets = parseProfileSecrets(json, this.file);
    // The keychain rotated its key: store under the new one.
    if (decrypted.shouldReEncrypt) await this.#writeKeychainFile(secrets);
    return secrets;
  }

  async #writeKeychainFile(secrets: ProfileSecrets): Promise<void> {
    const protection = await this.#currentProtection();
    if (protection.kind !== "keychain") throw new TypeError("no keychain to write to");
    const sealed = await this.#options.safeStorage.encryptStringAsync(JSON.stringify(secrets));
    const envelope = { format: 1, backend: protection.backend, data: sealed.toString("base64") };
    await writeFileAtomic(this.file, `${JSON.stringify(envelope)}\n`, { mode: 0o600 });
  }
}
