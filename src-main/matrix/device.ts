// One running Matrix device of a profile: matrix-js-sdk 43 with Rust crypto on the profile's durable crypto
// store, syncing (the sync loop is what uploads the device's keys and processes to-device messages), and the
// operations the sign-in flows and hosts call. Plain Node: no Electron, no globals except the IndexedDB the
// crypto wasm requires (indexeddb.ts).
//
//   const profile = await Profile.open({ location: { name: "default" }, app: "cli" });
//   const device = await startDevice({ profile, runtime, tokens, account });   // account: new device only
//   const { recoveryKey } = await device.setUpEncryption(signal);               // or importSecretsBundle(...)
//   await device.stop(); await profile.close();
import { ClientEvent, createClient, SyncState, type MatrixClient } from "matrix-js-sdk";
import type { CryptoApi } from "matrix-js-sdk/lib/crypto-api/index.js";
import type { Logger } from "matrix-js-sdk/lib/logger.js";
import type { Runtime } from "../protocol";
import {
  DEFAULT_DEVICE_TIMINGS,
  SecretStorageKeyCache,
  type DeviceContext,
  type DeviceTimings,
} from "./context";
import { DurableCryptoStore, type CryptoStoreTimings } from "./crypto-store";
import * as devices from "./devices";
import * as setup from "./encryption-setup";
import { isMatrixError, MatrixError } from "./errors";
import {
  createMatrixFetch,
  requestJson,
  type AccessTokenSource,
  type RetryOptions,
  type SdkFetch,
} from "./http";
import type { Profile, ProfileAccount } from "./profile";
import * as bundles from "./secrets-bundle";
import { serverView, type ServerView } from "./server-view";
import { SyncCryptoGate } from "./sync-crypto-gate";

export type { ServerView } from "./server-view";
export type { AccountDevice, AccountPageAction } from "./devices";
export type { RecoveryKey, ResetIdentityOptions } from "./encryption-setup";
export type { SecretsBundle } from "./secrets-bundle";

/** A logger that drops everything: matrix-js-sdk logs a great deal, some of it about keys. */
export const silentLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  getChild: () => silentLogger,
};

export interface StartDeviceOptions {
  readonly profile: Profile;
  readonly runtime: Runtime;
  /** Where the access token comes from (the OAuth refresher; `fixedAccessToken` when it cannot refresh). */
  readonly tokens: AccessTokenSource;
  /** A new device: the account it signed in to, recorded in the profile. Default: the profile's account. */
  readonly account?: ProfileAccount;
  readonly timings?: Partial<Omit<DeviceTimings, "retry">> & { readonly retry?: RetryOptions };
  readonly cryptoStore?: CryptoStoreTimings;
  /** matrix-js-sdk's logger (default: silent). */
  readonly logger?: Logger;
  /** Background failures (a snapshot that could not be written); the next publishing request retries it. */
  readonly onError?: (error: MatrixError) => void;
  readonly signal?: AbortSignal;
}

export type DeviceState = "running" | "signed_out" | "stopped";

export class MatrixDevice {
  readonly account: ProfileAccount;
  readonly profile: Profile;
  private readonly ctx: DeviceContext;
  private readonly client: MatrixClient;
  private readonly store: DurableCryptoStore;
  private readonly syncGate: SyncCryptoGate;
  private readonly tokens: AccessTokenSource;
  private stateValue: DeviceState = "running";
  private readonly signedOutListeners = new Set<() => void>();
  private signingOut: Promise<void> | undefined;
  private signingOutError: MatrixError | undefined;
  private readonly onError: ((error: MatrixError) => void) | undefined;

  /** @internal Use `startDevice`. */
  constructor(parts: {
    account: ProfileAccount;
    profile: Profile;
    client: MatrixClient;
    crypto: CryptoApi;
    store: DurableCryptoStore;
    tokens: AccessTokenSource;
    runtime: Runtime;
    timings: DeviceTimings;
    secretStorageKeys: SecretStorageKeyCache;
    fetch: SdkFetch;
    onError: ((error: MatrixError) => void) | undefined;
  }) {
    this.onError = parts.onError;
    this.account = parts.account;
    this.profile = parts.profile;
    this.client = parts.client;
    this.store = parts.store;
    this.syncGate = new SyncCryptoGate(parts.crypto);
    this.tokens = parts.tokens;
    const { runtime, timings, fetch } = parts;
    this.ctx = {
      client: parts.client,
      crypto: parts.crypto,
      runtime,
      profile: parts.profile,
      account: parts.account,
      timings,
      secretStorageKeys: parts.secretStorageKeys,
      request: (method, path, signal, body) =>
        requestJson(fetch, runtime, parts.account.homeserver, {
          method,
          path,
          signal,
          retry: timings.retry,
          ...(body === undefined ? {} : { body }),
        }),
      assertRunning: () => {
        this.assertRunning();
      },
    };
  }

  get state(): DeviceState {
    return this.stateValue;
  }

  private assertRunning(): void {
    if (this.stateValue === "signed_out") {
      throw new MatrixError("signed_out", "this device was signed out on the homeserver");
    }
    if (this.stateValue === "stopped") throw new TypeError("the Matrix device was stopped");
  }

  /** Runs an operation, turning whatever fails after a sign-out elsewhere into `signed_out`. */
  private async run<T>(operation: () => Promise<T>): Promise<T> {
    this.assertRunning();
    try {
      return await operation();
    } catch (error) {
      if (this.stateValue === "signed_out" && !isMatrixError(error, "signed_out")) {
        throw new MatrixError("signed_out", "this device was signed out on the homeserver", { cause: error });
      }
      throw error;
    }
  }

  /** Calls `listener` once when the server ends this device's session (the profile has forgotten it by then). */
  onSignedOut(listener: () => void): () => void {
    this.signedOutListeners.add(listener);
    return () => this.signedOutListeners.delete(listener);
  }

  /**
   * @internal The HTTP layer saw the session end: stop, drop the crypto store and forget the device in the profile, so
   * that nothing stale stays behind. Resolves once done (tests and hosts may await `signedOut`).
   */
  handleSignedOut(): void {
    if (this.stateValue !== "running") return;
    this.stateValue = "signed_out";
    this.signingOut = (async () => {
      try {
        await this.halt();
        await this.store.discard();
        await this.profile.forgetDevice("elsewhere");
      } catch (error) {
        // Nobody awaits this: the failure goes to the host, and the device stays signed out regardless.
        this.signingOutError = isMatrixError(error)
          ? error
          : new MatrixError("profile_write_failed", "could not forget the signed-out device", {
              cause: error,
            });
        this.onError?.(this.signingOutError);
      }
      for (const listener of this.signedOutListeners) listener();
    })();
  }

  /**
   * Resolves once a sign-out elsewhere has been fully handled (immediately when there was none); rejects if the
   * profile could not forget the device.
   */
  async signedOut(): Promise<void> {
    await this.signingOut;
    if (this.signingOutError !== undefined) throw this.signingOutError;
  }

  /** For diagnostics and tests: the matrix-js-sdk client (do not stop it; use `stop`). */
  get sdkClient(): MatrixClient {
    return this.client;
  }

  /** This device's identity keys, as its crypto store holds them. */
  async ownDeviceKeys(): Promise<{ ed25519: string; curve25519: string }> {
    return this.run(() => this.ctx.crypto.getOwnDeviceKeys());
  }

  hasLocalCrossSigningKeys(): Promise<boolean> {
    return this.run(() => bundles.hasLocalCrossSigningKeys(this.ctx));
  }

  setUpEncryption(signal: AbortSignal): Promise<setup.RecoveryKey> {
    return this.run(() => setup.setUpEncryption(this.ctx, signal));
  }

  restoreWithRecoveryKey(recoveryKey: string, signal: AbortSignal): Promise<void> {
    return this.run(() => setup.restoreWithRecoveryKey(this.ctx, recoveryKey, signal));
  }

  resetIdentity(options: setup.ResetIdentityOptions, signal: AbortSignal): Promise<setup.RecoveryKey> {
    return this.run(() => setup.resetIdentity(this.ctx, options, signal));
  }

  exportSecretsBundle(): Promise<bundles.SecretsBundle> {
    return this.run(() => bundles.exportSecretsBundle(this.ctx));
  }

  /** Checks, imports and self-signs (secrets-bundle.ts); resolves to the server's view of this device after. */
  importSecretsBundle(bundle: bundles.SecretsBundle, signal: AbortSignal): Promise<ServerView> {
    return this.run(() => bundles.importSecretsBundle(this.ctx, bundle, signal));
  }

  serverView(deviceId: string, signal: AbortSignal): Promise<ServerView> {
    return this.run(() => serverView(this.ctx, deviceId, signal));
  }

  listDevices(signal: AbortSignal): Promise<devices.AccountDevice[]> {
    return this.run(() => devices.listDevices(this.ctx, signal));
  }

  deviceExists(deviceId: string, signal: AbortSignal): Promise<boolean> {
    return this.run(() => devices.deviceExists(this.ctx, deviceId, signal));
  }

  setDisplayName(displayName: string, signal: AbortSignal): Promise<void> {
    return this.run(() => devices.setDisplayName(this.ctx, displayName, signal));
  }

  /** The account page where the user signs out another device (MSC4191 `org.matrix.session_end`). */
  signOutOtherDeviceUrl(deviceId: string, signal: AbortSignal): Promise<string> {
    return this.run(async () =>
      devices.accountPageUrl(
        await devices.accountManagementUri(this.ctx, signal),
        "org.matrix.session_end",
        deviceId,
      ),
    );
  }

  /**
   * Signs this device out: revokes its tokens (at the OAuth server when the token source can, else
   * `POST /logout`), then deletes the profile's local data for it (tokens, crypto store, account). The device is
   * stopped afterwards; a failed revocation leaves everything in place, to try again.
   */
  async signOut(signal: AbortSignal): Promise<void> {
    await this.run(async () => {
      if (this.tokens.revoke !== undefined) {
        await this.tokens.revoke(signal);
      } else {
        const { status } = await this.ctx.request("POST", "/_matrix/client/v3/logout", signal, {});
        if (status !== 200) {
          throw new MatrixError("server_error", `POST /logout: unexpected HTTP ${status}`, {
            reason: String(status),
          });
        }
      }
    });
    this.stateValue = "stopped";
    await this.halt();
    await this.store.discard();
    await this.profile.forgetDevice("here");
  }

  /**
   * Stops the sync loop and the crypto, then waits for the sync response the crypto was still taking in: only
   * then may the store be closed or dropped (sync-crypto-gate.ts).
   */
  private async halt(): Promise<void> {
    this.syncGate.close();
    this.client.stopClient();
    await this.syncGate.settled();
  }

  /** Stops syncing, saves the crypto store and releases it. The profile stays open (the caller closes it). */
  async stop(): Promise<void> {
    if (this.stateValue === "signed_out") {
      await this.signingOut;
      return;
    }
    if (this.stateValue === "stopped") return;
    this.stateValue = "stopped";
    await this.halt();
    await this.store.close();
  }
}

function resolveTimings(options: StartDeviceOptions["timings"]): DeviceTimings {
  return {
    ...DEFAULT_DEVICE_TIMINGS,
    ...options,
    retry: { ...DEFAULT_DEVICE_TIMINGS.retry, ...options?.retry },
  };
}

function waitForFirstSync(
  client: MatrixClient,
  device: MatrixDevice,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const signedOut = (): MatrixError =>
      new MatrixError("signed_out", "the homeserver no longer accepts this device's token");
    const finish = (error?: unknown): void => {
      clearTimeout(timer);
      client.off(ClientEvent.Sync, onSync);
      stopListening();
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new Error("the first sync was aborted"));
    };
    const onSync = (state: SyncState): void => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) finish();
    };
    const onAbort = (): void => {
      finish(signal?.reason);
    };
    const stopListening = device.onSignedOut(() => {
      finish(signedOut());
    });
    const timer = setTimeout(() => {
      finish(new MatrixError("network", "the first sync with the homeserver did not complete in time"));
    }, timeoutMs);
    timer.unref();
    client.on(ClientEvent.Sync, onSync);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Starts the profile's device: opens its crypto store (restoring the snapshot), starts matrix-js-sdk with Rust
 * crypto, and waits for the first sync. A new device passes `account` (recorded in the profile); a profile that
 * is not signed in and gets no account is a TypeError. `signed_out` when the server refuses the token already.
 */
export async function startDevice(options: StartDeviceOptions): Promise<MatrixDevice> {
  const { profile, runtime, tokens } = options;
  if (options.account !== undefined) await profile.setAccount(options.account);
  const account = profile.account;
  if (account === undefined) throw new TypeError(`the profile ${profile.dir} is not signed in`);
  const timings = resolveTimings(options.timings);
  const storageKey = await profile.cryptoStoreKey();
  const store = await DurableCryptoStore.open({
    file: profile.snapshotFile,
    storageKey,
    ...options.cryptoStore,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  let device: MatrixDevice | undefined;
  // Set by the HTTP layer when the token is refused before the device exists (initRustCrypto's first request).
  const early = { signedOut: false };
  const secretStorageKeys = new SecretStorageKeyCache();
  const fetch = createMatrixFetch({
    runtime,
    baseUrl: account.homeserver,
    tokens,
    beforePublish: () => store.flush(),
    onSignedOut: () => {
      if (device === undefined) early.signedOut = true;
      else device.handleSignedOut();
    },
    isStopped: () => device !== undefined && device.state !== "running",
  });
  const client = createClient({
    baseUrl: account.homeserver,
    userId: account.userId,
    deviceId: account.deviceId,
    fetchFn: fetch,
    logger: options.logger ?? silentLogger,
    cryptoCallbacks: {
      getSecretStorageKey: secretStorageKeys.getSecretStorageKey,
      cacheSecretStorageKey: secretStorageKeys.cacheSecretStorageKey,
    },
  });
  try {
    await client.initRustCrypto({ cryptoDatabasePrefix: store.cryptoDatabasePrefix, storageKey });
    const crypto = client.getCrypto();
    if (crypto === undefined) throw new TypeError("matrix-js-sdk started without crypto");
    device = new MatrixDevice({
      account,
      profile,
      client,
      crypto,
      store,
      tokens,
      runtime,
      timings,
      secretStorageKeys,
      fetch,
      onError: options.onError,
    });
    if (early.signedOut) {
      device.handleSignedOut();
      throw new MatrixError("signed_out", "the homeserver no longer accepts this device's token");
    }
    const firstSync = waitForFirstSync(client, device, timings.firstSyncTimeoutMs, options.signal);
    await client.startClient({ initialSyncLimit: 0 });
    await firstSync;
    return device;
  } catch (error) {
    if (device === undefined) {
      client.stopClient();
      await store.discard();
    } else if (device.state === "signed_out") {
      // A failure to forget the device went to `onError`; the caller hears why the start failed.
      await device.signedOut().catch(() => undefined);
    } else {
      await device.stop();
    }
    throw error;
  }
}
