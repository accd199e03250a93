// The store keeps the contract's two rules on the view's side: a snapshot whose seq is not newer than the one
// shown is dropped, and a command the shown snapshot does not accept is never sent. A flow the user left does
// not come back with its late snapshots, a device signed out elsewhere returns to the welcome screen, and a QR
// code replaced while it waits is announced.
import { describe, expect, it } from "vitest";
import type { FlowSnapshot } from "../src-shared/flow";
import { SIGNED_IN, snapshot } from "./canned";
import { t } from "./copy/format";
import { FakeEngine } from "./fake-engine";
import { createAppStore } from "./store";

const direction = { role: "existing_device", side: "generator" } as const;

function connecting(seq: number, flowId = "canned"): FlowSnapshot {
  return snapshot({ phase: "connecting" }, { ...direction, accepts: ["cancel"] }, seq, flowId);
}

function entry(seq: number, flowId = "canned"): FlowSnapshot {
  return snapshot(
    { phase: "check_code_entry", attemptsLeft: 2, mismatch: false },
    { ...direction, accepts: ["submitCheckCode", "cancel"] },
    seq,
    flowId,
  );
}

async function started() {
  const engine = new FakeEngine({ canned: "home", pace: 5 });
  const store = createAppStore(engine, true);
  await store.getState().init({ initialView: "home" });
  return { engine, store };
}

describe("the store", () => {
  it("shows only snapshots newer than the one on screen", async () => {
    const { engine, store } = await started();
    engine.emitSnapshot(entry(3));
    expect(store.getState().flow?.seq).toBe(3);
    expect(store.getState().view).toBe("flow");
    engine.emitSnapshot(connecting(2));
    engine.emitSnapshot(connecting(3));
    expect(store.getState().flow?.phase).toBe("check_code_entry");
    engine.emitSnapshot(connecting(4));
    expect(store.getState().flow?.phase).toBe("connecting");
    // Another flow's snapshot does not replace the one this view follows.
    engine.emitSnapshot(entry(9, "f2"));
    expect(store.getState().flow?.flowId).toBe("canned");
  });

  it("never sends a command the snapshot does not accept", async () => {
    const { engine, store } = await started();
    engine.emitSnapshot(connecting(1));
    const before = engine.received.length;
    const answer = await store.getState().send({ type: "submitCheckCode", code: "42" });
    expect(answer).toMatchObject({ type: "rejected", reason: "not_accepted_now" });
    expect(engine.received.length).toBe(before);
    engine.emitSnapshot(entry(2));
    expect(await store.getState().send({ type: "submitCheckCode", code: "42" })).toEqual({
      type: "accepted",
    });
    expect(engine.received.at(-1)).toMatchObject({
      name: "flow.command",
      request: { flowId: "canned", command: { type: "submitCheckCode", code: "42" } },
    });
  });

  it("remembers the step reached before an error", async () => {
    const { engine, store } = await started();
    engine.emitSnapshot(entry(1));
    engine.emitSnapshot(
      snapshot(
        { phase: "error", error: { code: "expired", retryable: true, message: "gone" } },
        { ...direction, accepts: ["newQr", "cancel"] },
        2,
        "canned",
      ),
    );
    expect(store.getState().lastStep).toBe(1);
    expect(store.getState().flow?.phase).toBe("error");
  });

  it("says so when a fresh QR code replaces the one shown, and keeps it full screen", async () => {
    const { engine, store } = await started();
    const showing = (seq: number, serial: number): FlowSnapshot =>
      snapshot({ phase: "showing_qr", qr: "TUFUUklY", serial }, { ...direction, accepts: ["cancel"] }, seq);
    engine.emitSnapshot(showing(1, 1));
    store.getState().setFullscreenQr(true);
    expect(store.getState().notice).toBeUndefined();
    // The generator makes a new rendezvous between the two codes (docs/protocol.md §5, A-G1 again).
    engine.emitSnapshot(snapshot({ phase: "preparing" }, { ...direction, accepts: ["cancel"] }, 2));
    engine.emitSnapshot(showing(3, 2));
    expect(store.getState().notice?.text).toBe(t("flow.qrWasReplaced"));
    expect(store.getState().fullscreenQr).toBe(true);
    // Another flow's first QR code is no replacement.
    await store.getState().leaveFlow();
    store.getState().dispose();
    const fresh = await started();
    fresh.engine.emitSnapshot(showing(1, 1));
    expect(fresh.store.getState().notice).toBeUndefined();
  });

  it("does not bring back a flow the user left", async () => {
    const { engine, store } = await started();
    engine.emitSnapshot(connecting(1));
    await store.getState().leaveFlow();
    expect(store.getState().view).toBe("home");
    engine.emitSnapshot(
      snapshot(
        { phase: "error", error: { code: "cancelled_here", retryable: true, message: "cancelled" } },
        { ...direction, accepts: [] },
        2,
        "canned",
      ),
    );
    expect(store.getState().view).toBe("home");
    expect(store.getState().flow).toBeUndefined();
  });

  it("goes back to the welcome screen when the device is signed out elsewhere", async () => {
    const { engine, store } = await started();
    expect(store.getState().view).toBe("home");
    engine.emit("account.state", { ...SIGNED_IN, status: "signed_out", signedOutReason: "signed_out" });
    expect(store.getState().view).toBe("welcome");
    expect(store.getState().account?.signedOutReason).toBe("signed_out");
  });

  it("follows a whole simulated sign-in to the end", async () => {
    const engine = new FakeEngine({ pace: 2 });
    const store = createAppStore(engine, true);
    await store.getState().init();
    await store.getState().startFlow({ kind: "sign_in", side: "scan" });
    await expect.poll(() => store.getState().flow?.phase).toBe("scanning");
    await store.getState().send({ type: "submitScannedQr", bytes: "TUFUUklY" });
    await expect.poll(() => store.getState().flow?.phase, { timeout: 2000 }).toBe("done");
    expect(store.getState().account?.status).toBe("signed_in");
    const phases = new Set(store.getState().transcript.map((item) => item.kind));
    expect(phases.has("step")).toBe(true);
  });
});
