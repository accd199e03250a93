// The scenario matrix, direction B (new shows), v2024: see suite.ts.
import { scenarioSuite } from "./suite";

scenarioSuite("new_shows", "v2024");
