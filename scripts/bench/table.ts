// The benchmark's printing: fixed-width tables of text and numbers, and the median its figures are.
export type Cell = string | number;

function formatCell(cell: Cell): string {
  if (typeof cell === "string") return cell;
  return Number.isInteger(cell) ? String(cell) : cell.toFixed(cell < 10 ? 2 : 1);
}

/** Prints `rows` under `headers`, columns padded; numbers right-aligned. */
export function printTable(
  title: string,
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
): void {
  const text = rows.map((row) => row.map(formatCell));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...text.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[], numeric: readonly boolean[]): string =>
    cells
      .map((cell, column) =>
        numeric[column] === true ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(headers, []));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const [index, row] of text.entries()) {
    console.log(
      line(
        row,
        (rows[index] ?? []).map((cell) => typeof cell === "number"),
      ),
    );
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
