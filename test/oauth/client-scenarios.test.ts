// The OAuth client's shared scenarios (test/conformance/oauth-client.ts) against the devserver, each test on a fresh
// one with the settings it asks for; the Synapse lane runs the same scenarios against Synapse.
import {
  describeClientBrowserSignIn,
  describeClientDeviceGrant,
  describeClientDiscovery,
} from "../conformance/oauth-client";
import { devserverOAuthTarget } from "../devserver/oauth-fixtures";
import { useChromium } from "../helpers/chromium";

const target = devserverOAuthTarget();
const browser = useChromium();

describeClientDiscovery(target);
describeClientDeviceGrant(target);
describeClientBrowserSignIn(target, browser);
