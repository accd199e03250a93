// The door between matrix-js-sdk's sync loop and the Rust crypto: each sync response's to-device messages,
// device-list changes and key counts go to the crypto in one call (`processSyncChanges`), which reads and writes
// the crypto store while it runs. `stopClient()` stops the sync loop but does not wait for a call already under
// way, so a store closed or dropped right after it (sign-out, stop) pulled the databases from under that call:
// matrix-js-sdk then logged "Error passing sync changes to the crypto layer … InvalidStateError", and the
// snapshot taken on close could miss what the call wrote. The gate counts the calls in flight, refuses new ones
// once closed, and lets the device wait for the rest before it touches the store.
import type { CryptoApi } from "matrix-js-sdk/lib/crypto-api/index.js";

/** The part of matrix-js-sdk's `SyncCryptoCallbacks` (its crypto backend) the gate wraps. */
interface SyncCryptoCallbacks {
  processSyncChanges(changes: unknown): Promise<unknown[]>;
}

export class SyncCryptoGate {
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  /**
   * Wraps the crypto backend's `processSyncChanges` on this instance (matrix-js-sdk calls it as a method of the
   * object it got as `cryptoCallbacks`, which is the object `getCrypto()` returns).
   */
  constructor(crypto: CryptoApi) {
    const callbacks = crypto as unknown as Partial<SyncCryptoCallbacks>;
    const original = callbacks.processSyncChanges;
    if (typeof original !== "function") {
      throw new TypeError("matrix-js-sdk's crypto has no processSyncChanges to guard");
    }
    callbacks.processSyncChanges = (changes) => {
      // A response that arrives after the stop is dropped, as the stopped sync loop would have dropped it: the
      // server keeps to-device messages until a later sync acknowledges them.
      if (this.closed) return Promise.resolve([]);
      const call = original.call(crypto, changes);
      const settled = call.then(
        () => undefined,
        () => undefined,
      );
      this.inFlight.add(settled);
      void settled.then(() => this.inFlight.delete(settled));
      return call;
    };
  }

  /** Refuses the calls still to come. */
  close(): void {
    this.closed = true;
  }

  /** Resolves once no call is under way (whether they succeeded is matrix-js-sdk's to report). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
