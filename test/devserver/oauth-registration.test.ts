// Dynamic client registration under the Matrix rules and MAS's policy (PROTOCOL.md §5.2), on the devserver: the
// shared scenarios, also run against Synapse with the devserver as its MAS (test/synapse/).
import { describeClientRegistration } from "../conformance/oauth";
import { devserverOAuthTarget } from "./oauth-fixtures";

describeClientRegistration(devserverOAuthTarget());
