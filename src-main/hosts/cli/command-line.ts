// One line of standard input in --json mode, read as a flow command (docs/ux.md "Command line"): a JSON object
// in the contract's command shape, or the typed refusal the command line prints back. The line comes from
// whatever drives the process, so it is bounded before it is parsed: a length cap (the largest command, a
// scanned QR's 8 KiB of base64, fits with room) and a nesting cap (commands are flat objects; a deeply nested
// text would cost JSON.parse time, src-shared/json-depth.ts).
import { readFlowCommand, type CommandRejected, type FlowCommand } from "../../../src-shared/flow";
import { nestsWithin } from "../../../src-shared/json-depth";

/** The longest command line read: 64 KiB. */
export const MAX_COMMAND_LINE = 64 * 1024;

/** Commands are one object of plain fields. */
const MAX_COMMAND_DEPTH = 4;

export type CommandLineRead =
  | { readonly ok: true; readonly command: FlowCommand }
  | { readonly ok: false; readonly rejected: CommandRejected };

const refuse = (detail: string): CommandLineRead => ({
  ok: false,
  rejected: { type: "rejected", reason: "invalid_command", detail },
});

export function readCommandLine(line: string): CommandLineRead {
  if (line.length > MAX_COMMAND_LINE) {
    return refuse(`a line of ${line.length} characters (at most ${MAX_COMMAND_LINE})`);
  }
  if (!nestsWithin(line, MAX_COMMAND_DEPTH)) return refuse("nested too deep for a command");
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return refuse("not a JSON object");
  }
  return readFlowCommand(value);
}
