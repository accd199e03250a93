// The app's words for the command line's human mode: the same catalogue the screens use (src-renderer/copy/,
// plain data), so the terminal and the window say the same thing for every phase and every error.
import type { FlowError } from "../../../src-shared/errors";
import type { FlowRole, WireVersion } from "../../../src-shared/flow";
import { causeCopy, checkLabel } from "../../../src-renderer/copy/checks";
import { errorCopy } from "../../../src-renderer/copy/errors";
import { t } from "../../../src-renderer/copy/format";
import { instructionsFor } from "../../../src-renderer/copy/instructions";
import { phaseTitle } from "../../../src-renderer/copy/phases";

export { causeCopy, checkLabel, phaseTitle, t };

/** The numbered instructions of this direction and wire version, in the other app's words. */
export function instructionLines(
  role: FlowRole,
  side: "generator" | "scanner",
  version: WireVersion,
): string[] {
  return instructionsFor(role, side, version).map((key, i) => `  ${i + 1}. ${t(key)}`);
}

/** What the error screen says: title, cause, next step, and the code for a bug report or a script. */
export function errorLines(
  error: Pick<FlowError, "code"> & { readonly reason?: string | undefined },
  role: FlowRole,
): string[] {
  const copy = errorCopy(
    { code: error.code, ...(error.reason === undefined ? {} : { reason: error.reason }) },
    role,
  );
  const code = error.reason === undefined ? error.code : `${error.code}, ${error.reason}`;
  return [t(copy.title), t(copy.cause), t(copy.next), `(error: ${code})`];
}
