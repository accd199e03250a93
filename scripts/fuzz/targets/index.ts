// Every fuzz target, in the order the report lists them.
import type { AnyTarget } from "../harness";
import { CLI_TARGETS } from "./cli";
import { CSAPI_TARGETS } from "./csapi";
import { IPC_TARGETS } from "./ipc";
import { OAUTH_TARGETS } from "./oauth";
import { PROTOCOL_TARGETS } from "./protocol";
import { RENDEZVOUS_TARGETS } from "./rendezvous";

export const FUZZ_TARGETS: readonly AnyTarget[] = [
  ...PROTOCOL_TARGETS,
  ...RENDEZVOUS_TARGETS,
  ...OAUTH_TARGETS,
  ...CSAPI_TARGETS,
  ...IPC_TARGETS,
  ...CLI_TARGETS,
];
