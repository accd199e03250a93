// One suite of the scenario matrix: every row of src-main/flows/scenarios.ts that runs in `direction` and
// `version`, each as a test named after the row, against one devserver and one existing device.
import { afterAll, beforeAll, describe, it } from "vitest";
import { scenariosFor, type Direction } from "../../src-main/flows/scenarios";
import type { WireVersion } from "../../src-main/protocol";
import { createFlowWorld, runScenario, type FlowWorld } from "./harness";

export function scenarioSuite(direction: Direction, version: WireVersion): void {
  const who =
    direction === "existing_shows" ? "the existing device shows the QR" : "the new device shows the QR";
  describe(`${who}, ${version}`, () => {
    let world: FlowWorld;
    beforeAll(async () => {
      world = await createFlowWorld();
    }, 60_000);
    afterAll(async () => {
      await world.close();
    });
    for (const row of scenariosFor(direction, version)) {
      it(`${row.id}: ${row.title}`, async () => {
        await runScenario(world, row, direction, version);
      });
    }
  });
}
