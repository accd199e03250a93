// IndexedDB for the Rust crypto store in plain Node and in Electron's main process, where there is none: the
// in-memory fake-indexeddb, installed once per process as the global the crypto wasm looks up (it checks values
// with `instanceof` against the global classes, so every `IDB*` class must be the fake's, not only `indexedDB`).
// Being in memory, it is made durable by snapshots (snapshot.ts); to know when to take one, every read-write
// transaction that commits is reported to whoever watches its database, and every connection is tracked so that
// a closed profile's databases can be dropped even when the crypto store never closed its connection.
import * as fake from "fake-indexeddb";

type WriteListener = () => void;

const listeners = new Map<string, Set<WriteListener>>();
const connections = new Map<string, Set<IDBDatabase>>();
const PATCHED = Symbol.for("matrix-qr-login.indexeddb.write-hook");

const GLOBALS = {
  indexedDB: fake.indexedDB,
  IDBCursor: fake.IDBCursor,
  IDBCursorWithValue: fake.IDBCursorWithValue,
  IDBDatabase: fake.IDBDatabase,
  IDBFactory: fake.IDBFactory,
  IDBIndex: fake.IDBIndex,
  IDBKeyRange: fake.IDBKeyRange,
  IDBObjectStore: fake.IDBObjectStore,
  IDBOpenDBRequest: fake.IDBOpenDBRequest,
  IDBRecord: fake.IDBRecord as unknown,
  IDBRequest: fake.IDBRequest,
  IDBTransaction: fake.IDBTransaction,
  IDBVersionChangeEvent: fake.IDBVersionChangeEvent,
} as const;

/** Stops tracking a connection that was closed. */
function forget(db: IDBDatabase): void {
  const set = connections.get(db.name);
  if (set === undefined) return;
  set.delete(db);
  if (set.size === 0) connections.delete(db.name);
}

function installHooks(): void {
  const prototype = fake.IDBDatabase.prototype as unknown as Record<symbol, boolean> & {
    transaction: IDBDatabase["transaction"];
    close: IDBDatabase["close"];
  };
  if (prototype[PATCHED] === true) return;
  const factory = fake.IDBFactory.prototype as unknown as { open: IDBFactory["open"] };
  const originalOpen = factory.open;
  factory.open = function (this: IDBFactory, ...args: Parameters<IDBFactory["open"]>) {
    const request = originalOpen.apply(this, args);
    request.addEventListener("success", () => {
      const db = request.result;
      const set = connections.get(db.name) ?? new Set<IDBDatabase>();
      connections.set(db.name, set.add(db));
      db.addEventListener("close", () => {
        forget(db);
      });
    });
    return request;
  };
  // A connection closed by its owner fires no "close" event (only a forced close does): without this, every
  // snapshot's connections to a store that stays open stayed in the map, about 2.5 KB each, for good.
  const originalClose = prototype.close;
  prototype.close = function (this: IDBDatabase) {
    forget(this);
    originalClose.apply(this);
  };
  const original = prototype.transaction;
  prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase["transaction"]>) {
    const transaction = original.apply(this, args);
    if (transaction.mode !== "readonly") {
      const name = this.name;
      transaction.addEventListener("complete", () => {
        for (const [prefix, set] of listeners) {
          if (name.startsWith(prefix)) for (const listener of set) listener();
        }
      });
    }
    return transaction;
  } as IDBDatabase["transaction"];
  prototype[PATCHED] = true;
}

/**
 * Makes fake-indexeddb the process's IndexedDB (idempotent) and returns its factory. Throws a TypeError when
 * another IndexedDB is already installed: two implementations in one process would split the crypto stores.
 */
export function installIndexedDb(): IDBFactory {
  const global = globalThis as unknown as Record<string, unknown>;
  const current = global.indexedDB;
  if (current !== undefined && current !== fake.indexedDB) {
    throw new TypeError("another IndexedDB implementation is installed in this process");
  }
  for (const [name, value] of Object.entries(GLOBALS)) {
    Object.defineProperty(globalThis, name, { value, configurable: true, writable: true, enumerable: false });
  }
  installHooks();
  return fake.indexedDB;
}

/**
 * Calls `listener` after each committed read-write transaction on a database whose name starts with `prefix`;
 * returns the unsubscribe.
 */
export function watchDatabaseWrites(prefix: string, listener: WriteListener): () => void {
  const set = listeners.get(prefix) ?? new Set<WriteListener>();
  listeners.set(prefix, set.add(listener));
  return () => {
    set.delete(listener);
    if (set.size === 0) listeners.delete(prefix);
  };
}

/** The open connections tracked, over every database (for tests and the endurance run: it must not grow). */
export function trackedConnections(): number {
  let count = 0;
  for (const set of connections.values()) count += set.size;
  return count;
}

/**
 * Deletes a database after closing every connection to it (a deletion waits for open connections, and the
 * crypto store may keep one after it stopped); resolves once it is gone.
 */
export function dropDatabase(factory: IDBFactory, name: string): Promise<void> {
  // fake-indexeddb's declaration types the parameter as the class; it takes a connection.
  const forceClose = fake.forceCloseDatabase as unknown as (db: IDBDatabase) => void;
  for (const db of connections.get(name) ?? []) forceClose(db);
  connections.delete(name);
  return new Promise((resolve, reject) => {
    const request = factory.deleteDatabase(name);
    request.onsuccess = () => {
      resolve();
    };
    request.onerror = () => {
      reject(request.error ?? new Error(`could not delete database ${name}`));
    };
  });
}
