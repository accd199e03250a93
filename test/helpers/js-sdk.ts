// matrix-js-sdk 43 with Rust crypto as a Matrix device against the devserver (docs/testing.md §5): clients with
// an in-memory crypto store, signed in through the devserver's test hook, started and stopped per test; a
// recovery key they hand to secret storage; and one place that quiets the SDK's logging (set JS_SDK_LOG=1 to see
// it).
//
//   const clients = useJsSdkClients();           // after each test: stops every client, then closes servers
//   const server = await clients.startDevserver({ users: ["alice:secret"] });
//   const alice = await clients.signIn(server, "alice");
//   await clients.start(alice);
import {
  ClientEvent,
  createClient,
  SyncState,
  type ICreateClientOpts,
  type MatrixClient,
} from "matrix-js-sdk";
import type { CryptoApi, GeneratedSecretStorageKey } from "matrix-js-sdk/lib/crypto-api/index.js";
import { logger as rootLogger, type Logger } from "matrix-js-sdk/lib/logger.js";
import { afterEach } from "vitest";
import { startDevserver, type Devserver, type DevserverOptions } from "../../devserver/index";
import { mintDeviceToken } from "./csapi";

const verbose = process.env.JS_SDK_LOG === "1";

/** A logger that drops everything, unless JS_SDK_LOG=1. */
export const quietLogger: Logger = verbose
  ? // eslint-disable-next-line @typescript-eslint/no-deprecated -- the SDK's own logger, only when asked for
    rootLogger
  : {
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      getChild: () => quietLogger,
    };

// The rendezvous and OAuth helpers log to the SDK's root logger (loglevel), which has no per-client option.
// eslint-disable-next-line @typescript-eslint/no-deprecated -- no other way to quiet those modules
if (!verbose) (rootLogger as unknown as { setLevel(level: string): void }).setLevel("silent");

/**
 * The secret storage keys a client may use, by key ID. Tests add the recovery key here; the client's
 * `getSecretStorageKey` callback answers from it, as an app does after asking the user for the recovery key.
 */
export class SecretStorageKeys {
  private readonly keys = new Map<string, Uint8Array<ArrayBuffer>>();

  add(keyId: string, privateKey: Uint8Array<ArrayBuffer>): void {
    this.keys.set(keyId, privateKey);
  }

  /** The `cryptoCallbacks.getSecretStorageKey` of a client. */
  readonly callback = ({
    keys,
  }: {
    keys: Record<string, unknown>;
  }): Promise<[string, Uint8Array<ArrayBuffer>] | null> => {
    for (const keyId of Object.keys(keys)) {
      const privateKey = this.keys.get(keyId);
      if (privateKey !== undefined) return Promise.resolve([keyId, privateKey]);
    }
    return Promise.resolve(null);
  };
}

export interface ClientOptions {
  readonly baseUrl: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly accessToken: string;
  /** The recovery keys this client knows (default: none). */
  readonly secretStorageKeys?: SecretStorageKeys;
}

export interface JsSdkClients {
  /** A devserver with test hooks, closed after the test once its clients have stopped (so no sync is left open). */
  startDevserver(options?: DevserverOptions): Promise<Devserver>;
  /** A client with Rust crypto (in-memory store), not started. */
  create(options: ClientOptions): Promise<MatrixClient>;
  /** A fresh device of `user` through the test hook, as a client with Rust crypto, not started. */
  signIn(
    server: { readonly baseUrl: string },
    user: string,
    secretStorageKeys?: SecretStorageKeys,
  ): Promise<MatrixClient>;
  /** Starts syncing and resolves once the first sync is processed. */
  start(client: MatrixClient): Promise<void>;
}

/**
 * `m.login.secrets` without its type (docs/protocol.md §7): what `exportSecretsBundle` returns. matrix-js-sdk's own
 * type for it lives in a declaration file its package does not ship, so it is spelt out here.
 */
export interface SecretsBundle {
  readonly cross_signing: {
    readonly master_key: string;
    readonly self_signing_key: string;
    readonly user_signing_key: string;
  };
  readonly backup?: { readonly algorithm: string; readonly key: string; readonly backup_version: string };
}

interface SecretsBundleApi {
  exportSecretsBundle(): Promise<SecretsBundle>;
  importSecretsBundle(secrets: SecretsBundle): Promise<void>;
}

export function exportSecretsBundle(client: MatrixClient): Promise<SecretsBundle> {
  return (cryptoOf(client) as unknown as SecretsBundleApi).exportSecretsBundle();
}

export function importSecretsBundle(client: MatrixClient, secrets: SecretsBundle): Promise<void> {
  return (cryptoOf(client) as unknown as SecretsBundleApi).importSecretsBundle(secrets);
}

/** The client's crypto API, which every client made here has. */
export function cryptoOf(client: MatrixClient): CryptoApi {
  const crypto = client.getCrypto();
  if (crypto === undefined) throw new Error("the client has no crypto");
  return crypto;
}

/**
 * A client with Rust crypto (in-memory store), not started; `track` sees it before its crypto starts, so that a
 * caller can stop it even when that fails. Outside Vitest (the flow benchmark) the caller stops it.
 */
export async function createJsSdkClient(
  options: ClientOptions,
  track: (client: MatrixClient) => void = () => undefined,
): Promise<MatrixClient> {
  const keys = options.secretStorageKeys ?? new SecretStorageKeys();
  const clientOptions: ICreateClientOpts = {
    baseUrl: options.baseUrl,
    userId: options.userId,
    deviceId: options.deviceId,
    accessToken: options.accessToken,
    logger: quietLogger,
    cryptoCallbacks: {
      getSecretStorageKey: keys.callback,
      // Called with a key the client just created (bootstrapping), as an app caches it for the session.
      cacheSecretStorageKey: (keyId, _keyInfo, key) => {
        keys.add(keyId, key);
      },
    },
  };
  const client = createClient(clientOptions);
  track(client);
  await client.initRustCrypto({ useIndexedDB: false });
  return client;
}

/** Starts syncing and resolves once the first sync is processed. */
export async function startJsSdkClient(client: MatrixClient): Promise<void> {
  const prepared = new Promise<void>((resolve, reject) => {
    const onSync = (state: SyncState): void => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) {
        client.off(ClientEvent.Sync, onSync);
        resolve();
      } else if (state === SyncState.Error) {
        client.off(ClientEvent.Sync, onSync);
        reject(new Error("the first sync failed"));
      }
    };
    client.on(ClientEvent.Sync, onSync);
  });
  await client.startClient({ initialSyncLimit: 1 });
  await prepared;
}

/** Registers an `afterEach` that stops every client the returned factory made, then closes its devservers. */
export function useJsSdkClients(): JsSdkClients {
  const clients: MatrixClient[] = [];
  const servers: Devserver[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.stopClient();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const create = (options: ClientOptions): Promise<MatrixClient> =>
    createJsSdkClient(options, (client) => clients.push(client));

  return {
    startDevserver: async (options = {}) => {
      const server = await startDevserver({ testHooks: true, ...options });
      servers.push(server);
      return server;
    },
    create,
    signIn: async (server, user, secretStorageKeys) => {
      const token = await mintDeviceToken(server, user);
      return create({
        baseUrl: server.baseUrl,
        userId: token.user_id,
        deviceId: token.device_id,
        accessToken: token.access_token,
        ...(secretStorageKeys === undefined ? {} : { secretStorageKeys }),
      });
    },
    start: startJsSdkClient,
  };
}

/**
 * Sets up cross-signing and secret storage with a new key backup on a started client, the way Element's "set up
 * encryption" does: the first cross-signing upload needs no user-interactive auth here (as with MAS). Returns the
 * recovery key; the client put it in its `SecretStorageKeys` (`cacheSecretStorageKey`).
 */
export async function bootstrapEncryption(client: MatrixClient): Promise<GeneratedSecretStorageKey> {
  const crypto = cryptoOf(client);
  await crypto.bootstrapCrossSigning({
    authUploadDeviceSigningKeys: async (makeRequest) => {
      await makeRequest(null);
    },
  });
  const recoveryKey = await crypto.createRecoveryKeyFromPassphrase();
  await crypto.bootstrapSecretStorage({
    createSecretStorageKey: () => Promise.resolve(recoveryKey),
    setupNewSecretStorage: true,
    setupNewKeyBackup: true,
  });
  return recoveryKey;
}
