// How the renderer obtains its engine. The host (Electron's preload, the browser host's page script) puts an
// object on `window.matrixQrLogin` with `invoke(name, request)` and `on(event, listener)`; the renderer checks
// every request before it leaves and every event as it arrives against the contract (src-shared/contract.ts),
// so a host that sends something else is noticed here, not three components later. Without such an object
// (a plain browser, or a host that exposes nothing yet) the app runs on the fake engine with sample data,
// and says so.
import {
  isCommandName,
  isEventName,
  readEvent,
  readRequest,
  type CommandName,
  type CommandOutcome,
  type CommandRequest,
  type EngineApi,
  type EventName,
  type EventPayload,
} from "../src-shared/contract";

/** What a host exposes on `window.matrixQrLogin`. */
export interface HostBridge {
  /** Which host this is (`electron`, `browser`), for labels only. */
  readonly host?: string;
  readonly invoke?: (name: string, request: unknown) => Promise<unknown>;
  readonly on?: (name: string, listener: (payload: unknown) => void) => () => void;
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
  if (bridge === undefined || typeof bridge.invoke !== "function" || typeof bridge.on !== "function") {
    return undefined;
  }
  const invoke = bridge.invoke.bind(bridge);
  const on = bridge.on.bind(bridge);
  return {
    async invoke<N extends CommandName>(name: N, request: CommandRequest<N>): Promise<CommandOutcome<N>> {
      if (!isCommandName(name)) throw new TypeError(`unknown command ${String(name)}`);
      const checked = readRequest(name, request);
      // A request that fails the contract is this renderer's bug, not the user's: say so loudly.
      if (!checked.ok) throw new TypeError(`${name}: ${checked.error.message}`);
      return (await invoke(name, checked.value)) as CommandOutcome<N>;
    },
    on<N extends EventName>(name: N, listener: (payload: EventPayload<N>) => void): () => void {
      if (!isEventName(name)) throw new TypeError(`unknown event ${String(name)}`);
      return on(name, (payload) => {
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

/** The engine for this page: the host's, or the fake one with sample data chosen by the URL's query. */
export async function obtainEngine(win: Window): Promise<ObtainedEngine> {
  const real = engineFromBridge(win.matrixQrLogin);
  if (real !== undefined) return { engine: real, preview: false };
  // Loaded only when needed: a page with a real engine never fetches the sample data.
  const { FakeEngine, fakeOptionsFromQuery } = await import("./fake-engine");
  const fake = new FakeEngine(fakeOptionsFromQuery(win.location.search));
  (win as Window & { matrixQrLoginPreview?: InstanceType<typeof FakeEngine> }).matrixQrLoginPreview = fake;
  return { engine: fake, preview: true };
}
