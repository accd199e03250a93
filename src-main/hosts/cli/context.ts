// What every command of the command line runs with: its streams, its output mode, how it learns of Ctrl-C
// (SIGINT or SIGTERM) and how it stops the process; and the exit statuses they share.
import type { FlowError } from "../../../src-shared/errors";
import type {
  CommandName,
  CommandOutcome,
  CommandResponse,
  EventPayload,
} from "../../../src-shared/contract";
import type { CliStreams, Output } from "./io";

/** 0 done, 2 usage error, 3 the flow or the command failed; 130 a second Ctrl-C; 1 a bug. */
export const EXIT = { ok: 0, bug: 1, usage: 2, failed: 3, interrupted: 130 } as const;

export interface CliContext {
  readonly streams: CliStreams;
  readonly out: Output;
  /** Calls `listener` on SIGINT and SIGTERM until the returned function is called. */
  onInterrupt(listener: () => void): () => void;
  /** Ends the process now (after what was written reached the OS). */
  exit(code: number): void;
}

/** The engine's or the contract's error of a failed command, as one FlowError. */
/** A flow's snapshot as the engine emits it (src-shared/contract.ts). */
export type Snapshot = EventPayload<"flow.snapshot">;

/** A flow's answer to a command. */
export type CommandAnswer = CommandResponse<"flow.command">;

export type FailedOutcome = Extract<CommandOutcome<CommandName>, { readonly ok: false }>;

/** An error as the contract carries it, as the one FlowError type. */
export function asFlowError(error: {
  readonly code: FlowError["code"];
  readonly reason?: string | undefined;
  readonly retryable: boolean;
  readonly message: string;
}): FlowError {
  return {
    code: error.code,
    ...(error.reason === undefined ? {} : { reason: error.reason }),
    retryable: error.retryable,
    message: error.message,
  };
}

export function outcomeError(outcome: FailedOutcome): FlowError {
  if ("error" in outcome) return asFlowError(outcome.error);
  return {
    code: "internal_error",
    reason: outcome.contractError.code,
    retryable: false,
    message: outcome.contractError.message,
  };
}
