// Fault rows of the flows' scenario table (src-main/flows/scenarios.ts) with two real devices of the app on the
// sandbox Synapse 1.160 (the devserver as its MAS) and the fault-injecting proxy in front of it: the same harness
// and the same promises as in the flows lane (test/flows/harness.ts), each device ending with the row's code.
//
// Only the rows whose outcome depends on the rendezvous server itself run here, each in two of its four
// direction/version pairs (the flows lane runs all four on the devserver):
// - a write the server applied whose answer was lost or replaced by a gateway's 504: what the resend finds in the
//   cell (v2024 recovers; MSC4388 on Synapse's PUT shape ends `write_answer_lost`);
// - writes a middlebox sends twice (v2025: Synapse's answer to a repeated sequence token);
// - validators rewritten by a compressing proxy (Synapse's own ETag and token shapes, weakened or suffixed);
// - a server failing until the session ends (Synapse's stated lifetimes, shortened by the proxy);
// - a cancel whose m.login.failure cannot be written in time: the DELETE that replaces it, and what the peer
//   then reads from Synapse.
// Left to the devserver: faults the proxy answers by itself before the server sees anything (5xx, 429, dropped
// connections, delays, truncated or stalled bodies, redirects, a partition), which test the client whatever the
// server; OAuth faults (the account server is the devserver here too); and the rows that fault the devserver
// from inside or move its clock, which Synapse has no hooks for.
import { afterAll, beforeAll, describe, it } from "vitest";
import { startDevserver } from "../../devserver/index";
import { SCENARIOS, type Direction } from "../../src-main/flows/scenarios";
import type { WireVersion } from "../../src-shared/flow";
import { DEVSERVER, runScenario, worldOn, type FlowWorld } from "../flows/harness";
import { synapseLane } from "./lane";

const lane = synapseLane();

const RUNS: readonly (readonly [id: string, direction: Direction, version: WireVersion])[] = [
  ["net-lost-answer-showing", "existing_shows", "v2024"],
  ["net-lost-answer-showing", "new_shows", "v2025"],
  ["net-gateway-timeout-after-commit", "new_shows", "v2024"],
  ["net-gateway-timeout-after-commit", "existing_shows", "v2025"],
  ["net-duplicated-writes", "existing_shows", "v2025"],
  ["net-duplicated-writes", "new_shows", "v2025"],
  ["net-gzip-proxy", "existing_shows", "v2024"],
  ["net-gzip-proxy", "new_shows", "v2025"],
  ["net-deflate-proxy-showing", "new_shows", "v2024"],
  ["net-server-failing", "existing_shows", "v2025"],
  ["cancel-existing-syncing-failure-unwritten", "existing_shows", "v2024"],
  ["cancel-existing-syncing-failure-unwritten", "new_shows", "v2025"],
];

describe("fault rows of the flows on Synapse 1.160 (sandbox), proxy in front", () => {
  let world: FlowWorld;
  beforeAll(async () => {
    // No selected row uses another homeserver; the world has one all the same, as every world does.
    const other = await startDevserver(DEVSERVER);
    world = await worldOn(
      // carol: the lane's other files sign alice in and set up her encryption identity first.
      { baseUrl: lane.synapseUrl, issuer: `${lane.masUrl}/`, hooksUrl: lane.masUrl, user: "carol" },
      other,
      () => other.close(),
    );
  }, 60_000);
  afterAll(async () => {
    await world.close();
  });

  it.each(RUNS)(
    "%s (%s, %s)",
    async (id, direction, version) => {
      const row = SCENARIOS.find((scenario) => scenario.id === id);
      if (row === undefined) throw new TypeError(`no scenario row ${id}`);
      await runScenario(world, row, direction, version);
    },
    60_000,
  );
});
