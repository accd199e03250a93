// The transient network faults of the scenario table at the rendezvous layer (test/conformance/rendezvous-faults.ts)
// against the devserver, as the real-server lane runs them against Synapse.
import { afterAll, beforeAll } from "vitest";
import { startDevserver, type Devserver } from "../../devserver/index";
import { describeFatalRendezvousFaults, describeRendezvousFaults } from "../conformance/rendezvous-faults";

let server: Devserver;
beforeAll(async () => {
  server = await startDevserver({});
});
afterAll(async () => {
  await server.close();
});

describeRendezvousFaults("devserver", () => ({ baseUrl: server.baseUrl }));
describeFatalRendezvousFaults("devserver", () => ({ baseUrl: server.baseUrl }));
