// The local demo ("Try it on this computer", `npm run demo`): the whole MSC on one machine, with no phone and no
// homeserver at hand. It starts the devserver inside this process (a random loopback port, its in-process hooks
// only: the HTTP test hooks stay off) with one user, `demo`, whose password is generated here and shown on the
// signed-in window; makes two profiles in a temporary folder made fresh for this run; signs the first in through
// the real device authorization grant (RFC 8628), answering the consent in process as the consent page would;
// sets up its encryption (cross-signing, secret storage, key backup) with the Matrix device functions; and leaves
// the second empty. The host shows each profile in a window of its own ("This computer, signed in" / "New
// device"); the user then runs any of the four flows between them.
//
// The v2024 rendezvous lifetime is 600 s here (a presenter talks while a QR code is up), with a switch back to
// the 60 s Synapse serves (docs/protocol.md §2).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Devserver, DevserverOptions } from "../../devserver/index";
import type { DemoState } from "../../src-shared/contract";
import type { DemoEvent, DemoPort } from "../engine/demo-port";
import type { Engine } from "../engine/index";

/** The demo's one user (the consent page asks for it and the password the signed-in window shows). */
export const DEMO_USER = "demo";
/** The v2024 rendezvous lifetime of the demo, and Synapse's (its "Synapse timing" switch). */
export const DEMO_V2024_LIFETIME_S = 600;
export const SYNAPSE_V2024_LIFETIME_S = 60;
/** What each window is labelled. */
export const DEMO_LABELS = { signed_in: "This computer, signed in", new_device: "New device" } as const;

export type DemoWindow = keyof typeof DEMO_LABELS;

/** What the demo asks of the host's engine factory for each window (the host adds its own openUrl and store). */
export interface DemoEngineRequest {
  readonly window: DemoWindow;
  readonly location: { readonly dir: string };
  readonly label: string;
  readonly demo: DemoPort;
  readonly allowInsecureHttp: true;
}

export interface LocalDemoOptions {
  readonly createEngine: (request: DemoEngineRequest) => Promise<Engine>;
  /** Devserver options a test shortens (the device code's polling interval); the rest are the demo's own. */
  readonly devserver?: Pick<DevserverOptions, "deviceCode">;
  readonly signal?: AbortSignal;
}

/** One window's end of the demo: its state, and the pictures the other window sends it. */
class WindowPort implements DemoPort {
  readonly #listeners = new Set<(event: DemoEvent) => void>();
  other: WindowPort | undefined;

  constructor(
    readonly window: DemoWindow,
    private readonly demo: LocalDemo,
  ) {}

  tryLocally(): Promise<DemoState> {
    return Promise.resolve(this.status());
  }

  status(): DemoState {
    return this.demo.state(this.window);
  }

  setSynapseTiming(on: boolean): DemoState {
    this.demo.setSynapseTiming(on);
    return this.status();
  }

  sendQrToOtherWindow(png: string): void {
    this.other?.emit({ name: "demo.scanImage", payload: { png } });
  }

  subscribe(listener: (event: DemoEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: DemoEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}

export class LocalDemo {
  readonly dir: string;
  readonly server: Devserver;
  readonly password: string;
  #synapseTiming = false;
  readonly #ports: Record<DemoWindow, WindowPort>;
  #engines: Partial<Record<DemoWindow, Engine>> = {};
  #closed = false;

  private constructor(dir: string, server: Devserver, password: string) {
    this.dir = dir;
    this.server = server;
    this.password = password;
    const signedIn = new WindowPort("signed_in", this);
    const fresh = new WindowPort("new_device", this);
    signedIn.other = fresh;
    fresh.other = signedIn;
    this.#ports = { signed_in: signedIn, new_device: fresh };
  }

  /** Starts the homeserver, both profiles and their engines, and signs the first one in (about two seconds). */
  static async start(options: LocalDemoOptions): Promise<LocalDemo> {
    const signal = options.signal ?? new AbortController().signal;
    const dir = await mkdtemp(join(tmpdir(), "matrix-qr-login-demo-"));
    const password = randomBytes(12).toString("base64url");
    let server: Devserver;
    try {
      // Loaded only when a demo starts: the devserver's OAuth server (oidc-provider) warns about Node 20 on load,
      // which every start of the hosts would print otherwise.
      const { startDevserver } = await import("../../devserver/index");
      server = await startDevserver({
        users: [`${DEMO_USER}:${password}`],
        rendezvous: { ttlV2024S: DEMO_V2024_LIFETIME_S },
        deviceCode: options.devserver?.deviceCode ?? { intervalS: 1 },
      });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const demo = new LocalDemo(dir, server, password);
    try {
      for (const window of ["signed_in", "new_device"] as const) {
        demo.#engines[window] = await options.createEngine({
          window,
          location: { dir: join(dir, window === "signed_in" ? "this-computer" : "new-device") },
          label: DEMO_LABELS[window],
          demo: demo.#ports[window],
          allowInsecureHttp: true,
        });
      }
      const account = demo.engine("signed_in").account;
      const device = await account.signInWithDeviceGrant(
        { baseUrl: server.baseUrl },
        // The consent, answered as the consent page would for the signed-in demo user.
        (userCode) => server.hooks.answerDeviceCode(userCode, DEMO_USER, true),
        {},
        signal,
      );
      // Cross-signing, secret storage and key backup; the recovery key of this throwaway account is not kept.
      await device.setUpEncryption(signal);
    } catch (error) {
      await demo.close();
      throw error;
    }
    return demo;
  }

  engine(window: DemoWindow): Engine {
    const engine = this.#engines[window];
    if (engine === undefined) throw new TypeError(`the demo has no ${window} window`);
    return engine;
  }

  /** What a window shows of the demo; only the signed-in window is told the password, which it shows. */
  state(window: DemoWindow): DemoState {
    return {
      active: !this.#closed,
      window,
      homeserver: this.server.baseUrl,
      user: DEMO_USER,
      ...(window === "signed_in" ? { password: this.password } : {}),
      synapseTiming: this.#synapseTiming,
      v2024LifetimeS: this.#synapseTiming ? SYNAPSE_V2024_LIFETIME_S : DEMO_V2024_LIFETIME_S,
    };
  }

  /** Rendezvous sessions created from now on live as long as on Synapse (on) or as the demo's (off). */
  setSynapseTiming(on: boolean): void {
    this.#synapseTiming = on;
    this.server.hooks.setRendezvousLifetimes({
      v2024S: on ? SYNAPSE_V2024_LIFETIME_S : DEMO_V2024_LIFETIME_S,
    });
    for (const port of Object.values(this.#ports)) {
      const { password: _shownOnce, ...state } = this.state(port.window);
      port.emit({ name: "demo.state", payload: state });
    }
  }

  /** Closes both engines and the homeserver, and removes the temporary folder. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const engines = Object.values(this.#engines);
    this.#engines = {};
    const closed = await Promise.allSettled(engines.map((engine) => engine.close()));
    await this.server.close();
    await rm(this.dir, { recursive: true, force: true });
    const failed = closed.find((result) => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }
}
