// The rendezvous conformance suite against the devserver, in each configuration it offers: Synapse 1.160's
// defaults, then the devserver-only variants (send shapes, stable path, MSC4388 modes, v2024 off, small limits).
// Every devserver here runs on a frozen clock that only `advanceClock` moves. Where the devserver differs from
// Synapse 1.160 on purpose, DEVSERVER_CAPABILITIES says so (docs/synapse.md, "Devserver vs Synapse").
import { afterAll, beforeAll, describe } from "vitest";
import { startDevserver, type Devserver, type DevserverOptions } from "../../devserver/index";
import {
  SYNAPSE_1_160_CAPABILITIES,
  describeRendezvousConformance,
  describeV2024Conformance,
  describeV2025Conformance,
  describeVersionsConformance,
  type RendezvousCapabilities,
  type RendezvousConnection,
} from "../conformance/rendezvous";

const FROZEN_NOW = Date.parse("2026-11-27T12:00:00Z");

/** Synapse 1.160.0, except for the deliberate differences on /versions. */
const DEVSERVER_CAPABILITIES: RendezvousCapabilities = {
  ...SYNAPSE_1_160_CAPABILITIES,
  // The app's OAuth 2.0 discovery needs v1.15, its device authorization grant v1.18; Synapse lists up to v1.12.
  newestSpecVersion: "v1.18",
  // Its /versions depends on options that can change between two runs on the same address.
  versionsCacheable: false,
};
const VALID_TOKEN = "syt_valid_conformance_token";

/** Starts a devserver for the enclosing describe and returns how to reach it. */
function useDevserver(options: DevserverOptions, accessToken?: string): () => RendezvousConnection {
  let server: Devserver | undefined;
  beforeAll(async () => {
    server = await startDevserver({ now: () => FROZEN_NOW, ...options });
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (server === undefined) throw new Error("devserver not started");
    const { clock } = server.hooks;
    return {
      baseUrl: server.baseUrl,
      publicBaseUrl: server.publicBaseUrl,
      ...(accessToken === undefined ? {} : { accessToken }),
      advanceClock: (ms: number) => {
        clock.advance(ms);
        return Promise.resolve();
      },
    };
  };
}

describe("devserver with Synapse 1.160 defaults", () => {
  const connect = useDevserver({});
  describeRendezvousConformance("devserver defaults", DEVSERVER_CAPABILITIES, connect);
});

describe("devserver with a public base URL, long lifetimes and capacity 3", () => {
  const capabilities: RendezvousCapabilities = {
    ...DEVSERVER_CAPABILITIES,
    ttlV2024S: 300,
    ttlV2025S: 300,
    capacity: 3,
  };
  // The handed-out URLs name a host that does not resolve: the suite maps them back onto the listening address.
  const connect = useDevserver({
    publicBaseUrl: "https://matrix.example.test/",
    rendezvous: { ttlV2024S: 300, ttlV2025S: 300, capacity: 3 },
  });
  const wrapped = (): RendezvousConnection => ({
    ...connect(),
    publicBaseUrl: "https://matrix.example.test",
  });
  describeV2024Conformance(capabilities, wrapped);
  describeV2025Conformance(capabilities, wrapped);
});

describe("devserver with small payloads (maxBytes 64)", () => {
  const capabilities: RendezvousCapabilities = { ...DEVSERVER_CAPABILITIES, maxBytes: 64 };
  const connect = useDevserver({ rendezvous: { maxBytes: 64 } });
  describeV2024Conformance(capabilities, connect);
  describeV2025Conformance(capabilities, connect);
});

describe("devserver serving only the txnId send shape", () => {
  const capabilities: RendezvousCapabilities = { ...DEVSERVER_CAPABILITIES, v2025Put: "txn" };
  describeV2025Conformance(capabilities, useDevserver({ rendezvous: { v2025Put: "txn" } }));
});

describe("devserver serving both send shapes and the stable path", () => {
  const capabilities: RendezvousCapabilities = {
    ...DEVSERVER_CAPABILITIES,
    v2025Put: "both",
    v2025Stable: true,
  };
  describeV2025Conformance(
    capabilities,
    useDevserver({ rendezvous: { v2025Put: "both", v2025Stable: true } }),
  );
});

describe("devserver in MSC4388 authenticated mode", () => {
  const capabilities: RendezvousCapabilities = {
    ...DEVSERVER_CAPABILITIES,
    msc4388Mode: "authenticated",
  };
  const connect = useDevserver(
    {
      rendezvous: { msc4388Mode: "authenticated" },
      authenticate: (token) => Promise.resolve(token === VALID_TOKEN ? { userId: "@alice:localhost" } : null),
    },
    VALID_TOKEN,
  );
  describeV2025Conformance(capabilities, connect);
});

describe("devserver with MSC4108 and MSC4388 off", () => {
  const capabilities: RendezvousCapabilities = {
    ...DEVSERVER_CAPABILITIES,
    v2024: false,
    msc4388Mode: "off",
  };
  const connect = useDevserver({ rendezvous: { msc4108: false, msc4388Mode: "off" } });
  describeVersionsConformance(capabilities, connect);
  describeV2024Conformance(capabilities, connect);
  describeV2025Conformance(capabilities, connect);
});
