// How a host starts the local demo (local-demo.ts) and shows it. A window whose profile has no account offers
// "Try it on this computer": its engine sits behind a SwitchableEngine, and once the demo runs that window is
// switched to the demo's signed-in profile while the host opens a second window on the new device's. `npm run
// demo` starts it from the command line instead and shows both windows at once. One demo per host process.
import type { CommandName, CommandOutcome, CommandRequest } from "../../src-shared/contract";
import { FlowFailure, flowError } from "../../src-shared/errors";
import { INACTIVE_DEMO, type DemoPort } from "../engine/demo-port";
import type { EngineEvent, EngineHost } from "../engine/host";
import type { Engine } from "../engine/index";
import { LocalDemo, type LocalDemoOptions } from "./local-demo";

/**
 * One window's engine that can be switched to another (the demo's signed-in profile) without the window's
 * transport noticing: its listeners stay subscribed, and hear the new engine's account and demo state at once.
 */
export class SwitchableEngine implements EngineHost {
  readonly #original: EngineHost;
  #target: EngineHost;
  readonly #listeners = new Set<(event: EngineEvent) => void>();
  #unsubscribe: () => void;

  constructor(original: EngineHost) {
    this.#original = original;
    this.#target = original;
    this.#unsubscribe = original.subscribe((event) => {
      this.#emit(event);
    });
  }

  get current(): EngineHost {
    return this.#target;
  }

  invoke<N extends CommandName>(name: N, request: CommandRequest<N>): Promise<CommandOutcome<N>> {
    return this.#target.invoke(name, request);
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: EngineEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }

  /** From now on this window talks to `engine` (which its owner closes). */
  async switchTo(engine: Engine): Promise<void> {
    this.#unsubscribe();
    this.#target = engine;
    this.#unsubscribe = engine.subscribe((event) => {
      this.#emit(event);
    });
    this.#emit({ name: "account.state", payload: await engine.accountState() });
    const demo = await engine.invoke("demo.status", {});
    if (demo.ok) {
      const { password: _shownOnce, ...state } = demo.value;
      this.#emit({ name: "demo.state", payload: state });
    }
  }

  /** Closes the engine this window started with; a demo engine is closed by its demo. */
  async close(): Promise<void> {
    this.#unsubscribe();
    this.#listeners.clear();
    await this.#original.close();
  }
}

export interface DemoLauncherOptions extends Omit<LocalDemoOptions, "signal"> {
  /** Opens the second window, on the demo's new device. */
  readonly showNewDevice: (engine: Engine) => Promise<void>;
  /** The window that started the demo now shows its signed-in profile (whose URLs that window opens). */
  readonly switched?: (window: SwitchableEngine, engine: Engine) => void;
}

export class DemoLauncher {
  readonly #options: DemoLauncherOptions;
  #demo: Promise<LocalDemo> | undefined;

  constructor(options: DemoLauncherOptions) {
    this.#options = options;
  }

  /** The running demo, if one was started. */
  get demo(): Promise<LocalDemo> | undefined {
    return this.#demo;
  }

  /** Starts the demo (once); a failed start can be tried again. */
  start(signal?: AbortSignal): Promise<LocalDemo> {
    if (this.#demo !== undefined) {
      return Promise.reject(
        new FlowFailure(flowError("internal_error", "the local demo runs already", "demo_running")),
      );
    }
    const started = LocalDemo.start({ ...this.#options, ...(signal === undefined ? {} : { signal }) });
    this.#demo = started;
    started.catch(() => {
      if (this.#demo === started) this.#demo = undefined;
    });
    return started;
  }

  /**
   * The demo port of a window that can start the demo: it becomes the signed-in window. `window` is read when the
   * demo starts (the engine that takes this port is made before the SwitchableEngine around it).
   */
  portFor(window: () => SwitchableEngine | undefined): DemoPort {
    return {
      tryLocally: async (signal) => {
        const switchable = window();
        if (switchable === undefined) throw new TypeError("the window's engine is not served yet");
        const demo = await this.start(signal);
        await this.#options.showNewDevice(demo.engine("new_device"));
        this.#options.switched?.(switchable, demo.engine("signed_in"));
        await switchable.switchTo(demo.engine("signed_in"));
        return demo.state("signed_in");
      },
      status: () => INACTIVE_DEMO,
      setSynapseTiming: () => {
        throw new FlowFailure(flowError("internal_error", "the local demo is not running", "no_local_demo"));
      },
      sendQrToOtherWindow: () => {
        throw new FlowFailure(flowError("internal_error", "the local demo is not running", "no_local_demo"));
      },
      subscribe: () => () => undefined,
    };
  }

  /** Stops the demo: its engines, its homeserver, its folder. */
  async close(): Promise<void> {
    const demo = this.#demo;
    this.#demo = undefined;
    if (demo === undefined) return;
    const running = await demo.catch(() => undefined);
    await running?.close();
  }
}
