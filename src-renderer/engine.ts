// How the renderer obtains its engine. A host puts a bridge on `window.matrixQrLogin`: one named function per
// command and one subscribe function per event, built from the contract's name lists (Electron's preload does it
// over IPC; browser-bridge.ts does it over the browser host's WebSocket). The renderer checks every request before
// it leaves, and every answer and event as it arrives, against the contract (src-shared/contract.ts), so a host
// that sends something else is noticed here, not three components later. Without a bridge (a plain browser page)
// the app runs on the fake engine with sample data, and says so.
import {
  isCommandName,
  isEventName,
  readEvent,
  readOutcome,
  readRequest,
  type CommandName,
  type CommandOutcome,
  type CommandRequest,
  type EngineApi,
  type EventName,
  type EventPayload,
} from "../src-shared/contract";
import type { CommandNameList, EventNameList } from "../src-shared/contract-names";
import { browserHostBridge } from "./browser-bridge";

/** What a host exposes on `window.matrixQrLogin`: named functions only, nothing generic. */
export interface HostBridge {
  /** Which host this is (`electron`, `browser`), for labels only. */
  readonly host?: string;
  readonly commands?: Readonly<Partial<Record<CommandNameList, (request: unknown) => Promise<unknown>>>>;
  readonly events?: Readonly<
    Partial<Record<EventNameList, (listener: (payload: unknown) => void) => () => void>>
  >;
}

declare global {
  interface Window {
    matrixQrLogin?: HostBridge;
  }
}

export interface ObtainedEngine {
  readonly engine: EngineApi;
  /** True when running on sample data (no engine behind the page). */
  readonly preview: boolean;
}

/** The engine behind a host bridge, or undefined when the bridge has no engine (yet). */
export function engineFromBridge(bridge: HostBridge | undefined): EngineApi | undefined {
  const commands = bridge?.commands;
  const events = bridge?.events;
  if (commands === undefined || events === undefined) return undefined;
  return {
    async invoke<N extends CommandName>(name: N, request: CommandRequest<N>): Promise<CommandOutcome<N>> {
      if (!isCommandName(name)) throw new TypeError(`unknown command ${String(name)}`);
      const checked = readRequest(name, request);
      // A request that fails the contract is this renderer's bug, not the user's: say so loudly.
      if (!checked.ok) throw new TypeError(`${name}: ${checked.error.message}`);
      const send = commands[name];
      if (send === undefined) throw new TypeError(`the host offers no ${name}`);
      const outcome = readOutcome(name, await send(checked.value));
      if (!outcome.ok && "contractError" in outcome && outcome.contractError.code === "invalid_response") {
        console.error(`${name}: the host's answer breaks the contract: ${outcome.contractError.message}`);
      }
      return outcome;
    },
    on<N extends EventName>(name: N, listener: (payload: EventPayload<N>) => void): () => void {
      if (!isEventName(name)) throw new TypeError(`unknown event ${String(name)}`);
      const subscribe = events[name];
      if (subscribe === undefined) throw new TypeError(`the host offers no ${name} event`);
      return subscribe((payload) => {
        const checked = readEvent(name, payload);
        if (!checked.ok) {
          console.error(`dropped a ${name} event that breaks the contract: ${checked.error.message}`);
          return;
        }
        listener(checked.value);
      });
    },
  };
}

/**
 * The engine for this page: Electron's (the preload's bridge), the browser host's (a `#token=` in the address),
 * or the fake one with sample data chosen by the URL's query.
 */
export async function obtainEngine(win: Window): Promise<ObtainedEngine> {
  if (win.matrixQrLogin === undefined) {
    const browser = browserHostBridge(win);
    if (browser !== undefined) win.matrixQrLogin = browser;
  }
  const real = engineFromBridge(win.matrixQrLogin);
  if (real !== undefined) return { engine: real, preview: false };
  // Loaded only when needed: a page with a real engine never fetches the sample data.
  const { FakeEngine, fakeOptionsFromQuery } = await import("./fake-engine");
  const fake = new FakeEngine(fakeOptionsFromQuery(win.location.search));
  (win as Window & { matrixQrLoginPreview?: InstanceType<typeof FakeEngine> }).matrixQrLoginPreview = fake;
  return { engine: fake, preview: true };
}
