// The rendezvous conformance suite, unchanged, against the sandbox Synapse 1.160 (open mode). Tests that need a
// clock to move or a valid token skip themselves, as the suite says.
import { SYNAPSE_1_160_CAPABILITIES, describeRendezvousConformance } from "../conformance/rendezvous";
import { synapseLane } from "./lane";

const lane = synapseLane();

describeRendezvousConformance("Synapse 1.160 (sandbox)", SYNAPSE_1_160_CAPABILITIES, () => ({
  baseUrl: lane.synapseUrl,
  publicBaseUrl: lane.synapseUrl,
}));
