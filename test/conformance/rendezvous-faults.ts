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
import { createRuntime, type Runtime, type WireVersion } from "../../src-main/protocol/testing";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy";
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
