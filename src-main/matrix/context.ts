// What the device's operations (encryption setup, the secrets bundle, the server's view, devices) share: the
// running matrix-js-sdk client and its Rust crypto, the account, the timings, the recovery keys known for the
// length of one operation, and requests to the homeserver through the device's own fetch.
import type { MatrixClient } from "matrix-js-sdk";
import type { CryptoApi } from "matrix-js-sdk/lib/crypto-api/index.js";
import type { Runtime } from "../protocol";
import type { JsonResponse, RetryOptions } from "./http";
import type { Profile, ProfileAccount } from "./profile";

export interface DeviceTimings {
  /** How long to wait for this device's keys to appear on the server (default 10 s). */
  readonly deviceKeysTimeoutMs: number;
  /** How often to look while waiting for the server (default 250 ms). */
  readonly pollIntervalMs: number;
  /** How long to wait for the first sync when the device starts (default 30 s). */
  readonly firstSyncTimeoutMs: number;
  /** Retries of the device's own requests (network, 429, 5xx). */
  readonly retry: Required<RetryOptions>;
}

export const DEFAULT_DEVICE_TIMINGS: DeviceTimings = {
  deviceKeysTimeoutMs: 10_000,
  pollIntervalMs: 250,
  firstSyncTimeoutMs: 30_000,
  retry: { attempts: 3, backoffMs: 500, timeoutMs: 20_000 },
};

/**
 * The secret-storage (recovery) keys this device may use, by key ID: filled by an operation that was given the
 * key or created it, read by matrix-js-sdk's `getSecretStorageKey` callback, and cleared when the operation ends.
 * Never written anywhere.
 */
export class SecretStorageKeyCache {
  private readonly keys = new Map<string, Uint8Array<ArrayBuffer>>();

  add(keyId: string, privateKey: Uint8Array<ArrayBuffer>): void {
    this.keys.set(keyId, privateKey);
  }

  clear(): void {
    for (const key of this.keys.values()) key.fill(0);
    this.keys.clear();
  }

  /** matrix-js-sdk's `cryptoCallbacks.getSecretStorageKey`. */
  readonly getSecretStorageKey = ({
    keys,
  }: {
    keys: Record<string, unknown>;
  }): Promise<[string, Uint8Array<ArrayBuffer>] | null> => {
    for (const keyId of Object.keys(keys)) {
      const key = this.keys.get(keyId);
      if (key !== undefined) return Promise.resolve([keyId, key]);
    }
    return Promise.resolve(null);
  };

  /** matrix-js-sdk's `cryptoCallbacks.cacheSecretStorageKey`: a key it just created, for the rest of the operation. */
  readonly cacheSecretStorageKey = (keyId: string, _info: unknown, key: Uint8Array<ArrayBuffer>): void => {
    this.add(keyId, new Uint8Array(key));
  };
}

export interface DeviceContext {
  readonly client: MatrixClient;
  readonly crypto: CryptoApi;
  readonly runtime: Runtime;
  readonly profile: Profile;
  readonly account: ProfileAccount;
  readonly timings: DeviceTimings;
  readonly secretStorageKeys: SecretStorageKeyCache;
  /** A request to the homeserver (`path` percent-encoded, under the base URL), typed errors per `requestJson`. */
  request(method: string, path: string, signal: AbortSignal, body?: unknown): Promise<JsonResponse>;
  /** Throws `signed_out` when the session ended, a TypeError when the device was stopped. */
  assertRunning(): void;
}
