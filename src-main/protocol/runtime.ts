// The one seam between the app's logic and the world: the network, the clock, sleeping, randomness and the
// transcript. Every part (rendezvous, OAuth, the Matrix device, the flows) takes a Runtime instead of reaching
// for globals, so the same code runs in Node, in Electron's main process and under test with a virtual clock,
// a scripted network and fixed keys.
import type { TranscriptSink } from "../../src-shared/transcript";
import { secureRandom, type RandomSource } from "./random";
import { realSleep, type Now, type Sleep } from "./rendezvous/timing";
import type { FetchFunction } from "./rendezvous/transport";

export interface Runtime {
  /** WHATWG fetch (Node's global, Electron's `net.fetch`, a test script). */
  readonly fetch: FetchFunction;
  /** Milliseconds since the epoch; every deadline and expiry is computed on this clock. */
  readonly now: Now;
  /** Waits on the same clock as `now`; rejects with the signal's reason when it aborts. */
  readonly sleep: Sleep;
  readonly random: RandomSource;
  /** Receives one entry per HTTP request and per decrypted message type; never a secret. */
  readonly transcript: TranscriptSink;
}

const discard: TranscriptSink = () => undefined;

/** The real world (global fetch, `Date.now`, timers, the platform CSPRNG), with any part replaced. */
export function createRuntime(overrides: Partial<Runtime> = {}): Runtime {
  return {
    fetch: overrides.fetch ?? ((url, init) => globalThis.fetch(url, init)),
    now: overrides.now ?? Date.now,
    sleep: overrides.sleep ?? realSleep,
    random: overrides.random ?? secureRandom,
    transcript: overrides.transcript ?? discard,
  };
}
