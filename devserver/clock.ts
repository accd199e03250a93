// The devserver's time source. Every lifetime and timestamp reads it, so tests can move time forward (session
// expiry, periodic eviction) instead of waiting.

export interface Clock {
  /** Milliseconds since the Unix epoch: the base source plus everything `advance` added. */
  now(): number;
  /** Moves this clock forward by `ms` (never backwards). */
  advance(ms: number): void;
  /** Everything `advance` added so far: for parts that run on real time but honour moves (OAuth polling). */
  advancedMs(): number;
}

export function createClock(base: () => number = Date.now): Clock {
  let offset = 0;
  return {
    now: () => base() + offset,
    advance(ms: number): void {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot advance the clock by ${ms} ms`);
      offset += ms;
    },
    advancedMs: () => offset,
  };
}
