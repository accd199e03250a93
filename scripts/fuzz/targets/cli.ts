// The command line's --json command reader: a line of standard input, read as a flow command or refused with
// a typed answer whose detail is clean and bounded (what the CLI prints back as a JSON line).
import { isDeepStrictEqual } from "node:util";
import { readCommandLine } from "../../../src-main/hosts/cli/command-line";
import { readFlowCommand } from "../../../src-shared/flow";
import { defineTarget, PARSER_BOUND_MS, type AnyTarget } from "../harness";
import { hostileJsonText } from "../hostile";
import { checkMessageHygiene, invariant } from "../oracle";

/** One of every command, as a driver would send it. */
const COMMAND_SEEDS: readonly unknown[] = [
  { type: "submitScannedQr", bytes: "TUFUUklY" },
  { type: "submitCheckCode", code: "42" },
  { type: "approveDevice", approve: true },
  { type: "confirmHomeserver", accept: false },
  { type: "consentOpened" },
  { type: "openConsentAgain" },
  { type: "newQr" },
  { type: "switchVersion", version: "v2025" },
  { type: "cancel" },
];

const jsonCommand = defineTarget<string>({
  name: "cli.jsonCommand",
  area: "CLI --json",
  weight: 4,
  boundMs: PARSER_BOUND_MS,
  input: hostileJsonText(COMMAND_SEEDS, 70_000),
  run(line) {
    const read = readCommandLine(line);
    if (!read.ok) {
      checkMessageHygiene("refusal", read.rejected.detail);
      return `rejected:${read.rejected.reason}`;
    }
    // A command read from a line is the command the contract reads from the same value.
    const again = readFlowCommand(JSON.parse(line));
    invariant(again.ok && isDeepStrictEqual(again.command, read.command), "the line and the value disagree");
    return "ok";
  },
});

export const CLI_TARGETS: readonly AnyTarget[] = [jsonCommand];
