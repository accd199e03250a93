// Snapshots of IndexedDB databases (the Rust crypto store's), as one encrypted file: every object store with its
// schema (key path, auto-increment, indexes) and every record, read in one read-only transaction per database so
// that each database is captured at one consistent point. Values are structured-clone data (objects, arrays,
// byte arrays), serialised with V8's structured-clone serialiser, which keeps exactly those types.
//
// File format: MAGIC, a 12-byte nonce, then AES-256-GCM over the serialised snapshot with MAGIC as associated
// data. The key is derived (HKDF-SHA-256) from the profile's 32-byte crypto-store key, so the snapshot is as
// secret as the store it copies (whose values the Rust store also encrypts with that key), and the GCM tag makes
// any damage, truncation included, a typed `profile_corrupt` naming the file rather than a half-restored store.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import { MatrixError } from "./errors";

const MAGIC = new TextEncoder().encode("MQL-CRYPTO-SNAPSHOT-1\n");
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_INFO = "matrix-qr-login crypto-store snapshot v1";

export interface IndexSchema {
  readonly name: string;
  readonly keyPath: string | string[];
  readonly unique: boolean;
  readonly multiEntry: boolean;
}

export interface StoreSnapshot {
  readonly name: string;
  readonly keyPath: string | string[] | null;
  readonly autoIncrement: boolean;
  readonly indexes: readonly IndexSchema[];
  /** `[key, value]` in key order. */
  readonly records: readonly (readonly [IDBValidKey, unknown])[];
}

export interface DatabaseSnapshot {
  /** The database's name without the profile's prefix (`matrix-sdk-crypto`), so a profile can restore it under any prefix. */
  readonly name: string;
  readonly version: number;
  readonly stores: readonly StoreSnapshot[];
}

export interface Snapshot {
  readonly databases: readonly DatabaseSnapshot[];
}

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => {
      resolve(request.result);
    };
    request.onerror = () => {
      reject(request.error ?? new Error("IndexedDB request failed"));
    };
  });
}

function openDatabase(
  factory: IDBFactory,
  name: string,
  version?: number,
  upgrade?: (db: IDBDatabase) => void,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = version === undefined ? factory.open(name) : factory.open(name, version);
    request.onupgradeneeded = () => {
      upgrade?.(request.result);
    };
    request.onsuccess = () => {
      resolve(request.result);
    };
    request.onerror = () => {
      reject(request.error ?? new Error(`could not open database ${name}`));
    };
    request.onblocked = () => {
      reject(new Error(`database ${name} is blocked by another connection`));
    };
  });
}

function transactionDone(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => {
      resolve();
    };
    transaction.onerror = () => {
      reject(transaction.error ?? new Error("IndexedDB transaction failed"));
    };
    transaction.onabort = () => {
      reject(transaction.error ?? new Error("IndexedDB transaction aborted"));
    };
  });
}

/** The names of the databases whose names start with `prefix`, as they are in this process now. */
export async function databasesWithPrefix(factory: IDBFactory, prefix: string): Promise<string[]> {
  const all = await factory.databases();
  return all
    .map(({ name }) => name)
    .filter((name): name is string => name?.startsWith(prefix) === true)
    .sort();
}

/** Reads every database named `prefix` + suffix into a snapshot (names stored without the prefix). */
export async function takeSnapshot(factory: IDBFactory, prefix: string): Promise<Snapshot> {
  const databases: DatabaseSnapshot[] = [];
  for (const fullName of await databasesWithPrefix(factory, prefix)) {
    const db = await openDatabase(factory, fullName);
    try {
      const storeNames = [...db.objectStoreNames];
      if (storeNames.length === 0) {
        databases.push({ name: fullName.slice(prefix.length), version: db.version, stores: [] });
        continue;
      }
      const transaction = db.transaction(storeNames, "readonly");
      const done = transactionDone(transaction);
      const stores = await Promise.all(
        storeNames.map(async (storeName): Promise<StoreSnapshot> => {
          const store = transaction.objectStore(storeName);
          const [keys, values] = await Promise.all([promised(store.getAllKeys()), promised(store.getAll())]);
          const indexes = [...store.indexNames].map((indexName): IndexSchema => {
            const index = store.index(indexName);
            return {
              name: index.name,
              keyPath: index.keyPath,
              unique: index.unique,
              multiEntry: index.multiEntry,
            };
          });
          return {
            name: storeName,
            keyPath: store.keyPath,
            autoIncrement: store.autoIncrement,
            indexes,
            records: keys.map((key, i) => [key, values[i]] as const),
          };
        }),
      );
      await done;
      databases.push({ name: fullName.slice(prefix.length), version: db.version, stores });
    } finally {
      db.close();
    }
  }
  return { databases };
}

/** Creates the snapshot's databases under `prefix` (which must not exist yet in this process). */
export async function restoreSnapshot(
  factory: IDBFactory,
  prefix: string,
  snapshot: Snapshot,
): Promise<void> {
  for (const database of snapshot.databases) {
    const name = `${prefix}${database.name}`;
    const db = await openDatabase(factory, name, database.version, (created) => {
      for (const store of database.stores) {
        const objectStore = created.createObjectStore(store.name, {
          keyPath: store.keyPath,
          autoIncrement: store.autoIncrement,
        });
        for (const index of store.indexes) {
          objectStore.createIndex(index.name, index.keyPath, {
            unique: index.unique,
            multiEntry: index.multiEntry,
          });
        }
      }
    });
    try {
      const storeNames = database.stores.map((store) => store.name);
      if (storeNames.length === 0) continue;
      const transaction = db.transaction(storeNames, "readwrite");
      const done = transactionDone(transaction);
      for (const store of database.stores) {
        const objectStore = transaction.objectStore(store.name);
        for (const [key, value] of store.records) {
          if (store.keyPath === null) objectStore.put(value, key);
          else objectStore.put(value);
        }
      }
      await done;
    } finally {
      db.close();
    }
  }
}

function snapshotKey(storageKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", storageKey, new Uint8Array(0), HKDF_INFO, 32));
}

export function encodeSnapshot(snapshot: Snapshot, storageKey: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", snapshotKey(storageKey), nonce);
  cipher.setAAD(MAGIC);
  const body = Buffer.concat([cipher.update(serialize(snapshot)), cipher.final()]);
  return Buffer.concat([MAGIC, nonce, body, cipher.getAuthTag()]);
}

function isSnapshot(value: unknown): value is Snapshot {
  if (typeof value !== "object" || value === null) return false;
  const databases = (value as { databases?: unknown }).databases;
  return (
    Array.isArray(databases) &&
    databases.every(
      (db: unknown) =>
        typeof db === "object" &&
        db !== null &&
        typeof (db as DatabaseSnapshot).name === "string" &&
        Number.isSafeInteger((db as DatabaseSnapshot).version) &&
        Array.isArray((db as DatabaseSnapshot).stores) &&
        (db as DatabaseSnapshot).stores.every(
          (store) =>
            typeof store.name === "string" && Array.isArray(store.indexes) && Array.isArray(store.records),
        ),
    )
  );
}

/** Opens a snapshot file's bytes; anything damaged is `profile_corrupt` naming `file`. */
export function decodeSnapshot(bytes: Uint8Array, storageKey: Uint8Array, file: string): Snapshot {
  const corrupt = (reason: string, cause?: unknown): MatrixError =>
    new MatrixError("profile_corrupt", `the crypto-store snapshot ${file} is damaged (${reason})`, {
      file,
      reason,
      cause,
    });
  if (bytes.length < MAGIC.length + NONCE_BYTES + TAG_BYTES) throw corrupt("truncated");
  if (!Buffer.from(bytes.subarray(0, MAGIC.length)).equals(MAGIC)) throw corrupt("not_a_snapshot");
  const nonce = bytes.subarray(MAGIC.length, MAGIC.length + NONCE_BYTES);
  const body = bytes.subarray(MAGIC.length + NONCE_BYTES, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", snapshotKey(storageKey), nonce);
    decipher.setAAD(MAGIC);
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (error) {
    // A wrong key and damaged bytes look the same to GCM: either way this file cannot be used.
    throw corrupt("authentication_failed", error);
  }
  let value: unknown;
  try {
    value = deserialize(plain);
  } catch (error) {
    throw corrupt("unreadable", error);
  }
  if (!isSnapshot(value)) throw corrupt("unexpected_shape");
  return value;
}
