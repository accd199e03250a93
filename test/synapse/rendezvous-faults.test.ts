// The transient network faults of the scenario table at the rendezvous layer (test/conformance/rendezvous-faults.ts)
// with the fault-injecting proxy in front of the sandbox Synapse 1.160 (open mode).
import { describeFatalRendezvousFaults, describeRendezvousFaults } from "../conformance/rendezvous-faults";
import { synapseLane } from "./lane";

const lane = synapseLane();

describeRendezvousFaults("Synapse 1.160 (sandbox)", () => ({ baseUrl: lane.synapseUrl }));
describeFatalRendezvousFaults("Synapse 1.160 (sandbox)", () => ({ baseUrl: lane.synapseUrl }));
