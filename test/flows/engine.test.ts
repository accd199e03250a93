// The engine as the hosts drive it, through the contract only: a signed-in profile is reopened (its device
// resumes from disk), links a new profile that scans its QR code, and both report the result as account states;
// commands the snapshot does not accept are refused with a typed answer; nothing in any event carries a token.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevserver, type Devserver } from "../../devserver/index";
import { createEngine, type Engine, type EngineEvent } from "../../src-main/engine";
import { Account } from "../../src-main/engine/account";
import { Profile } from "../../src-main/matrix";
import { discoverAuthMetadata, pollDeviceToken, startDeviceAuthorization } from "../../src-main/oauth";
import { createRuntime } from "../../src-main/protocol";
import { EVENTS, readEvent } from "../../src-shared/contract";
import type { FlowSnapshot } from "../../src-shared/flow";
import { TEST_CRYPTO_STORE, TEST_TIMINGS, postHook } from "../helpers/matrix-device";
import { expectStepsOnFlowCalls } from "./flow-calls";
import { DEVSERVER, FLOW_TEST_TIMINGS } from "./harness";

const signal = new AbortController().signal;

let server: Devserver;
let root: string;

/** Signs a profile in with the device grant and sets up its encryption, then closes it (as an earlier run). */
async function signedInProfile(dir: string): Promise<void> {
  const runtime = createRuntime();
  const profile = await Profile.open({ location: { dir }, app: "test" });
  const account = new Account({
    runtime,
    profile,
    allowInsecureHttp: true,
    device: { timings: TEST_TIMINGS, cryptoStore: TEST_CRYPTO_STORE },
  });
  const metadata = await discoverAuthMetadata(server.baseUrl, { runtime, signal, allowInsecureHttp: true });
  const clientId = await account.clientId(metadata, signal);
  const authorization = await startDeviceAuthorization({
    runtime,
    signal,
    allowInsecureHttp: true,
    metadata,
    clientId,
    deviceId: "ENGINEEXISTING",
  });
  await postHook(server, "/_devserver/approve", {
    user_code: authorization.userCode,
    user: "alice",
    approve: true,
  });
  const tokens = await pollDeviceToken(authorization, {
    runtime,
    signal,
    allowInsecureHttp: true,
    intervalFloorMs: 200,
  });
  const device = await account.signedIn(
    { baseUrl: server.baseUrl, metadata, clientId, deviceId: "ENGINEEXISTING", tokens },
    signal,
  );
  await device.setUpEncryption(signal);
  await account.stop();
  await profile.close();
}

function engineFor(dir: string, events: EngineEvent[]): Promise<Engine> {
  return createEngine({
    location: { dir },
    app: "test",
    allowInsecureHttp: true,
    timings: FLOW_TEST_TIMINGS,
    device: { timings: TEST_TIMINGS, cryptoStore: TEST_CRYPTO_STORE },
    openUrl: () => Promise.resolve("opened"),
  }).then((engine) => {
    engine.subscribe((event) => events.push(event));
    return engine;
  });
}

function latest(events: readonly EngineEvent[], flowId: string): FlowSnapshot | undefined {
  const snapshots = events.flatMap((event) =>
    event.name === "flow.snapshot" && event.payload.flowId === flowId ? [event.payload] : [],
  );
  return snapshots.at(-1) as FlowSnapshot | undefined;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  // Access tokens of 62 s, one second more than the refresher's margin: from then on the account refreshes at
  // each use, in the middle of the flows too, and those refreshes must carry the flow's step.
  server = await startDevserver({ ...DEVSERVER, accessTokenTtlS: 62 });
  root = await mkdtemp(join(tmpdir(), "mql-engine-"));
  await signedInProfile(join(root, "existing"));
}, 60_000);

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe("the engine, driven through the contract", () => {
  it("resumes a signed-in profile and links a new one that scans its QR code", async () => {
    const existingEvents: EngineEvent[] = [];
    const newEvents: EngineEvent[] = [];
    const existing = await engineFor(join(root, "existing"), existingEvents);
    const fresh = await engineFor(join(root, "new"), newEvents);
    try {
      const before = await existing.invoke("account.get", {});
      expect(before).toMatchObject({
        ok: true,
        value: { status: "signed_in", verified: true, crossSigning: "ready" },
      });
      expect(await fresh.invoke("account.get", {})).toMatchObject({
        ok: true,
        value: { status: "signed_out" },
      });

      const shown = await existing.invoke("flow.start", { kind: "link", side: "show" });
      const scanning = await fresh.invoke("flow.start", { kind: "sign_in", side: "scan" });
      if (!shown.ok || !scanning.ok) throw new Error("a flow did not start");
      const showId = shown.value.flowId;
      const scanId = scanning.value.flowId;

      // A command the snapshot does not take is refused, and changes nothing.
      expect(
        await existing.invoke("flow.command", {
          flowId: showId,
          command: { type: "approveDevice", approve: true },
        }),
      ).toEqual({
        ok: true,
        value: expect.objectContaining({ type: "rejected", reason: "not_accepted_now" }) as unknown,
      });

      const qr = await until("the QR code", () => {
        const snapshot = latest(existingEvents, showId);
        return snapshot?.phase === "showing_qr" ? snapshot.qr : undefined;
      });
      await until("the scanner", () => (latest(newEvents, scanId)?.phase === "scanning" ? true : undefined));
      await fresh.invoke("flow.command", { flowId: scanId, command: { type: "submitScannedQr", bytes: qr } });
      const code = await until("the check code", () => {
        const snapshot = latest(newEvents, scanId);
        return snapshot?.phase === "check_code_display" ? snapshot.code : undefined;
      });
      await until("the code entry", () =>
        latest(existingEvents, showId)?.phase === "check_code_entry" ? true : undefined,
      );
      await existing.invoke("flow.command", { flowId: showId, command: { type: "submitCheckCode", code } });
      await until("the approval", () =>
        latest(existingEvents, showId)?.phase === "approve_device" ? true : undefined,
      );
      await existing.invoke("flow.command", {
        flowId: showId,
        command: { type: "approveDevice", approve: true },
      });
      const userCode = await until("the user code", () => {
        const snapshot = latest(newEvents, scanId);
        return snapshot?.phase === "waiting_for_approval" ? snapshot.userCode : undefined;
      });
      await postHook(server, "/_devserver/approve", { user_code: userCode, user: "alice", approve: true });

      const newDone = await until("the new device's end", () => {
        const snapshot = latest(newEvents, scanId);
        return snapshot?.phase === "done" || snapshot?.phase === "error" ? snapshot : undefined;
      });
      expect(newDone).toMatchObject({ phase: "done", verified: true, backup: true });
      const existingDone = await until("the existing device's end", () => {
        const snapshot = latest(existingEvents, showId);
        return snapshot?.phase === "done" || snapshot?.phase === "error" ? snapshot : undefined;
      });
      expect(existingDone).toMatchObject({ phase: "done" });

      await until("the new account state", () =>
        newEvents.some((event) => event.name === "account.state" && event.payload.status === "signed_in")
          ? true
          : undefined,
      );
      expect(await fresh.invoke("account.get", {})).toMatchObject({
        ok: true,
        value: { status: "signed_in", verified: true, crossSigning: "ready" },
      });

      // Every event is valid under the contract, and none carries the tokens of either device.
      const secrets = [
        existing.profile.tokens?.accessToken,
        fresh.profile.tokens?.accessToken,
        fresh.profile.tokens?.refreshToken,
      ].filter((value): value is string => value !== undefined);
      expect(secrets.length).toBeGreaterThan(1);
      for (const event of [...existingEvents, ...newEvents]) {
        expect(readEvent(event.name, event.payload).ok, event.name).toBe(true);
        const text = JSON.stringify(event.payload);
        for (const secret of secrets) expect(text).not.toContain(secret);
      }
      // The accounts' Matrix calls on the flows' behalf carry their steps; the clients' housekeeping is not there.
      expectStepsOnFlowCalls(existing.transcript.list(), "existing", "A");
      expectStepsOnFlowCalls(fresh.transcript.list(), "new", "A");
      // The short-lived tokens were refreshed while the flow ran, each refresh under its step.
      const refreshes = existing.transcript
        .list()
        .filter((entry) => entry.kind === "http" && entry.layer === "oauth" && entry.method === "POST");
      expect(refreshes.length).toBeGreaterThan(0);
      expect(refreshes.filter((entry) => entry.step === undefined)).toEqual([]);
      expect(Object.keys(EVENTS)).toContain("transcript.entry");
      expect(
        existingEvents.some((event) => event.name === "transcript.entry" && event.payload.step === "A-G12"),
      ).toBe(true);
    } finally {
      await existing.close();
      await fresh.close();
    }
  });

  it("refuses a second engine on a profile that is open, naming the holder", async () => {
    const first = await engineFor(join(root, "locked"), []);
    try {
      await expect(engineFor(join(root, "locked"), [])).rejects.toMatchObject({ code: "profile_in_use" });
    } finally {
      await first.close();
    }
  });

  it("checks a homeserver with the whole doctor: both rendezvous versions make a round trip", async () => {
    const engine = await engineFor(join(root, "doctor"), []);
    try {
      const outcome = await engine.invoke("doctor.run", { homeserver: server.baseUrl });
      if (!outcome.ok) throw new Error(`doctor.run failed: ${JSON.stringify(outcome)}`);
      const report = outcome.value;
      expect(report.ok).toBe(true);
      expect(report.checks.map((check) => `${check.id}: ${check.status}`)).toEqual(
        expect.arrayContaining(["round_trip_v2024: ok", "round_trip_v2025: ok", "device_authorization: ok"]),
      );
    } finally {
      await engine.close();
    }
  });
});
