// Model-based tests of the two state machines (docs/protocol.md §5): fast-check generates a sequence (who runs our
// real flow and on which side, the wire version, what its user does and when, a server fault on its path, and
// how a scripted peer built from the protocol core behaves: by the book, or sending a message of the wrong type,
// out of order, replayed, twice, tampered or malformed, a failure, or nothing at all, or deleting the session).
// One real flow runs against that peer on the devserver; after every sequence the invariants are checked:
//
// - secrets leave the existing device only once the channel is established, `m.login.success` has arrived and the
//   device named in `m.login.protocol` answers 200 (in that order);
// - both sides end, in terminal states that agree (PEER_ENDINGS); the real flow never ends `internal_error`;
// - no unhandled rejection; no timer, poll or request of either side left running;
// - the rendezvous is deleted by whoever read the last message of it, or left to expire.
//
// `npm run stress:flows -- --runs N --seed S` runs as many as asked (MODEL_RUNS, MODEL_SEED); CI runs a fixed-seed
// sample. A failure prints fast-check's seed and path, which replay it.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Account } from "../../src-main/engine/account";
import type { FlowController, FlowOutcome } from "../../src-main/flows/controller";
import type { ExistingDeviceAccount } from "../../src-main/flows/ports";
import {
  PEER_ENDINGS,
  RENDEZVOUS_SESSION_PATH,
  type Ending,
  type NetworkFault,
} from "../../src-main/flows/scenarios";
import { startFlow } from "../../src-main/flows/start";
import { Profile } from "../../src-main/matrix";
import {
  createRuntime,
  DEVICE_AUTHORIZATION_GRANT,
  encodeBase64,
  decodeBase64,
  isRendezvousError,
  type LoginMessage,
  type RequestRateLimit,
  type WireVersion,
} from "../../src-main/protocol/testing";
import { receivedFailureToFlowError, type FlowErrorCode } from "../../src-shared/errors";
import type { FlowPhaseName, FlowSnapshot } from "../../src-shared/flow";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.testing";
import { TEST_CRYPTO_STORE, TEST_TIMINGS } from "../helpers/matrix-device";
import {
  countingHost,
  createFlowWorld,
  FLOW_TEST_TIMINGS,
  postHook,
  type CountingHost,
  type FlowWorld,
} from "./harness";
import { scanAsPeer, showAsPeer, type ScriptedPeer } from "./scripted-peer";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** CI's sample: a sequence takes 0.3 to 3 s on 2 shared cores, most under a second. */
const RUNS = Number(process.env.MODEL_RUNS ?? 200);
const SEED = Number(process.env.MODEL_SEED ?? 4108);
/** `npm run stress:flows -- --path P`: replays one sequence. */
const REPLAY_PATH = process.env.MODEL_PATH;
/** MODEL_SEQUENCES='[{…}, …]': runs these sequences (as a failure or MODEL_VERBOSE prints them), in order. */
const ONLY =
  process.env.MODEL_SEQUENCES === undefined
    ? undefined
    : (JSON.parse(process.env.MODEL_SEQUENCES) as readonly Sequence[]);
/** Where `npm run stress:flows` reads the run's summary. */
const RESULTS_FILE = process.env.MODEL_RESULTS;
/** MODEL_VERBOSE=1: one line per sequence (its time, endings and shape). */
const VERBOSE = process.env.MODEL_VERBOSE === "1";
/** MODEL_DEBUG_HTTP=1 (with MODEL_VERBOSE): also every request of both sides. */
const DEBUG_HTTP = process.env.MODEL_DEBUG_HTTP === "1";
/** How many sequences ended with each pair of endings (real flow / scripted peer), for the summary. */
const endings = new Map<string, number>();

/** How long the real side's user looks at an unchanging screen before closing the window. */
const GIVE_UP_MS = 2_500;
/**
 * The same once the peer has broken the protocol on purpose, counted from the later of the misbehaviour and the
 * last change on screen: the invariants then ask only that the real side does not end `done`, and a silent peer
 * (or a v2024 replay, which looks like nothing new) would otherwise cost every such sequence the full wait.
 */
const GIVE_UP_AFTER_MISBEHAVIOUR_MS = 1_000;

/**
 * The rendezvous clients' rate ceiling in the model, for both sides: 40 a second, bursts of 20. The default (a
 * burst of 8, then 4 a second; the scenario rows keep it) paced most of a sequence's requests and made it a
 * wait; no invariant depends on the pace, and the polls here are 50 to 150 ms apart anyway.
 */
const MODEL_RATE_LIMIT: RequestRateLimit = { burst: 20, perSecond: 40, windowMs: 1_000 };

/**
 * The device grant's polling interval on the model's devserver and the new device's floor: a fifth of the scenario
 * rows' second, which was most of what a real new device's sequence waited.
 */
const GRANT_INTERVAL_MS = 200;

/** Shorter than the scenario rows: a sequence ends in a second or two. */
const MODEL_TIMINGS = {
  ...FLOW_TEST_TIMINGS,
  minGrantIntervalMs: GRANT_INTERVAL_MS,
  // The peer is a script that answers at once: polling for it as for a person only made the real side late.
  personActing: [{ everyMs: 50 }],
  deviceWaitMs: 600,
  verifyWaitMs: 100,
  cancelLingerMs: 300,
  rendezvousRateLimit: MODEL_RATE_LIMIT,
};

type Misbehaviour =
  | "wrong_type"
  | "out_of_order"
  | "replay"
  | "duplicate"
  | "tamper"
  | "malformed"
  | "failure"
  | "silent"
  | "vanish";

/** One generated sequence. */
interface Sequence {
  readonly version: WireVersion;
  /** The role our real flow plays; the scripted peer plays the other. */
  readonly real: "existing" | "new";
  readonly side: "generator" | "scanner";
  /** The peer behaves until its login message number `at` (0-based), then does `kind` instead. */
  readonly peer: { readonly at: number; readonly kind: Misbehaviour | "none" };
  /** The real side's user. */
  readonly user: {
    readonly cancelAt: FlowPhaseName | "never";
    readonly wrongCodes: 0 | 1 | 2;
    readonly approve: boolean;
    readonly lateMs: 0 | 250;
    /** The account's user (scripted existing device) denies the device grant on the consent page. */
    readonly denyGrant: boolean;
  };
  /** One fault on the real device's network path. */
  readonly fault: "none" | "502_put" | "429_get" | "drop_put" | "lost_put" | "truncate_get";
}

const FAULTS: Record<Exclude<Sequence["fault"], "none">, NetworkFault> = {
  "502_put": { method: "PUT", path: RENDEZVOUS_SESSION_PATH, fault: { kind: "status", status: 502 } },
  "429_get": {
    method: "GET",
    path: RENDEZVOUS_SESSION_PATH,
    skip: 1,
    fault: { kind: "status", status: 429, retryAfterMs: 200 },
  },
  drop_put: { method: "PUT", path: RENDEZVOUS_SESSION_PATH, fault: { kind: "drop_connection" } },
  lost_put: { method: "PUT", path: RENDEZVOUS_SESSION_PATH, fault: { kind: "lost_response" } },
  truncate_get: { method: "GET", path: RENDEZVOUS_SESSION_PATH, skip: 1, fault: { kind: "truncate_body" } },
};

const sequences: fc.Arbitrary<Sequence> = fc.record({
  version: fc.constantFrom<WireVersion>("v2024", "v2025"),
  // The real existing device is the cheap one (no device grant to poll): most sequences run it.
  real: fc.constantFrom<"existing" | "new">(
    "existing",
    "existing",
    "existing",
    "existing",
    "existing",
    "new",
  ),
  side: fc.constantFrom<"generator" | "scanner">("generator", "scanner"),
  peer: fc.record({
    at: fc.integer({ min: 0, max: 2 }),
    kind: fc.oneof(
      { arbitrary: fc.constant<Misbehaviour | "none">("none"), weight: 3 },
      {
        arbitrary: fc.constantFrom<Misbehaviour>(
          "wrong_type",
          "out_of_order",
          "replay",
          "duplicate",
          "tamper",
          "malformed",
          "failure",
          "silent",
          "vanish",
        ),
        weight: 7,
      },
    ),
  }),
  user: fc.record({
    cancelAt: fc.oneof(
      { arbitrary: fc.constant<FlowPhaseName | "never">("never"), weight: 7 },
      {
        arbitrary: fc.constantFrom<FlowPhaseName>(
          "showing_qr",
          "connecting",
          "check_code_entry",
          "check_code_display",
          "approve_device",
          "consent",
          "waiting_for_approval",
          "syncing_secrets",
        ),
        weight: 3,
      },
    ),
    wrongCodes: fc.constantFrom<0 | 1 | 2>(0, 0, 0, 1, 2),
    approve: fc.constantFrom(true, true, true, false),
    lateMs: fc.constantFrom<0 | 250>(0, 250),
    denyGrant: fc.constantFrom(false, false, false, true),
  }),
  fault: fc.constantFrom<Sequence["fault"]>(
    "none",
    "none",
    "none",
    "502_put",
    "429_get",
    "drop_put",
    "lost_put",
    "truncate_get",
  ),
});

/** What the sequence left behind, for the invariants. */
interface Trace {
  /** In order: what the real existing device sealed, received, and learnt of devices. */
  readonly events: { kind: "seal" | "received" | "device"; what: string }[];
  /** The device ID the peer named in `m.login.protocol` (as the new device). */
  namedDevice?: string;
  /** The check code was typed right on the real generator (or the real side scans). */
  established: boolean;
  /** How the peer ended, as our flow would show it; `misbehaved` when it broke the protocol on purpose. */
  peerEnding?: Ending | "misbehaved";
  /** When the peer broke the protocol on purpose (its turn's misbehaviour went out). */
  misbehavedAt?: number;
  rendezvousUrl?: string | undefined;
  /** Whether the real side read the last message written to the rendezvous. */
  realReadLast: boolean;
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await wait(10);
  }
  return true;
}

/** The next message the peer sends as the new device / existing device, by its turn number. */
function peerMessages(
  role: "new" | "existing",
  direction: "A" | "B",
  world: FlowWorld,
  deviceId: string,
): ((secrets: () => Promise<Record<string, unknown>>) => Promise<LoginMessage | Record<string, unknown>>)[] {
  if (role === "new") {
    return [
      () =>
        Promise.resolve({
          type: "m.login.protocol",
          protocol: DEVICE_AUTHORIZATION_GRANT,
          device_authorization_grant: { verification_uri: `${world.server.issuer}link` },
          device_id: deviceId,
        }),
      () => Promise.resolve({ type: "m.login.success" }),
    ];
  }
  const protocols = {
    type: "m.login.protocols",
    protocols: [DEVICE_AUTHORIZATION_GRANT],
    homeserver: world.server.baseUrl,
  };
  const later = [
    () => Promise.resolve({ type: "m.login.protocol_accepted" }),
    async (secrets: () => Promise<Record<string, unknown>>) => ({
      type: "m.login.secrets",
      ...(await secrets()),
    }),
  ];
  return direction === "B" ? [() => Promise.resolve(protocols), ...later] : later;
}

/** A message of another type than `expected`, valid in itself. */
function wrongType(expected: string): Record<string, unknown> {
  return expected === "m.login.protocol_accepted"
    ? { type: "m.login.success" }
    : { type: "m.login.protocol_accepted" };
}

describe("model-based sequences over both state machines (scripted peer, real flow, devserver)", () => {
  let world: FlowWorld;
  let profiles = 0;
  beforeAll(async () => {
    world = await createFlowWorld({ deviceCode: { intervalS: GRANT_INTERVAL_MS / 1000 } });
  }, 60_000);
  afterAll(async () => {
    await world.close();
  });

  async function runSequence(sequence: Sequence): Promise<void> {
    const startedAt = Date.now();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    const host = countingHost();
    const peerHost = countingHost();
    const trace: Trace = { events: [], established: sequence.side === "scanner", realReadLast: false };
    const transcript = host.transcript;
    const recordingHost: CountingHost = {
      ...host,
      transcript: (entry) => {
        transcript(entry);
        if (entry.kind === "message" && entry.direction === "received") {
          trace.events.push({ kind: "received", what: entry.messageType });
        }
      },
    };
    const stop = new AbortController();
    const signal = stop.signal;
    let proxy: FaultProxy | undefined;
    let newAccount: Account | undefined;
    let newProfile: Profile | undefined;
    let controller: FlowController | undefined;
    const snapshots: FlowSnapshot[] = [];
    let outcome: FlowOutcome | undefined;
    const direction: "A" | "B" =
      (sequence.real === "existing") === (sequence.side === "generator") ? "A" : "B";
    const peerRole = sequence.real === "existing" ? "new" : "existing";
    const deviceId = `MODEL${Date.now().toString(36).toUpperCase()}${profiles}`;
    try {
      if (sequence.fault !== "none") {
        proxy = await startFaultProxy(world.server.baseUrl);
        proxy.setFaults([FAULTS[sequence.fault]]);
        const route = proxy.route.bind(proxy);
        host.interceptFetch((next) => route(next));
      }
      const common = {
        timings: MODEL_TIMINGS,
        allowInsecureHttp: true,
        version: sequence.version,
        host: recordingHost,
        side: sequence.side,
        onSeal: (type: string) => trace.events.push({ kind: "seal", what: type }),
      } as const;
      if (sequence.real === "existing") {
        const port = world.existing.existingDevice();
        const watched: ExistingDeviceAccount = {
          ...port,
          deviceExists: async (id, s) => {
            const exists = await port.deviceExists(id, s);
            trace.events.push({ kind: "device", what: `${id}:${exists ? 200 : 404}` });
            return exists;
          },
        };
        controller = startFlow({ ...common, role: "existing_device", account: watched });
      } else {
        profiles += 1;
        newProfile = await Profile.open({
          location: { dir: join(world.root, `model-${profiles}`) },
          app: "test",
        });
        await newProfile.updateSettings({ homeserver: world.server.baseUrl });
        newAccount = new Account({
          runtime: createRuntime(),
          profile: newProfile,
          allowInsecureHttp: true,
          device: { timings: TEST_TIMINGS, cryptoStore: TEST_CRYPTO_STORE },
        });
        controller = startFlow({ ...common, role: "new_device", account: newAccount.newDevice(), deviceId });
      }
      const flow = controller;
      flow.subscribe((snapshot) => {
        snapshots.push(snapshot);
        if (snapshot.phase === "error") outcome ??= { ok: false, error: snapshot.error };
        react(snapshot);
      });
      void flow.finished.then((end) => {
        outcome ??= end;
      });

      // The real side's user.
      let codesTyped = 0;
      let cancelled = false;
      const cancelIf = (phase: FlowPhaseName): boolean => {
        if (cancelled || sequence.user.cancelAt !== phase) return false;
        cancelled = true;
        void wait(sequence.user.lateMs + 30).then(() => {
          flow.cancel();
        });
        return true;
      };
      function react(snapshot: FlowSnapshot): void {
        if (cancelIf(snapshot.phase)) return;
        if (snapshot.phase === "approve_device") {
          void wait(sequence.user.lateMs).then(() =>
            flow.command({ type: "approveDevice", approve: sequence.user.approve }),
          );
        }
        if (snapshot.phase === "consent" && snapshot.accepts.includes("consentOpened")) {
          flow.command({ type: "consentOpened" });
        }
      }
      /**
       * Types the code the peer shows (a wrong one first, as often as the sequence says); true once it typed the
       * right one (the flow then shows nothing new until the peer's next message).
       */
      function typeCode(code: string): boolean {
        if (flow.snapshot().phase !== "check_code_entry") return false;
        const wrong = codesTyped < sequence.user.wrongCodes;
        codesTyped += 1;
        if (!wrong) trace.established = true;
        flow.command({ type: "submitCheckCode", code: wrong ? (code === "42" ? "43" : "42") : code });
        return !wrong;
      }

      // The scripted peer.
      const peerSide = async (): Promise<void> => {
        let peer: ScriptedPeer;
        if (sequence.side === "generator") {
          await until(() => flow.snapshot().phase === "showing_qr" || outcome !== undefined, 5_000);
          const shown = flow.snapshot();
          if (shown.phase !== "showing_qr") return;
          const scanned = await scanAsPeer(
            decodeBase64(shown.qr, "invalid_qr"),
            peerRole === "new" ? "new_device" : "existing_device",
            { runtime: peerHost, signal, rateLimit: MODEL_RATE_LIMIT },
          );
          peer = scanned.peer;
          trace.rendezvousUrl = rendezvousUrlOf(peer);
          // The user reads the code on the peer and types it (again after a wrong one).
          for (let attempt = 0; attempt < 3; attempt++) {
            await until(() => flow.snapshot().phase === "check_code_entry" || outcome !== undefined, 3_000);
            const entry = flow.snapshot();
            if (entry.phase !== "check_code_entry") break;
            if (typeCode(scanned.checkCode)) break;
            await until(() => flow.snapshot().seq !== entry.seq || outcome !== undefined, 3_000);
          }
        } else {
          const shown = await showAsPeer(
            sequence.version,
            peerRole === "new" ? "new_device" : "existing_device",
            {
              runtime: peerHost,
              signal,
              rateLimit: MODEL_RATE_LIMIT,
              baseUrl: world.server.baseUrl,
              ...(peerRole === "existing" ? { homeserverUrl: world.server.baseUrl } : {}),
            },
          );
          trace.rendezvousUrl = undefined;
          await until(() => flow.snapshot().phase === "scanning" || outcome !== undefined, 5_000);
          if (flow.snapshot().phase !== "scanning") return;
          flow.command({ type: "submitScannedQr", bytes: encodeBase64(shown.qr) });
          const unconfirmed = await shown.answer(signal);
          await until(() => flow.snapshot().phase === "check_code_display" || outcome !== undefined, 3_000);
          const display = flow.snapshot();
          if (display.phase !== "check_code_display") return;
          peer = shown.confirm(unconfirmed, display.code);
          trace.rendezvousUrl = rendezvousUrlOf(peer);
        }

        const messages = peerMessages(peerRole, direction, world, deviceId);
        const secrets = async () => {
          const { ...bundle } = await world.existing.existingDevice().exportSecretsBundle(signal);
          return bundle as unknown as Record<string, unknown>;
        };
        // What the peer reads before its turn n: A-new (protocol needs nothing first), etc.
        const readsBefore = (n: number): boolean =>
          peerRole === "new" ? n > 0 || direction === "B" : direction === "A" || n > 0;
        for (let n = 0; n < messages.length; n++) {
          if (readsBefore(n)) {
            const got = await peer.receive(signal).catch((error: unknown) => error);
            if (!(got !== null && typeof got === "object" && "type" in got)) {
              trace.peerEnding = isRendezvousError(got, "expired") ? "expired" : "misbehaved";
              return;
            }
            const message = got as LoginMessage;
            if (message.type === "m.login.failure") {
              trace.peerEnding = receivedFailureToFlowError(
                typeof message.reason === "string" ? message.reason : message.reason.unknown,
              ).code;
              return;
            }
            if (message.type === "m.login.declined") {
              trace.peerEnding = "declined";
              return;
            }
            if (
              peerRole === "existing" &&
              message.type === "m.login.protocol" &&
              n === (direction === "B" ? 1 : 0)
            ) {
              // Approve (or deny) the device grant on the consent page, after the real device shows its code.
              void (async () => {
                await until(
                  () => flow.snapshot().phase === "waiting_for_approval" || outcome !== undefined,
                  5_000,
                );
                const waiting = flow.snapshot();
                if (waiting.phase !== "waiting_for_approval") return;
                await wait(sequence.user.lateMs);
                await postHook(world.server, "/_devserver/approve", {
                  user_code: waiting.userCode,
                  user: "alice",
                  approve: !sequence.user.denyGrant,
                }).catch(() => undefined);
              })();
            }
          }
          const next = await messages[n]?.(secrets);
          if (next === undefined) return;
          if (peerRole === "new" && next.type === "m.login.success") {
            // The new device exists on the homeserver before it says so (MAS creates it with the token).
            await postHook(world.server, "/_devserver/token", { user: "alice", device_id: deviceId });
          }
          if (peerRole === "new" && next.type === "m.login.protocol") trace.namedDevice = deviceId;
          if (sequence.peer.kind !== "none" && sequence.peer.at === n) {
            await misbehave(peer, sequence.peer.kind, next, messages[n + 1], secrets, signal);
            // Sending a failure or deleting the session is how a peer cancels: by the rules.
            if (sequence.peer.kind === "failure" || sequence.peer.kind === "vanish") {
              trace.peerEnding = "cancelled_here";
              return;
            }
            trace.peerEnding = "misbehaved";
            trace.misbehavedAt = Date.now();
            // What the real side answers, if anything, within a moment.
            await peer.receive(AbortSignal.any([signal, AbortSignal.timeout(800)])).catch(() => undefined);
            return;
          }
          await peer.send(next, signal);
        }
        // The last message: the existing peer sent the secrets (done); the new peer reads them.
        if (peerRole === "new") {
          const last: unknown = await peer.receive(signal).catch((error: unknown) => error);
          if (typeof last === "object" && last !== null && "type" in last) {
            const message = last as LoginMessage;
            trace.peerEnding =
              message.type === "m.login.secrets"
                ? "done"
                : message.type === "m.login.failure"
                  ? receivedFailureToFlowError(
                      typeof message.reason === "string" ? message.reason : message.reason.unknown,
                    ).code
                  : "misbehaved";
            // The last reader deletes it.
            await peer.rendezvous.cancel().catch(() => undefined);
          } else {
            trace.peerEnding = isRendezvousError(last, "expired") ? "expired" : "misbehaved";
          }
        } else {
          trace.peerEnding = "done";
          trace.realReadLast = true;
        }
      };
      const peerRun = peerSide().catch((error: unknown) => {
        trace.peerEnding ??= isRendezvousError(error, "expired") ? "expired" : "misbehaved";
      });

      // Closing the window: the real side's user gives up on a screen that has not changed for a while (a silent
      // peer), or on a sequence that has not ended in 20 s.
      let lastChange = { seq: -1, at: Date.now() };
      const ended = await until(() => {
        const seq = flow.snapshot().seq;
        if (seq !== lastChange.seq) lastChange = { seq, at: Date.now() };
        const unchangedMs = Date.now() - Math.max(lastChange.at, trace.misbehavedAt ?? 0);
        const patience = trace.misbehavedAt === undefined ? GIVE_UP_MS : GIVE_UP_AFTER_MISBEHAVIOUR_MS;
        return outcome !== undefined || unchangedMs > patience;
      }, 20_000);
      if (!ended || outcome === undefined) flow.cancel();
      await until(() => outcome !== undefined, 3_000);
      await Promise.race([peerRun, wait(2_000)]);
      stop.abort();
      await peerRun;
      await wait(100);

      // --- invariants ------------------------------------------------------------------------------------------
      const label = JSON.stringify(sequence);
      expect(outcome, `the real flow ended: ${label}`).toBeDefined();
      const realEnding: Ending = outcome?.ok === true ? "done" : (outcome?.error.code ?? "internal_error");
      const pair = `${realEnding} / ${trace.peerEnding ?? "none"}`;
      endings.set(pair, (endings.get(pair) ?? 0) + 1);
      if (VERBOSE) {
        const phases = snapshots.map((snapshot) => snapshot.phase).filter((p, i, all) => p !== all[i - 1]);
        const error = outcome?.ok === false ? JSON.stringify(outcome.error) : "";
        console.log(`${Date.now() - startedAt} ms  ${pair}  ${label}  ${phases.join(" ")}  ${error}`);
        if (DEBUG_HTTP) console.log(`real:\n${httpLines(host)}\npeer:\n${httpLines(peerHost)}`);
      }
      expect(realEnding, `never internal_error: ${JSON.stringify(outcome)} ${label}`).not.toBe(
        "internal_error",
      );
      // Secrets: only after an established channel, m.login.success, and a 200 for the named device, in that order.
      const sealedAt = trace.events.findIndex((e) => e.kind === "seal" && e.what === "m.login.secrets");
      if (sealedAt !== -1) {
        const before = trace.events.slice(0, sealedAt);
        const successAt = before.findIndex((e) => e.kind === "received" && e.what === "m.login.success");
        expect(trace.established, `secrets before the check code: ${label}`).toBe(true);
        expect(successAt, `secrets before m.login.success: ${label}`).not.toBe(-1);
        expect(
          before
            .slice(successAt)
            .some((e) => e.kind === "device" && e.what === `${trace.namedDevice ?? ""}:200`),
          `secrets before the named device answered 200: ${JSON.stringify(trace.events)} ${label}`,
        ).toBe(true);
      }
      // Both ended, and agree where the peer played by the rules.
      if (trace.peerEnding !== undefined && trace.peerEnding !== "misbehaved") {
        expect(
          PEER_ENDINGS[trace.peerEnding] ?? [],
          `real ${realEnding} / peer ${trace.peerEnding}: ${JSON.stringify(outcome)} ${label}`,
        ).toContain(realEnding);
      }
      if (trace.peerEnding === "misbehaved" && sequence.peer.kind !== "none") {
        expect(realEnding, `a misbehaving peer signed in: ${label}`).not.toBe("done");
      }
      expect(unhandled, `unhandled rejections: ${label}`).toEqual([]);
      for (const [name, side] of [
        ["real", host],
        ["peer", peerHost],
      ] as const) {
        expect(side.pending, `${name} left work running: ${label}`).toEqual({ sleeps: 0, fetches: 0 });
      }
      // The last reader deleted the rendezvous; otherwise it is left to expire.
      if (trace.rendezvousUrl !== undefined && trace.realReadLast && realEnding === "done") {
        const after = await fetch(trace.rendezvousUrl);
        await after.body?.cancel();
        expect(after.status, `the rendezvous outlived its last reader: ${label}`).toBe(404);
      }
    } finally {
      process.off("unhandledRejection", onUnhandled);
      stop.abort();
      controller?.cancel();
      await proxy?.close();
      await newAccount?.stop();
      await newProfile?.close();
    }
  }

  it(
    `${RUNS} sequences (seed ${SEED}) keep every invariant`,
    async () => {
      if (ONLY !== undefined) {
        for (const sequence of ONLY) await runSequence(sequence);
        return;
      }
      const details = await fc.check(
        fc.asyncProperty(sequences, (sequence) => runSequence(sequence)),
        {
          numRuns: RUNS,
          seed: SEED,
          endOnFailure: true,
          // A path replays its one sequence (and shrinks it again on a failure).
          ...(REPLAY_PATH === undefined ? {} : { path: REPLAY_PATH, numRuns: 1 }),
        },
      );
      if (RESULTS_FILE !== undefined) {
        writeFileSync(
          RESULTS_FILE,
          JSON.stringify({
            failed: details.failed,
            numRuns: details.numRuns,
            seed: details.seed,
            counterexamplePath: details.counterexamplePath,
            error: details.failed ? failureReport(details) : undefined,
            endings: Object.fromEntries(endings),
          }),
        );
      }
      // fast-check's report names the seed and path that replay the failing sequence.
      if (details.failed) throw new Error(failureReport(details));
    },
    Math.max(900_000, RUNS * 5_000),
  );
});

/** One line per request a side made: time (ms, last 5 digits), method, path, status or error. */
function httpLines(host: CountingHost): string {
  return host.entries
    .map((e) =>
      e.kind === "http"
        ? `  ${e.time % 100_000} ${e.method} ${e.path} ${e.status ?? e.error ?? ""}`
        : undefined,
    )
    .filter((line) => line !== undefined)
    .join("\n");
}

/** fast-check's report (seed, path, counterexample) and the invariant that failed. */
function failureReport(details: fc.RunDetails<[Sequence]>): string {
  const error = details.errorInstance;
  return `${fc.defaultReportMessage(details)}\n${error instanceof Error ? error.message : String(error)}`;
}

/** Where the peer's rendezvous lives, to look at it afterwards. */
function rendezvousUrlOf(peer: ScriptedPeer): string | undefined {
  const session = peer.rendezvous;
  if (session.version === "v2024") return (session as unknown as { url: string }).url;
  const v2025 = session as unknown as { baseUrl: string; id: string };
  return `${v2025.baseUrl.replace(/\/+$/, "")}/_matrix/client/unstable/io.element.msc4388/rendezvous/${v2025.id}`;
}

/** The peer breaks the protocol at its turn instead of sending `next`. */
async function misbehave(
  peer: ScriptedPeer,
  kind: Misbehaviour,
  next: LoginMessage | Record<string, unknown>,
  after:
    | ((secrets: () => Promise<Record<string, unknown>>) => Promise<LoginMessage | Record<string, unknown>>)
    | undefined,
  secrets: () => Promise<Record<string, unknown>>,
  signal: AbortSignal,
): Promise<void> {
  const type = String(next.type);
  switch (kind) {
    case "wrong_type":
      await peer.send(wrongType(type), signal);
      return;
    case "out_of_order":
      await peer.send((await after?.(secrets)) ?? wrongType(type), signal);
      return;
    case "replay":
      if (peer.written.length === 0) {
        await peer.send(next, signal);
        await peer.replay(0, signal);
      } else {
        await peer.replay(peer.written.length - 1, signal);
      }
      return;
    case "duplicate":
      await peer.send(next, signal);
      await peer.send(next, signal);
      return;
    case "tamper":
      await peer.sendTampered(next as LoginMessage, signal);
      return;
    case "malformed":
      // Cut JSON: `{ type }` alone would be a valid m.login.success or m.login.protocol_accepted.
      await peer.sendText(JSON.stringify({ type }).slice(0, -1), signal);
      return;
    case "failure":
      await peer.send({ type: "m.login.failure", reason: "user_cancelled" }, signal);
      return;
    case "silent":
      return;
    case "vanish":
      await peer.rendezvous.cancel();
      return;
  }
}

export type { FlowErrorCode };
