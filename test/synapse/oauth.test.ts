// The shared OAuth scenarios (discovery, registration, device grant) against Synapse with the devserver as its MAS:
// the client discovers the OAuth server through Synapse's auth metadata, and each device-grant token must work on
// Synapse's whoami, which proves introspection, the users provisioned at start and upsert_device before the token.
import {
  describeClientRegistration,
  describeDeviceGrant,
  describeOAuthDiscovery,
} from "../conformance/oauth";
import { synapseLane, synapseOAuthTarget } from "./lane";

const target = synapseOAuthTarget(synapseLane());

describeOAuthDiscovery(target);
describeClientRegistration(target);
describeDeviceGrant(target);
