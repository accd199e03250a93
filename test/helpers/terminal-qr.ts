// Reads a QR code back from a terminal drawn with half blocks (src-main/hosts/cli/terminal-qr.ts): the longest run
// of lines made only of "▀", "▄", "█" and spaces, two module rows per line, cut to the dark modules' bounding
// square. Colour escapes and carriage returns are ignored, so a raw terminal stream or a tmux capture both work.

export interface ReadModules {
  readonly size: number;
  get(row: number, column: number): boolean;
}

export function readHalfBlocks(text: string): ReadModules {
  const lines = text
    // eslint-disable-next-line no-control-regex -- terminal escapes are what is stripped
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split("\n")
    .map((line) => line.replace(/\r$/, ""));
  const isDrawing = (line: string) => /[▀▄█]/.test(line) && /^[ ▀▄█]*$/.test(line);
  let best: string[] = [];
  let run: string[] = [];
  for (const line of lines) {
    if (isDrawing(line)) {
      run.push(line);
      if (run.length > best.length) best = [...run];
    } else {
      run = [];
    }
  }
  if (best.length === 0) throw new Error("no half-block drawing in the text");
  const grid: boolean[][] = [];
  for (const line of best) {
    // The drawing's characters are all in the Basic Multilingual Plane: one code point each.
    const chars = Array.from(line);
    grid.push(chars.map((char) => char === "▀" || char === "█"));
    grid.push(chars.map((char) => char === "▄" || char === "█"));
  }
  let top = Infinity;
  let bottom = -Infinity;
  let left = Infinity;
  let right = -Infinity;
  grid.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (!dark) return;
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
      left = Math.min(left, x);
      right = Math.max(right, x);
    });
  });
  const size = bottom - top + 1;
  if (right - left + 1 !== size) throw new Error(`the drawing is ${right - left + 1} wide and ${size} high`);
  return { size, get: (row, column) => grid[top + row]?.[left + column] === true };
}
