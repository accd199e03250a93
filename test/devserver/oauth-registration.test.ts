// Dynamic client registration under the Matrix rules and MAS's policy (docs/protocol.md §6), on the devserver: the
// shared scenarios, also run against Synapse with the devserver as its MAS (test/synapse/).
import { describeClientRegistration } from "../conformance/oauth";
import { devserverOAuthTarget } from "./oauth-fixtures";

describeClientRegistration(devserverOAuthTarget());
