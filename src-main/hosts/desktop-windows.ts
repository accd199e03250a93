// The Electron shell's windows as plain Node (so they are tested without Electron): which engine answers each
// window and whose events each window hears. A window is whatever key the shell gives (Electron: its
// WebContents, the sender every IPC call names). The profile's own window starts on the profile's engine behind a
// SwitchableEngine; from its welcome screen "Try it on this computer" starts the local demo (src-main/demo/), which
// switches that window to the demo's signed-in profile and opens a second window routed to the new device's
// engine. Every IPC call is answered by the engine of the window that sent it, never another's.
import { DemoLauncher, SwitchableEngine } from "../demo/launcher";
import type { DemoEngineRequest, LocalDemoOptions } from "../demo/local-demo";
import type { DemoPort } from "../engine/demo-port";
import type { EngineHost } from "../engine/host";
import type { Engine } from "../engine/index";

export interface DesktopWindowsOptions<W> {
  /** The profile's own engine, with the port through which its window can start the demo. */
  readonly createEngine: (demo: DemoPort) => Promise<Engine>;
  /** The engine of one of the demo's profiles (the shell adds its runtime, log and openUrl). */
  readonly createDemoEngine: (request: DemoEngineRequest) => Promise<Engine>;
  /** Opens the demo's second window ("New device"); its calls are routed once this returns. */
  readonly openWindow: (label: string) => W;
  /** Sends `engine`'s events to `window` until the returned function is called. */
  readonly forward: (engine: EngineHost, window: W) => () => void;
  /** Devserver options a test shortens. */
  readonly devserver?: LocalDemoOptions["devserver"];
}

interface Route {
  readonly engine: Promise<EngineHost>;
  stop: () => void;
}

export class DesktopWindows<W> {
  readonly #options: DesktopWindowsOptions<W>;
  readonly #routes = new Map<W, Route>();
  readonly #launcher: DemoLauncher;
  #profile: Promise<SwitchableEngine> | undefined;

  constructor(options: DesktopWindowsOptions<W>) {
    this.#options = options;
    this.#launcher = new DemoLauncher({
      createEngine: options.createDemoEngine,
      showNewDevice: (engine) => {
        this.#route(options.openWindow(engine.label ?? "New device"), engine);
        return Promise.resolve();
      },
      ...(options.devserver === undefined ? {} : { devserver: options.devserver }),
    });
  }

  /**
   * A window on the profile: its engine starts with the first such window and answers this window's calls (a call
   * before it runs waits for it; one that failed to start is answered with the failure). A window opened again
   * (macOS keeps the app running with none) gets the same engine.
   */
  openProfile(window: W): Promise<EngineHost> {
    let started = this.#profile;
    if (started === undefined) {
      let switchable: SwitchableEngine | undefined;
      started = this.#options
        .createEngine(this.#launcher.portFor(() => switchable))
        .then((engine) => (switchable = new SwitchableEngine(engine)));
      this.#profile = started;
    }
    this.closed(window);
    const route: Route = { engine: started, stop: () => undefined };
    this.#routes.set(window, route);
    started.then(
      (engine) => {
        if (this.#routes.get(window) === route) route.stop = this.#options.forward(engine, window);
      },
      // Nothing to forward from an engine that did not start; the caller has the failure.
      () => undefined,
    );
    return started;
  }

  /** The engine that answers `window`, or undefined for a window that has none (closed, or never ours). */
  engineFor(window: W): Promise<EngineHost> | undefined {
    return this.#routes.get(window)?.engine;
  }

  /** `window` closed: nothing is routed to it or sent to it any more (its engine lives on until close()). */
  closed(window: W): void {
    const route = this.#routes.get(window);
    if (route === undefined) return;
    this.#routes.delete(window);
    route.stop();
  }

  /** Stops every route, closes the profile's engine, then the demo (its engines, homeserver and folder). */
  async close(): Promise<void> {
    for (const window of [...this.#routes.keys()]) this.closed(window);
    const profile = this.#profile;
    this.#profile = undefined;
    const closed = await Promise.allSettled([
      // A profile that never opened has nothing to close (its failure went to whoever opened it).
      profile?.then(
        (engine) => engine.close(),
        () => undefined,
      ),
      this.#launcher.close(),
    ]);
    const failed = closed.find((result) => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }

  #route(window: W, engine: EngineHost): void {
    this.closed(window);
    this.#routes.set(window, {
      engine: Promise.resolve(engine),
      stop: this.#options.forward(engine, window),
    });
  }
}
