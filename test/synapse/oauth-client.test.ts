// The app's OAuth client (src-main/oauth/) against Synapse with the devserver as its MAS: resolution through
// Synapse's .well-known, discovery through its auth metadata (which its /versions does not announce), the device grant
// and the browser sign-in in Chromium, each token checked on Synapse's whoami. The same scenarios run against the
// devserver in test/oauth/client-scenarios.test.ts.
import {
  describeClientBrowserSignIn,
  describeClientDeviceGrant,
  describeClientDiscovery,
} from "../conformance/oauth-client";
import { useChromium } from "../helpers/chromium";
import { synapseLane, synapseOAuthTarget } from "./lane";

const target = synapseOAuthTarget(synapseLane());
const browser = useChromium();

describeClientDiscovery(target);
describeClientDeviceGrant(target);
describeClientBrowserSignIn(target, browser);
