// The session table's lifetime and eviction rules (Synapse `rust/src/rendezvous/mod.rs` evict / handle_post).
import { describe, expect, it } from "vitest";
import { createClock } from "../clock";
import { SessionStore } from "./session-store";

const START = 1_000_000;

function storeWith(soft: number, hard: number, sweepIntervalMs = 60_000) {
  const clock = createClock(() => START);
  const store = new SessionStore<{ expiresAt: number }>(clock, {
    softLimit: soft,
    hardLimit: hard,
    sweepIntervalMs,
  });
  return { clock, store, live: (ids: readonly string[]) => ids.filter((id) => store.get(id) !== undefined) };
}

describe("session store", () => {
  it("a session is live until the millisecond before expiresAt", () => {
    const { clock, store } = storeWith(10, 20);
    store.insert("a", { expiresAt: START + 100 });
    clock.advance(99);
    expect(store.get("a")).toBeDefined();
    clock.advance(1);
    expect(store.get("a")).toBeUndefined();
    expect(store.delete("a")).toBe(false);
  });

  it("inserting at the hard limit drops expired sessions, then the oldest down to the soft limit", () => {
    const { store, live } = storeWith(2, 4);
    const ids = ["a", "b", "c", "d", "e"];
    store.insert("a", { expiresAt: START + 1_000 });
    for (const id of ids.slice(1)) store.insert(id, { expiresAt: START + 10_000 });
    expect(live(ids)).toEqual(["c", "d", "e"]);
    expect(store.size).toBe(3);
  });

  it("a sweep falls due every interval and keeps only the newest soft-limit sessions", () => {
    const { clock, store, live } = storeWith(2, 100, 60_000);
    for (const id of ["a", "b", "c"]) store.insert(id, { expiresAt: START + 1_000_000 });
    clock.advance(59_999);
    expect(live(["a", "b", "c"])).toEqual(["a", "b", "c"]);
    clock.advance(1);
    expect(live(["a", "b", "c"])).toEqual(["b", "c"]);
  });

  it("an overdue sweep is applied before the next insert, so the new session does not count against it", () => {
    const { clock, store, live } = storeWith(1, 100, 60_000);
    store.insert("a", { expiresAt: START + 1_000_000 });
    clock.advance(90_000);
    store.insert("b", { expiresAt: START + 1_000_000 });
    expect(live(["a", "b"])).toEqual(["a", "b"]);
    clock.advance(30_000);
    expect(live(["a", "b"])).toEqual(["b"]);
  });
});
