// The engine as every transport sees it: one object that answers the contract's commands and emits its events
// (src-shared/contract.ts). Electron's IPC and the browser host's WebSocket are thin adapters over an
// EngineHost; they check who is asking and that the message is well formed, and nothing else.
import type {
  CommandName,
  CommandOutcome,
  CommandRequest,
  EventName,
  EventPayload,
} from "../../src-shared/contract";

/** One event as it leaves the engine. */
export type EngineEvent = {
  [N in EventName]: { readonly name: N; readonly payload: EventPayload<N> };
}[EventName];

export interface EngineHost {
  /**
   * Answers one command whose request already passed the contract's schema. Never throws: the engine's own
   * failures come back as `{ ok: false, error }` (a FlowError), plain data that survives any transport.
   */
  invoke<N extends CommandName>(name: N, request: CommandRequest<N>): Promise<CommandOutcome<N>>;
  /** Calls `listener` with every event (already valid per the contract) until the returned function is called. */
  subscribe(listener: (event: EngineEvent) => void): () => void;
  /** Stops every flow, the account's device and timers; the profile is closed. */
  close(): Promise<void>;
}
