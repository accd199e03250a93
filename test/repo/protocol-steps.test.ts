// The numbered flow steps exist twice: as data (src-shared/protocol-steps.ts) and as the tables of
// docs/protocol.md §5. These scenarios keep the two the same list, in the same order, with no stray IDs.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  PROTOCOL_STEPS,
  isProtocolStep,
  stepsOf,
  type StepDirection,
  type StepSide,
} from "../../src-shared/protocol-steps";

const ROLES: readonly (readonly [StepDirection, StepSide])[] = [
  ["A", "G"],
  ["A", "S"],
  ["B", "G"],
  ["B", "S"],
];

const DOCS_WITH_STEPS = ["docs/protocol.md", "docs/ux.md", "docs/ARCHITECTURE.md"];
const ANY_STEP_ID = /\b[AB]-[GS]\d+\b/g;
/** A step's own row in a §5 table: the ID alone in the first cell. */
const STEP_ROW = /^\|\s*([AB]-[GS]\d+)\s*\|/;

function readDoc(path: string): string {
  return readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
}

describe("protocol steps as data", () => {
  it("numbers each role's steps 1, 2, 3... without gaps", () => {
    for (const [direction, side] of ROLES) {
      const steps = stepsOf(direction, side);
      expect(steps.length, `${direction}-${side}`).toBeGreaterThan(0);
      expect(steps).toEqual(steps.map((_, index) => `${direction}-${side}${index + 1}`));
    }
  });

  it("has the step counts of the two directions: 12 and 11 in each", () => {
    expect(stepsOf("A", "G")).toHaveLength(12);
    expect(stepsOf("A", "S")).toHaveLength(11);
    expect(stepsOf("B", "G")).toHaveLength(12);
    expect(stepsOf("B", "S")).toHaveLength(11);
    expect(Object.keys(PROTOCOL_STEPS)).toHaveLength(46);
  });

  it("recognises step IDs and nothing else", () => {
    expect(isProtocolStep("A-G12")).toBe(true);
    expect(isProtocolStep("A-G13")).toBe(false);
    expect(isProtocolStep("toString")).toBe(false);
  });
});

describe("docs/protocol.md §5", () => {
  const doc = readDoc("docs/protocol.md");
  const rows = doc
    .split("\n")
    .map((line) => STEP_ROW.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);

  it("has one table row per step, each role's rows in the order of the data", () => {
    for (const [direction, side] of ROLES) {
      const prefix = `${direction}-${side}`;
      const documented = rows.filter((id) => id.replace(/\d+$/, "") === prefix);
      expect(documented, prefix).toEqual(stepsOf(direction, side));
    }
    expect(rows.filter((id) => !isProtocolStep(id))).toEqual([]);
  });

  it("describes every step on its row", () => {
    for (const line of doc.split("\n")) {
      const id = STEP_ROW.exec(line)?.[1];
      if (id === undefined) continue;
      const cells = line.split("|").map((cell) => cell.trim());
      // | ID | what happens | MSC step |
      expect(cells[2], id).not.toBe("");
      expect(cells[3], id).toMatch(/^(Establishment|Login|Secrets) \d/);
    }
  });

  it.each(DOCS_WITH_STEPS)("%s names no step ID that does not exist", (path) => {
    const unknown = [...readDoc(path).matchAll(ANY_STEP_ID)]
      .map(([id]) => id)
      .filter((id) => !isProtocolStep(id));
    expect(unknown).toEqual([]);
  });
});
