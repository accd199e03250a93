// The durable crypto store of one profile: the Rust crypto's IndexedDB databases live in memory (fake-indexeddb)
// under a prefix of their own, and are copied to one encrypted snapshot file in the profile directory.
//
// When the copy is taken:
// - shortly after each committed write (`debounceMs` after the last one, at most `maxDelayMs` after the first);
// - before any request that publishes crypto state leaves the process (`flush()`, called by the HTTP layer for
//   `keys/upload`, `keys/device_signing/upload`, `keys/signatures/upload`, `room_keys/version`): a crash after
//   the server learnt our keys must never come back with keys the server has not seen;
// - on close.
// A failed write keeps the last good snapshot (writeFileAtomic) and leaves the store dirty, so the next flush
// tries again and the request that needed it does not go out.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isMatrixError, MatrixError } from "./errors";
import { writeFileAtomic } from "./atomic-file";
import { dropDatabase, installIndexedDb, watchDatabaseWrites } from "./indexeddb";
import {
  databasesWithPrefix,
  decodeSnapshot,
  encodeSnapshot,
  restoreSnapshot,
  takeSnapshot,
} from "./snapshot";

/** What matrix-js-sdk appends to `cryptoDatabasePrefix` (`<prefix>::matrix-sdk-crypto`, `…-meta`). */
const SDK_SEPARATOR = "::";

export interface CryptoStoreTimings {
  /** Quiet time after the last write before a snapshot (default 250 ms). */
  readonly debounceMs?: number;
  /** Longest a write waits for its snapshot while writes keep coming (default 2000 ms). */
  readonly maxDelayMs?: number;
}

export interface OpenCryptoStoreOptions extends CryptoStoreTimings {
  /** The snapshot file (absent: a new, empty store). */
  readonly file: string;
  /** The profile's 32-byte crypto-store key: the Rust store's `storageKey`, and the snapshot's key. */
  readonly storageKey: Uint8Array;
  /** Told about a background snapshot that failed (the next flush retries and throws if it fails again). */
  readonly onError?: (error: MatrixError) => void;
}

export class DurableCryptoStore {
  /** Pass to `initRustCrypto({ cryptoDatabasePrefix })`: unique to this open store in this process. */
  readonly cryptoDatabasePrefix: string;
  readonly file: string;
  private readonly factory: IDBFactory;
  private readonly storageKey: Uint8Array;
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private readonly onError: ((error: MatrixError) => void) | undefined;
  private readonly unwatch: () => void;
  private dirty = false;
  private firstDirtyAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(options: OpenCryptoStoreOptions, factory: IDBFactory, prefix: string) {
    this.file = options.file;
    this.factory = factory;
    this.storageKey = options.storageKey;
    this.cryptoDatabasePrefix = prefix;
    this.debounceMs = options.debounceMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
    this.onError = options.onError;
    this.unwatch = watchDatabaseWrites(this.databasePrefix, () => {
      this.markDirty();
    });
  }

  /**
   * Restores the snapshot (if the file exists) into fresh databases under a new prefix. A damaged file is
   * `profile_corrupt` naming it; nothing is restored then.
   */
  static async open(options: OpenCryptoStoreOptions): Promise<DurableCryptoStore> {
    if (options.storageKey.length !== 32) throw new TypeError("the crypto-store key must be 32 bytes");
    const factory = installIndexedDb();
    // A prefix per open: a profile reopened in the same process never meets the databases of its previous run,
    // and two profiles never share one.
    const prefix = `mql-${randomBytes(8).toString("hex")}`;
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readFile(options.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new MatrixError("profile_corrupt", `cannot read ${options.file}`, {
          file: options.file,
          reason: (error as NodeJS.ErrnoException).code ?? "read_failed",
          cause: error,
        });
      }
    }
    if (bytes !== undefined) {
      const snapshot = decodeSnapshot(bytes, options.storageKey, options.file);
      await restoreSnapshot(factory, `${prefix}${SDK_SEPARATOR}`, snapshot);
    }
    return new DurableCryptoStore(options, factory, prefix);
  }

  private get databasePrefix(): string {
    return `${this.cryptoDatabasePrefix}${SDK_SEPARATOR}`;
  }

  private markDirty(): void {
    if (this.closed) return;
    const now = Date.now();
    if (!this.dirty) this.firstDirtyAt = now;
    this.dirty = true;
    clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(this.debounceMs, this.firstDirtyAt + this.maxDelayMs - now));
    this.timer = setTimeout(() => {
      this.flush().catch((error: unknown) => {
        this.onError?.(
          isMatrixError(error)
            ? error
            : new MatrixError("profile_write_failed", `snapshot of ${this.file} failed`, {
                file: this.file,
                cause: error,
              }),
        );
      });
    }, delay);
    this.timer.unref();
  }

  /** Whether writes happened since the last snapshot on disk. */
  get hasUnsavedWrites(): boolean {
    return this.dirty;
  }

  /**
   * Resolves once every write committed before the call is in the snapshot on disk; throws
   * `profile_write_failed` if the snapshot cannot be written.
   */
  flush(): Promise<void> {
    const next = this.writing.then(async () => {
      if (!this.dirty) return;
      clearTimeout(this.timer);
      this.dirty = false;
      try {
        const snapshot = await takeSnapshot(this.factory, this.databasePrefix);
        await writeFileAtomic(this.file, encodeSnapshot(snapshot, this.storageKey));
      } catch (error) {
        this.dirty = true;
        throw error;
      }
    });
    // The chain goes on after a failure; the caller of this flush hears about it.
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Flushes, stops watching and drops the in-memory databases. Call after the crypto stopped. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      clearTimeout(this.timer);
      this.unwatch();
      await this.dropDatabases();
    }
  }

  /** Stops without saving and drops the in-memory databases (the profile's device is gone). */
  async discard(): Promise<void> {
    this.closed = true;
    this.dirty = false;
    clearTimeout(this.timer);
    this.unwatch();
    await this.writing;
    await this.dropDatabases();
  }

  private async dropDatabases(): Promise<void> {
    for (const name of await databasesWithPrefix(this.factory, this.databasePrefix)) {
      await dropDatabase(this.factory, name);
    }
  }
}
