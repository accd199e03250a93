// A profile's secrets: its tokens and the key of its crypto store. They sit behind a small async interface so
// that each host keeps them as well as its platform allows: the Electron shell plugs in one on `safeStorage`
// (the system keychain); plain Node (the command line, the browser host, tests) has only `FileSecretStore`, a
// file that only the user can read (mode 0600), which it says once in a one-line warning.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "./atomic-file";
import { MatrixError } from "./errors";

export const SECRETS_FILE = "secrets.json";

const tokensSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).optional(),
  /** When the access token expires, in milliseconds since the epoch. */
  expiresAt: z.number().optional(),
});

/** The OAuth tokens of the profile's device. */
export type StoredTokens = z.infer<typeof tokensSchema>;

const secretsSchema = z.object({
  /** 32 random bytes, standard base64: the Rust store's `storageKey` and the snapshot's key. */
  cryptoStoreKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
  tokens: tokensSchema.optional(),
});

export type ProfileSecrets = z.infer<typeof secretsSchema>;

export interface SecretStore {
  /** What protects the secrets, in a few words for the user ("the system keychain"). */
  readonly protection: string;
  /** A one-line warning when the protection is weaker than the platform's keychain. */
  readonly warning?: string;
  /** The secrets, or undefined when none were written yet. */
  read(): Promise<ProfileSecrets | undefined>;
  write(secrets: ProfileSecrets): Promise<void>;
  /** Removes every secret (idempotent). */
  erase(): Promise<void>;
}

/** Checks what a store read back (any implementation): damaged content is `profile_corrupt` naming `where`. */
export function parseProfileSecrets(value: unknown, where: string): ProfileSecrets {
  const parsed = secretsSchema.safeParse(value);
  if (!parsed.success) {
    // zod's issues name paths, never the values, but the message stays ours anyway.
    throw new MatrixError("profile_corrupt", `the secrets in ${where} are damaged`, {
      file: where,
      reason: "invalid",
    });
  }
  return parsed.data;
}

/** Secrets in `<profile>/secrets.json`, mode 0600: readable by the user's account, and anything running as it. */
export class FileSecretStore implements SecretStore {
  readonly protection = "a file only your user account can read (mode 0600)";
  readonly warning: string;
  readonly file: string;

  constructor(profileDir: string) {
    this.file = join(profileDir, SECRETS_FILE);
    this.warning =
      `warning: tokens and the crypto-store key are kept in ${this.file}, protected only by file ` +
      "permissions (mode 0600), not by the system keychain";
  }

  async read(): Promise<ProfileSecrets | undefined> {
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
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new MatrixError("profile_corrupt", `${this.file} is damaged (not_json)`, {
        file: this.file,
        reason: "not_json",
      });
    }
    return parseProfileSecrets(json, this.file);
  }

  async write(secrets: ProfileSecrets): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(secretsSchema.parse(secrets))}\n`, { mode: 0o600 });
  }

  async erase(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
