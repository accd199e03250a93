// The transient network faults of the scenario table (src-main/flows/scenarios.ts), at the rendezvous layer, in
// front of any server: two scripted devices built from the protocol core (test/flows/scripted-peer.ts) create,
// join, confirm the channel and exchange login messages through the fault-injecting proxy, and must get through.
// The same rows run the whole flows on the devserver (the flows lane); here they run against the devserver
// (test/devserver/rendezvous-faults.test.ts) and against real Synapse in the real-server lane
// (test/synapse/rendezvous-faults.test.ts), where the flows themselves cannot run yet.
//
// A row qualifies when its faults sit on the network path only (no phase of a flow arms them, no lifetime is
// shortened), touch only the rendezvous, and every device of the row signs in, in both directions of that version.
// `net-stalled-body` also needs the request timeout of a flow (the scripted devices keep the 15 s default), so it is
// left to the flows lane.
import { afterEach, describe, expect, it } from "vitest";
import {
  DIRECTIONS,
  RENDEZVOUS_CREATE_PATH,
  RENDEZVOUS_SESSION_PATH,
  SCENARIOS,
  expectationFor,
  type NetworkFault,
  type Scenario,
} from "../../src-main/flows/scenarios";
import {
  createRuntime,
  isRendezvousError,
  type RendezvousErrorCode,
  type RendezvousSession,
  type Runtime,
  type V2024RendezvousSession,
  type V2025RendezvousSession,
  type WireVersion,
} from "../../src-main/protocol/testing";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.testing";
import { scanAsPeer, showAsPeer } from "../flows/scripted-peer";

/** Where the server under test is. */
export interface FaultTarget {
  readonly baseUrl: string;
}

const VERSIONS: readonly WireVersion[] = ["v2024", "v2025"];
const RENDEZVOUS_PATHS = [RENDEZVOUS_SESSION_PATH, RENDEZVOUS_CREATE_PATH];

/** The rows that qualify in `version`, with the faults for each device's path. */
export function transientRendezvousRows(version: WireVersion): {
  readonly row: Scenario;
  readonly showing: readonly NetworkFault[];
  readonly scanning: readonly NetworkFault[];
  readonly shared: boolean;
}[] {
  const rows = [];
  for (const row of SCENARIOS) {
    const inject = row.inject;
    if (inject.kind !== "network_faults" || inject.from !== undefined || inject.lifetimeMs !== undefined)
      continue;
    if (row.id === "net-stalled-body") continue;
    if (!(row.versions ?? VERSIONS).includes(version)) continue;
    if (!inject.faults.every((fault) => RENDEZVOUS_PATHS.includes(fault.path))) continue;
    if (inject.on !== "both" && inject.on !== "showing" && inject.on !== "scanning") continue;
    const allSignIn = DIRECTIONS.every((direction) =>
      (["existing", "new"] as const).every((device) => {
        const side = expectationFor(row, device, direction, version);
        return side.error === undefined && side.absent !== true;
      }),
    );
    if (!allSignIn) continue;
    rows.push({
      row,
      showing: inject.on === "scanning" ? [] : inject.faults,
      scanning: inject.on === "showing" ? [] : inject.faults,
      shared: inject.on === "both",
    });
  }
  return rows;
}

/** A runtime whose requests to the server go through `proxy`, when there is one. */
function through(proxy: FaultProxy | undefined): Runtime {
  const runtime = createRuntime();
  return proxy === undefined ? runtime : { ...runtime, fetch: proxy.route(runtime.fetch) };
}

export function describeRendezvousFaults(label: string, target: () => FaultTarget): void {
  describe(`transient network faults at the rendezvous layer: ${label}`, () => {
    const proxies: FaultProxy[] = [];
    afterEach(async () => {
      await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    });

    async function proxyFor(faults: readonly NetworkFault[]): Promise<FaultProxy | undefined> {
      if (faults.length === 0) return undefined;
      const proxy = await startFaultProxy(target().baseUrl);
      proxy.setFaults(faults);
      proxies.push(proxy);
      return proxy;
    }

    for (const version of VERSIONS) {
      for (const { row, showing, scanning, shared } of transientRendezvousRows(version)) {
        it(`${version} ${row.id}: ${row.title}; both devices get every message through`, async () => {
          const signal = AbortSignal.timeout(25_000);
          const showingProxy = await proxyFor(showing);
          const scanningProxy = shared ? showingProxy : await proxyFor(scanning);
          const shown = await showAsPeer(version, "existing_device", {
            runtime: through(showingProxy),
            signal,
            baseUrl: target().baseUrl,
            homeserverUrl: target().baseUrl,
          });
          const scanning$ = scanAsPeer(shown.qr, "new_device", { runtime: through(scanningProxy), signal });
          const unconfirmed = await shown.answer(signal);
          const scanned = await scanning$;
          const generator = shown.confirm(unconfirmed, scanned.checkCode);
          const scanner = scanned.peer;

          // Turns as in a sign-in: the scanner speaks first, then each in turn, four messages in all.
          await scanner.send({ type: "m.login.protocol_accepted" }, signal);
          expect((await generator.receive(signal)).type).toBe("m.login.protocol_accepted");
          await generator.send({ type: "m.login.success" }, signal);
          expect((await scanner.receive(signal)).type).toBe("m.login.success");
          await scanner.send({ type: "m.login.declined" }, signal);
          expect((await generator.receive(signal)).type).toBe("m.login.declined");
          await generator.send({ type: "m.login.success" }, signal);
          expect((await scanner.receive(signal)).type).toBe("m.login.success");
          await scanner.rendezvous.cancel();

          // Every fault of the row was applied on its path: the row tested what it says.
          for (const [proxy, faults] of [
            [showingProxy, showing],
            [scanningProxy, shared ? [] : scanning],
          ] as const) {
            const applied = new Set(proxy?.log.map((entry) => entry.fault) ?? []);
            for (const fault of faults) expect(applied, JSON.stringify(fault)).toContain(fault.fault.kind);
          }
        }, 30_000);
      }
    }
  });
}

/**
 * A fatal fault at the rendezvous layer: once both devices share an established channel, the fault is armed on the
 * shared path, the scanner writes its next message and the showing device waits for it; each must end with the
 * typed error that names the fault, within the session's lifetime.
 */
interface FatalRow {
  readonly id: string;
  readonly title: string;
  /** Faults armed after the handshake, on the path both devices share. */
  readonly faults: readonly NetworkFault[];
  /** Someone else deletes the session after the handshake (instead of, or besides, the faults). */
  readonly deleteUnderUs?: boolean;
  /** The session lifetime the proxy states to both devices, for faults that last until its end. */
  readonly lifetimeMs?: number;
  /** The error each device's call must end with, per version where they differ. */
  readonly expect: Readonly<Record<WireVersion, FatalEnding>>;
}

interface FatalEnding {
  /** The scanner's `send` of its next message. */
  readonly send: { readonly code: RendezvousErrorCode; readonly status?: number; readonly reason?: string };
  /** The showing device's `receive` of it. */
  readonly receive: {
    readonly code: RendezvousErrorCode;
    readonly status?: number;
    readonly reason?: string;
  };
}

const both = (ending: FatalEnding): Readonly<Record<WireVersion, FatalEnding>> => ({
  v2024: ending,
  v2025: ending,
});

const ALL_SESSION_REQUESTS = (fault: NetworkFault["fault"]): NetworkFault[] => [
  { path: RENDEZVOUS_SESSION_PATH, count: "all", fault },
];

const CAPTIVE_PORTAL = "<html><head><title>Sign in to the network</title></head><body>Wi-Fi</body></html>";

export const FATAL_ROWS: readonly FatalRow[] = [
  {
    id: "deleted-under-us",
    title: "the session is deleted by someone else mid-conversation",
    faults: [],
    deleteUnderUs: true,
    expect: both({ send: { code: "expired", status: 404 }, receive: { code: "expired", status: 404 } }),
  },
  {
    id: "404-mid-session",
    title: "a server (or what is in front of it) answers 404 to the session mid-conversation",
    faults: ALL_SESSION_REQUESTS({ kind: "status", status: 404 }),
    expect: both({ send: { code: "expired", status: 404 }, receive: { code: "expired", status: 404 } }),
  },
  {
    // The rendezvous APIs end a session with 404 only; 410 is no answer either API gives, so it is not read as
    // the session's end but as a server that does not speak the API (shown as server_error).
    id: "410-mid-session",
    title: "a server answers 410 Gone to the session mid-conversation",
    faults: ALL_SESSION_REQUESTS({ kind: "status", status: 410 }),
    expect: both({
      send: { code: "invalid_response", status: 410 },
      receive: { code: "invalid_response", status: 410 },
    }),
  },
  {
    id: "network-down-until-end",
    title: "the network is down from mid-conversation until the session ends",
    faults: ALL_SESSION_REQUESTS({ kind: "drop_connection" }),
    lifetimeMs: 4_000,
    expect: both({ send: { code: "network" }, receive: { code: "network" } }),
  },
  {
    id: "server-failing-until-end",
    title: "the server answers 503 from mid-conversation until the session ends",
    faults: ALL_SESSION_REQUESTS({ kind: "status", status: 503 }),
    lifetimeMs: 4_000,
    expect: both({
      send: { code: "server_error", status: 503 },
      receive: { code: "server_error", status: 503 },
    }),
  },
  {
    id: "rate-limited-until-end",
    title: "the server answers 429 from mid-conversation until the session ends",
    faults: ALL_SESSION_REQUESTS({ kind: "status", status: 429, retryAfterMs: 500 }),
    lifetimeMs: 4_000,
    expect: both({
      send: { code: "rate_limited", status: 429 },
      receive: { code: "rate_limited", status: 429 },
    }),
  },
  {
    id: "captive-portal-body",
    title: "a captive portal answers its own page with 200 instead of the API's answer",
    faults: ALL_SESSION_REQUESTS({
      kind: "foreign_body",
      status: 200,
      contentType: "text/html",
      body: CAPTIVE_PORTAL,
    }),
    expect: {
      // v2024: a write is answered 202, so a 200 is not the API's; a read's 200 without an ETag is the mark of
      // something in between that dropped it (the cell itself is any text, so its body cannot tell).
      v2024: {
        send: { code: "invalid_response", status: 200 },
        receive: { code: "proxy_interference", reason: "etag_missing" },
      },
      // v2025: neither answer is the JSON object the API returns.
      v2025: {
        send: { code: "invalid_response", status: 200 },
        receive: { code: "invalid_response", status: 200 },
      },
    },
  },
];

/** The session's own URL, for a third party that deletes it. */
function sessionUrl(session: RendezvousSession): string {
  if (session.version === "v2024") return (session as V2024RendezvousSession).url;
  const v2025 = session as V2025RendezvousSession;
  const base = v2025.baseUrl.replace(/\/+$/, "");
  const api = v2025.api === "stable" ? "v1" : "unstable/io.element.msc4388";
  return `${base}/_matrix/client/${api}/rendezvous/${v2025.id}`;
}

/** What a call that must fail threw, as plain data to compare. */
async function failure(
  call: Promise<unknown>,
): Promise<{ code?: unknown; status?: unknown; reason?: unknown; name?: unknown }> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!isRendezvousError(outcome))
    return { name: "resolved or not a RendezvousError", code: String(outcome) };
  return {
    name: outcome.name,
    code: outcome.code,
    ...(outcome.status === undefined ? {} : { status: outcome.status }),
    ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
  };
}

export function describeFatalRendezvousFaults(label: string, target: () => FaultTarget): void {
  describe(`fatal network faults at the rendezvous layer: ${label}`, () => {
    const proxies: FaultProxy[] = [];
    afterEach(async () => {
      await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    });

    for (const version of VERSIONS) {
      for (const row of FATAL_ROWS) {
        const expected = row.expect[version];
        it(`${version} ${row.id}: ${row.title}; the writer gets ${expected.send.code}, the reader ${expected.receive.code}`, async () => {
          const signal = AbortSignal.timeout(20_000);
          const proxy = await startFaultProxy(target().baseUrl);
          proxies.push(proxy);
          proxy.setLifetime(row.lifetimeMs);
          const runtime = through(proxy);
          const shown = await showAsPeer(version, "existing_device", {
            runtime,
            signal,
            baseUrl: target().baseUrl,
            homeserverUrl: target().baseUrl,
          });
          const scanning = scanAsPeer(shown.qr, "new_device", { runtime: through(proxy), signal });
          const unconfirmed = await shown.answer(signal);
          const scanned = await scanning;
          const generator = shown.confirm(unconfirmed, scanned.checkCode);
          const scanner = scanned.peer;
          // One message each way first: the conversation is under way when the fault comes.
          await scanner.send({ type: "m.login.protocol_accepted" }, signal);
          expect((await generator.receive(signal)).type).toBe("m.login.protocol_accepted");
          await generator.send({ type: "m.login.success" }, signal);
          expect((await scanner.receive(signal)).type).toBe("m.login.success");

          if (row.deleteUnderUs === true) {
            const deleted = await fetch(sessionUrl(scanner.rendezvous), { method: "DELETE" });
            await deleted.body?.cancel();
            expect([200, 204]).toContain(deleted.status);
          }
          proxy.setFaults(row.faults);
          const [sent, received] = await Promise.all([
            failure(scanner.send({ type: "m.login.declined" }, signal)),
            failure(generator.receive(signal)),
          ]);
          expect({ sent, received }).toEqual({
            sent: { name: "RendezvousError", ...expected.send },
            received: { name: "RendezvousError", ...expected.receive },
          });
        }, 30_000);
      }
    }
  });
}
