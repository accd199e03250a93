// The QR code drawn in a terminal with half blocks: each character cell holds two modules, one above the other
// (▀ top dark, ▄ bottom dark, █ both, space neither), with the quiet zone, dark on light. On a terminal the
// colours are set explicitly (black on white), so that a dark theme does not invert the code; without colour
// (not a terminal, or NO_COLOR) the characters alone draw it dark on a light background.
import { QUIET_ZONE, type QrMatrix } from "./qr-matrix";

/** Indexed by 2 x top + bottom (1 = dark). */
const BLOCKS: readonly string[] = [" ", "▄", "▀", "█"];
const DARK_ON_LIGHT = "\u001b[30;107m";
const RESET = "\u001b[0m";

export interface TerminalQrOptions {
  /** Wrap each line in escape codes that set black on bright white. */
  readonly colour: boolean;
}

/** The lines of the drawing, top to bottom, each the same width (the symbol plus its quiet zone). */
export function drawHalfBlocks(matrix: QrMatrix, options: TerminalQrOptions): string[] {
  const first = -QUIET_ZONE;
  const end = matrix.size + QUIET_ZONE;
  const lines: string[] = [];
  for (let row = first; row < end; row += 2) {
    let line = "";
    for (let column = first; column < end; column += 1) {
      const top = matrix.dark(row, column) ? 2 : 0;
      const bottom = row + 1 < end && matrix.dark(row + 1, column) ? 1 : 0;
      line += BLOCKS[top + bottom] ?? " ";
    }
    lines.push(options.colour ? `${DARK_ON_LIGHT}${line}${RESET}` : line);
  }
  return lines;
}
