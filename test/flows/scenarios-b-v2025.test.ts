// The scenario matrix, direction B (new shows), v2025: see suite.ts.
import { scenarioSuite } from "./suite";

scenarioSuite("new_shows", "v2025");
