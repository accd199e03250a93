// A profile: one data directory holding one (possibly not yet signed-in) Matrix device of this app.
//
//   profile.json             account, OAuth client, signed-out note, settings (no secrets)     mode 0600
//   secrets.json             tokens and the crypto-store key (FileSecretStore; the shell may
//                            keep them in the system keychain instead)                         mode 0600
//   crypto-store.snapshot    the Rust crypto store, AES-256-GCM under a key derived from the
//                            crypto-store key                                                  mode 0600
//   lock                     who has the profile open (lock.ts)                                mode 0600
// The directory itself is mode 0700. Opening takes the lock; everything else goes through the open Profile.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { TEMP_PREFIX } from "./atomic-file";
import { lockProfile, type ProfileLock } from "./lock";
import { resolveProfileDir, type ProfileLocation } from "./paths";
import {
  PROFILE_FILE,
  newProfileData,
  readProfileFile,
  writeProfileFile,
  type ProfileData,
  type ProfileSettings,
  type StoredOAuthClient,
} from "./profile-file";
import { FileSecretStore, type ProfileSecrets, type SecretStore, type StoredTokens } from "./secret-store";

export const CRYPTO_SNAPSHOT_FILE = "crypto-store.snapshot";

export interface ProfileAccount {
  /** The homeserver's client-server API base URL. */
  readonly homeserver: string;
  readonly userId: string;
  readonly deviceId: string;
}

export interface OpenProfileOptions {
  readonly location: ProfileLocation;
  /** Which host opens it, for the lock (`cli`, `browser-host`, `electron`). */
  readonly app: string;
  /** Where the secrets are kept (default: `FileSecretStore` in the profile directory). */
  readonly secretStore?: (dir: string) => SecretStore;
  /** Create the profile when it does not exist (default true). */
  readonly create?: boolean;
}

export class Profile {
  readonly dir: string;
  readonly secretStore: SecretStore;
  /** One-line warnings for the user (the secret store's weaker protection), to show once. */
  readonly warnings: readonly string[];
  private data: ProfileData;
  private secrets: ProfileSecrets | undefined;
  private readonly lock: ProfileLock;
  private closed = false;

  private constructor(
    dir: string,
    data: ProfileData,
    secretStore: SecretStore,
    secrets: ProfileSecrets | undefined,
    lock: ProfileLock,
  ) {
    this.dir = dir;
    this.data = data;
    this.secretStore = secretStore;
    this.secrets = secrets;
    this.lock = lock;
    this.warnings = secretStore.warning === undefined ? [] : [secretStore.warning];
  }

  /**
   * Opens (by default creating) a profile and takes its lock: `profile_in_use` when another process (or another
   * open in this one) holds it, `profile_too_new` / `profile_corrupt` when its files cannot be used.
   */
  static async open(options: OpenProfileOptions): Promise<Profile> {
    const dir = resolveProfileDir(options.location);
    if (options.create === false) {
      const existing = await readProfileFile(join(dir, PROFILE_FILE));
      if (existing === undefined) throw new TypeError(`there is no profile in ${dir}`);
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const lock = await lockProfile(dir, options.app);
    try {
      await removeLeftovers(dir);
      const file = join(dir, PROFILE_FILE);
      const read = await readProfileFile(file);
      const data = read?.data ?? newProfileData();
      if (read === undefined || read.migratedFrom !== undefined) await writeProfileFile(file, data);
      const secretStore = (options.secretStore ?? ((d) => new FileSecretStore(d)))(dir);
      const secrets = await secretStore.read();
      return new Profile(dir, data, secretStore, secrets, lock);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  get file(): string {
    return join(this.dir, PROFILE_FILE);
  }

  get snapshotFile(): string {
    return join(this.dir, CRYPTO_SNAPSHOT_FILE);
  }

  /** A copy of what profile.json holds. */
  get profileData(): ProfileData {
    return structuredClone(this.data);
  }

  get settings(): ProfileSettings {
    return { ...this.data.settings };
  }

  /** The signed-in account, or undefined (never signed in, or signed out). */
  get account(): ProfileAccount | undefined {
    const { homeserver, userId, deviceId } = this.data;
    return homeserver === undefined || userId === undefined || deviceId === undefined
      ? undefined
      : { homeserver, userId, deviceId };
  }

  /** Set when the device was signed out elsewhere (or here); cleared by the next sign-in. */
  get signedOut(): ProfileData["signedOut"] {
    return this.data.signedOut === undefined ? undefined : { ...this.data.signedOut };
  }

  get oauthClient(): StoredOAuthClient | undefined {
    return this.data.oauthClient === undefined ? undefined : { ...this.data.oauthClient };
  }

  get tokens(): StoredTokens | undefined {
    return this.secrets?.tokens === undefined ? undefined : { ...this.secrets.tokens };
  }

  private assertOpen(): void {
    if (this.closed) throw new TypeError(`the profile ${this.dir} is closed`);
  }

  private async update(change: (data: ProfileData) => ProfileData): Promise<void> {
    this.assertOpen();
    const next = change(structuredClone(this.data));
    await writeProfileFile(this.file, next);
    this.data = next;
  }

  private async updateSecrets(
    change: (secrets: ProfileSecrets | undefined) => ProfileSecrets,
  ): Promise<void> {
    this.assertOpen();
    const next = change(this.secrets === undefined ? undefined : structuredClone(this.secrets));
    await this.secretStore.write(next);
    this.secrets = next;
  }

  async updateSettings(settings: Partial<ProfileSettings>): Promise<void> {
    await this.update((data) => ({ ...data, settings: { ...data.settings, ...settings } }));
  }

  async setOAuthClient(client: StoredOAuthClient | undefined): Promise<void> {
    await this.update(({ oauthClient: _old, ...rest }) =>
      client === undefined ? rest : { ...rest, oauthClient: client },
    );
  }

  /**
   * Records the account a device of this profile signed in to, and its tokens. A profile holds one device: a
   * different account while one is signed in is a TypeError (sign out first).
   */
  async setAccount(account: ProfileAccount, tokens?: StoredTokens): Promise<void> {
    const current = this.account;
    if (
      current !== undefined &&
      (current.homeserver !== account.homeserver ||
        current.userId !== account.userId ||
        current.deviceId !== account.deviceId)
    ) {
      throw new TypeError(`the profile ${this.dir} is signed in as another device; sign it out first`);
    }
    if (tokens !== undefined) await this.saveTokens(tokens);
    await this.update(({ signedOut: _old, ...rest }) => ({ ...rest, ...account }));
  }

  /** Keeps the device's current tokens (the OAuth refresher's `onTokens`). */
  async saveTokens(tokens: StoredTokens): Promise<void> {
    await this.updateSecrets((secrets) => ({
      cryptoStoreKey: secrets?.cryptoStoreKey ?? newCryptoStoreKey(),
      tokens: { ...tokens },
    }));
  }

  /** The 32-byte key of this profile's crypto store, created (and kept) on first use. */
  async cryptoStoreKey(): Promise<Uint8Array> {
    if (this.secrets === undefined) {
      await this.updateSecrets(() => ({ cryptoStoreKey: newCryptoStoreKey() }));
    }
    return new Uint8Array(Buffer.from(this.secrets?.cryptoStoreKey ?? "", "base64"));
  }

  /**
   * Forgets the device: its tokens, its crypto store (the snapshot and the key that opens it) and its account,
   * and notes when and where it was signed out. Settings and the OAuth client registration stay.
   */
  async forgetDevice(where: "elsewhere" | "here"): Promise<void> {
    this.assertOpen();
    const account = this.account;
    await this.secretStore.erase();
    this.secrets = undefined;
    await rm(this.snapshotFile, { force: true });
    await this.update(({ homeserver: _h, userId: _u, deviceId: _d, signedOut: _s, ...rest }) =>
      account === undefined
        ? rest
        : {
            ...rest,
            signedOut: { at: Date.now(), userId: account.userId, deviceId: account.deviceId, where },
          },
    );
  }

  /** Releases the lock; the profile can then be opened again (here or by another process). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lock.release();
  }
}

function newCryptoStoreKey(): string {
  return randomBytes(32).toString("base64");
}

/** Temporary files of writes that a crash interrupted (the lock is held, so none is being written now). */
async function removeLeftovers(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(TEMP_PREFIX)) await rm(join(dir, name), { force: true });
  }
}
