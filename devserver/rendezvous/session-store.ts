// The session table both rendezvous APIs share, with Synapse's lifetime and eviction rules
// (`rust/src/rendezvous/mod.rs`, `rust/src/msc4388_rendezvous/mod.rs`):
// - a session is gone once `now >= expiresAt` (lifetime counted from creation, never extended);
// - creating a session when `hardLimit` are stored first drops expired ones and then the oldest down to
//   `softLimit`;
// - a sweep every `sweepIntervalMs` (Synapse's 60 s looping call) does the same. It runs lazily: before each
//   operation every sweep that fell due since the last one is applied, at its own due time, which is what the
//   periodic timer would have done because nothing changed in between.
import type { Clock } from "../clock";

export interface StoredSession {
  readonly expiresAt: number;
}

export interface SessionStoreLimits {
  readonly softLimit: number;
  readonly hardLimit: number;
  readonly sweepIntervalMs: number;
}

/** Synapse's eviction interval for both APIs. */
const SWEEP_INTERVAL_MS = 60_000;

export class SessionStore<Session extends StoredSession> {
  // A Map iterates in insertion order, which is creation order: Synapse evicts the smallest ULID, i.e. the oldest.
  private readonly sessions = new Map<string, Session>();
  private nextSweepAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly limits: SessionStoreLimits,
  ) {
    this.nextSweepAt = clock.now() + limits.sweepIntervalMs;
  }

  /** Stores a new session, making room first the way Synapse does on create. */
  insert(id: string, session: Session): void {
    const now = this.sweepIfDue();
    if (this.sessions.size >= this.limits.hardLimit) this.evict(now);
    this.sessions.set(id, session);
  }

  /** The live session with this ID, or undefined when unknown, expired or evicted. */
  get(id: string): Session | undefined {
    const now = this.sweepIfDue();
    const session = this.sessions.get(id);
    return session !== undefined && now < session.expiresAt ? session : undefined;
  }

  /** Removes a live session; false when there was none. */
  delete(id: string): boolean {
    if (this.get(id) === undefined) return false;
    return this.sessions.delete(id);
  }

  /** How many sessions are stored, expired ones included until a sweep drops them. */
  get size(): number {
    return this.sessions.size;
  }

  private sweepIfDue(): number {
    const now = this.clock.now();
    if (now >= this.nextSweepAt) {
      const intervals = Math.floor((now - this.nextSweepAt) / this.limits.sweepIntervalMs);
      const lastDue = this.nextSweepAt + intervals * this.limits.sweepIntervalMs;
      this.evict(lastDue);
      this.nextSweepAt = lastDue + this.limits.sweepIntervalMs;
    }
    return now;
  }

  private evict(at: number): void {
    for (const [id, session] of this.sessions) {
      if (at >= session.expiresAt) this.sessions.delete(id);
    }
    for (const id of this.sessions.keys()) {
      if (this.sessions.size <= this.limits.softLimit) break;
      this.sessions.delete(id);
    }
  }
}

/** A store with Synapse's limits for both APIs: `capacity` soft, twice that hard, a sweep every 60 s. */
export function synapseSessionStore<Session extends StoredSession>(
  clock: Clock,
  capacity: number,
): SessionStore<Session> {
  return new SessionStore<Session>(clock, {
    softLimit: capacity,
    hardLimit: 2 * capacity,
    sweepIntervalMs: SWEEP_INTERVAL_MS,
  });
}
