// The browser host's windows: one page per profile, each with its own engine, server and token, and the local
// demo's windows (src-main/demo/). A profile with no account can start the demo from its page ("Try it on this
// computer"): that page switches to the demo's signed-in profile and a second page is served for the new device.
// `npm run demo` starts the demo at once. The command line (cli.ts) and the tests use this one assembly.
import { createEngine, type Engine, type EngineOptions } from "../../engine/index";
import type { EngineHost } from "../../engine/host";
import type { ProfileLocation } from "../../matrix";
import { DemoLauncher, SwitchableEngine } from "../../demo/launcher";
import type { DemoEngineRequest, LocalDemoOptions } from "../../demo/local-demo";
import { openUrlThroughPage, startBrowserHost, type BrowserHost } from "./server";

export interface ServedWindow {
  readonly host: BrowserHost;
  readonly engine: EngineHost;
  /** "This computer, signed in" / "New device" for the demo's windows. */
  readonly label?: string;
}

export interface BrowserWindowsOptions {
  readonly rendererDir: string;
  readonly allowInsecureHttp: boolean;
  /** Engine options every window's engine gets (the runtime, timings, the error log). */
  readonly engine: Pick<EngineOptions, "runtime" | "timings" | "device" | "onError" | "secretStore">;
  /** Told about each window once it is served (the command line prints its ready line and opens it). */
  readonly onWindow: (window: ServedWindow) => Promise<void> | void;
  readonly devserver?: LocalDemoOptions["devserver"];
}

export class BrowserWindows {
  readonly #options: BrowserWindowsOptions;
  readonly #served: ServedWindow[] = [];
  readonly #launcher: DemoLauncher;

  constructor(options: BrowserWindowsOptions) {
    this.#options = options;
    this.#launcher = new DemoLauncher({
      createEngine: (request) => this.#demoEngine(request),
      showNewDevice: async (engine) => {
        await this.#serve(engine, engine.label);
      },
      switched: (window, engine) => {
        const holder = this.#demoHosts.get(engine);
        const host = this.#served.find((served) => served.engine === window)?.host;
        if (holder !== undefined && host !== undefined) holder.host = host;
      },
      ...(options.devserver === undefined ? {} : { devserver: options.devserver }),
    });
  }

  get windows(): readonly ServedWindow[] {
    return this.#served;
  }

  /** Serves one of the user's profiles; with no account, its page can start the demo. */
  async serveProfile(location: ProfileLocation): Promise<{ window: ServedWindow; engine: Engine }> {
    const holder: { host?: BrowserHost; switchable?: SwitchableEngine } = {};
    const engine = await createEngine({
      ...this.#options.engine,
      app: "browser-host",
      location,
      allowInsecureHttp: this.#options.allowInsecureHttp,
      openUrl: openUrlThroughPage(() => holder.host, this.#options.allowInsecureHttp),
      demo: this.#launcher.portFor(() => holder.switchable),
    });
    const switchable = new SwitchableEngine(engine);
    holder.switchable = switchable;
    const window = await this.#serve(switchable, undefined, holder);
    return { window, engine };
  }

  /** Starts the demo and serves both its windows, the signed-in one first (`npm run demo`). */
  async startDemo(): Promise<readonly ServedWindow[]> {
    const demo = await this.#launcher.start();
    const signedIn = demo.engine("signed_in");
    return [
      await this.#serve(signedIn, signedIn.label),
      await this.#serve(demo.engine("new_device"), demo.engine("new_device").label),
    ];
  }

  /** Where each demo engine's openUrl finds the page it asks (served once the demo runs). */
  readonly #demoHosts = new WeakMap<EngineHost, { host?: BrowserHost }>();

  async #demoEngine(request: DemoEngineRequest): Promise<Engine> {
    const holder: { host?: BrowserHost } = {};
    const engine = await createEngine({
      ...this.#options.engine,
      app: "browser-host",
      location: request.location,
      label: request.label,
      demo: request.demo,
      allowInsecureHttp: request.allowInsecureHttp,
      openUrl: openUrlThroughPage(() => holder.host, true),
    });
    this.#demoHosts.set(engine, holder);
    return engine;
  }

  async #serve(
    engine: EngineHost,
    label: string | undefined,
    holder: { host?: BrowserHost } = this.#holderOf(engine),
  ): Promise<ServedWindow> {
    const host = await startBrowserHost({ rendererDir: this.#options.rendererDir, engine });
    holder.host = host;
    const window: ServedWindow = { host, engine, ...(label === undefined ? {} : { label }) };
    this.#served.push(window);
    await this.#options.onWindow(window);
    return window;
  }

  #holderOf(engine: EngineHost): { host?: BrowserHost } {
    return this.#demoHosts.get(engine) ?? {};
  }

  /** Closes every page's server, the user's engines, then the demo (its engines, homeserver and folder). */
  async close(): Promise<void> {
    const served = this.#served.splice(0);
    await Promise.allSettled(served.map(({ host }) => host.close()));
    await Promise.allSettled(
      served.filter(({ engine }) => engine instanceof SwitchableEngine).map(({ engine }) => engine.close()),
    );
    await this.#launcher.close();
  }
}
