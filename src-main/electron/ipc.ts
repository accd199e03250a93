// The contract over Electron IPC: one `ipcMain.handle` per command on its own channel (no generic channel, no
// `ipcMain.on`), and the engine's events sent to the window on one channel each. Every call is checked in this
// order before it reaches the engine: the sender is the app's own main frame on app://renderer/ (anything else:
// `forbidden_sender`), it carries exactly one payload, and the payload passes the command's schema
// (`invalid_request`, `too_large`). Only plain data crosses back: a thrown error would reach the page as a bare
// message (VS Code's note on ipcMain.handle), so every refusal is an answer.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from "electron";
import {
  readEvent,
  readRequest,
  type CommandName,
  type CommandOutcome,
  type CommandRequest,
} from "../../src-shared/contract";
import { COMMAND_NAMES, commandChannel, eventChannel } from "../../src-shared/contract-names";
import { toFlowError } from "../../src-shared/errors";
import type { EngineEvent, EngineHost } from "../engine/host";

export interface IpcServerOptions {
  readonly ipcMain: Pick<IpcMain, "handle">;
  /**
   * The engine that answers this sender's window, once it runs (a rejection is answered as the engine's error).
   * Asked only after the sender passed `isTrustedSender`.
   */
  readonly engine: (event: IpcMainInvokeEvent) => Promise<EngineHost>;
  readonly isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  /** Runs before a valid `flow.command` reaches the engine; an outcome it returns is the answer instead. */
  readonly beforeFlowCommand?: (
    request: CommandRequest<"flow.command">,
  ) => Promise<CommandOutcome<"flow.command"> | undefined>;
}

function refusal(code: "forbidden_sender" | "invalid_request", message: string) {
  return { ok: false as const, contractError: { code, message } };
}

export function serveContractOverIpc(options: IpcServerOptions): void {
  for (const name of COMMAND_NAMES) {
    options.ipcMain.handle(commandChannel(name), async (event, ...args: unknown[]) => {
      if (!options.isTrustedSender(event)) {
        return refusal("forbidden_sender", `${name}: only the app's own page may call the engine`);
      }
      if (args.length !== 1) return refusal("invalid_request", `${name}: one payload per call`);
      return answer(options, event, name, args[0]);
    });
  }
}

async function answer(
  options: IpcServerOptions,
  event: IpcMainInvokeEvent,
  name: CommandName,
  payload: unknown,
): Promise<CommandOutcome<CommandName>> {
  const read = readRequest(name, payload);
  if (!read.ok) return { ok: false, contractError: read.error };
  try {
    if (name === "flow.command" && options.beforeFlowCommand !== undefined) {
      const instead = await options.beforeFlowCommand(read.value as CommandRequest<"flow.command">);
      if (instead !== undefined) return instead;
    }
    const engine = await options.engine(event);
    return await engine.invoke(name, read.value);
  } catch (error) {
    // The engine never throws by its contract; an engine that failed to start does, and says why here.
    return { ok: false, error: toFlowError(error) };
  }
}

/** Sends each engine event, checked against the contract, to the window on the event's own channel. */
export function forwardEvents(
  engine: EngineHost,
  target: () => WebContents | undefined,
  also?: (event: EngineEvent) => void,
): () => void {
  return engine.subscribe((event) => {
    also?.(event);
    const checked = readEvent(event.name, event.payload);
    if (!checked.ok) {
      console.error(`dropped a ${event.name} event that breaks the contract: ${checked.error.message}`);
      return;
    }
    const contents = target();
    if (contents !== undefined && !contents.isDestroyed())
      contents.send(eventChannel(event.name), checked.value);
  });
}
