// The scenario table against itself: every row names an exact ending for each device it runs (done, or an error
// code), and the two endings of a row are a pair PEER_ENDINGS allows, the table the model-based sequences
// (test/flows/model.test.ts) are checked against.
import { describe, expect, it } from "vitest";
import { FLOW_ERROR_CODES } from "../../src-shared/errors";
import { DIRECTIONS, PEER_ENDINGS, SCENARIOS, expectationFor, scenariosFor, type Ending } from "./scenarios";

const VERSIONS = ["v2024", "v2025"] as const;

function ending(error: string | undefined): Ending {
  return (error ?? "done") as Ending;
}

describe("the scenario table", () => {
  it("has unique row ids", () => {
    const ids = SCENARIOS.map((row) => row.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("names an exact ending for every device of every row, and a pair of endings PEER_ENDINGS allows", () => {
    const pairs: string[] = [];
    for (const direction of DIRECTIONS) {
      for (const version of VERSIONS) {
        for (const row of scenariosFor(direction, version)) {
          const existing = expectationFor(row, "existing", direction, version);
          const fresh = expectationFor(row, "new", direction, version);
          for (const side of [existing, fresh]) {
            if (side.error !== undefined) expect(FLOW_ERROR_CODES, row.id).toContain(side.error);
            // A side that runs ends in `done` or `error`, as its last expected phase says.
            if (side.absent !== true) {
              expect(["done", "error"], `${row.id} ${direction} ${version}`).toContain(side.phases.at(-1));
              expect(side.phases.at(-1) === "error", `${row.id}: an error phase names its code`).toBe(
                side.error !== undefined,
              );
            }
          }
          if (existing.absent === true || fresh.absent === true) continue;
          const a = ending(existing.error);
          const b = ending(fresh.error);
          if (!(PEER_ENDINGS[a] ?? []).includes(b))
            pairs.push(`${row.id} ${direction} ${version}: ${a} / ${b}`);
        }
      }
    }
    expect(pairs, "rows whose endings PEER_ENDINGS does not allow").toEqual([]);
  });

  it("allows each pair in either order", () => {
    for (const [a, others] of Object.entries(PEER_ENDINGS)) {
      for (const b of others) expect(PEER_ENDINGS[b], `${a} / ${b}`).toContain(a);
    }
  });
});
