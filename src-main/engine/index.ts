// The engine every host runs: one profile's account, its sign-in flows and its transcript, answering the
// contract (src-shared/contract.ts). Hosts import it through this file.
export { createEngine, Engine, type EngineOptions } from "./engine";
export type { EngineEvent, EngineHost } from "./host";
export { Account, type AccountOptions } from "./account";
