// The scenario matrix, direction A (existing shows), v2024: see suite.ts.
import { scenarioSuite } from "./suite";

scenarioSuite("existing_shows", "v2024");
