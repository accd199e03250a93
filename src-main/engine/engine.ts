// The engine of one profile: what every host (Electron, the browser host, the command line) runs in its trusted
// process. It owns the profile (and its lock), the account (OAuth tokens, the Matrix device), the sign-in flows
// and the transcript, and it answers the contract's commands (src-shared/contract.ts) with plain data. Nothing it
// emits carries a token, a key or a secret; the one exception is the recovery key in the answer that shows it once.
import { FlowFailure, flowError, toFlowError } from "../../src-shared/errors";
import type {
  AccountState,
  CommandName,
  CommandOutcome,
  CommandRequest,
  CommandResponse,
  DoctorReport,
} from "../../src-shared/contract";
import type { FlowSnapshot } from "../../src-shared/flow";
import { createTranscript, type Transcript, type TranscriptEntry } from "../../src-shared/transcript";
import type { FlowController } from "../flows/controller";
import type { OpenUrlResult } from "../flows/host";
import type { FlowTimings } from "../flows/options";
import { startFlow } from "../flows/start";
import { runDoctor } from "../doctor";
import { isProfileName, Profile, resolveProfileDir, type ProfileLocation, type SecretStore } from "../matrix";
import { resolveHomeserver } from "../oauth";
import { createRuntime, isLoopbackHostname, type Runtime } from "../protocol";
import { Account, type AccountOptions } from "./account";
import { NO_DEMO, type DemoPort } from "./demo-port";
import type { EngineEvent, EngineHost } from "./host";

export interface EngineOptions {
  /** Which profile: a name under the shared data root, or an explicit folder. */
  readonly location: ProfileLocation;
  /** Who holds the profile's lock ("electron", "browser", "cli"), named to a second opener. */
  readonly app: string;
  readonly runtime?: Runtime;
  /** Where the profile keeps its secrets (Electron: safeStorage); default a 0600 file. */
  readonly secretStore?: (dir: string) => SecretStore;
  /** Opens a checked URL in the user's browser (the consent page, the manual sign-in, the account page). */
  readonly openUrl: (url: string) => Promise<OpenUrlResult>;
  /** Plain http to loopback hosts only (the local devserver). */
  readonly allowInsecureHttp?: boolean;
  /** Flow timings (tests pass short ones). */
  readonly timings?: Partial<FlowTimings>;
  /** Matrix device timings (tests pass short ones). */
  readonly device?: AccountOptions["device"];
  /** A label shown with the account (demo windows: "This computer, signed in"). */
  readonly label?: string;
  /** Told about background failures (written to the host's log, redacted). */
  readonly onError?: (error: unknown) => void;
  /** The local demo, where the host offers it (src-main/demo/). */
  readonly demo?: DemoPort;
}

type Handlers = {
  [N in CommandName]: (request: CommandRequest<N>, signal: AbortSignal) => Promise<CommandResponse<N>>;
};

export class Engine implements EngineHost {
  readonly profile: Profile;
  readonly account: Account;
  readonly transcript: Transcript;
  readonly #options: EngineOptions;
  readonly #runtime: Runtime;
  readonly #listeners = new Set<(event: EngineEvent) => void>();
  readonly #lifetime = new AbortController();
  #flow: FlowController | undefined;
  #unsubscribeFlow: (() => void) | undefined;
  #signedOutReason: string | undefined;
  #unsubscribeDemo: (() => void) | undefined;

  private constructor(options: EngineOptions, profile: Profile, runtime: Runtime, transcript: Transcript) {
    this.#options = options;
    this.profile = profile;
    this.#runtime = runtime;
    this.transcript = transcript;
    this.account = new Account({
      runtime,
      profile,
      allowInsecureHttp: options.allowInsecureHttp === true,
      ...(options.device === undefined ? {} : { device: options.device }),
      onError: (error) => options.onError?.(error),
      onChange: () => {
        void this.#publishAccount();
      },
    });
  }

  /** Opens (creating) the profile, takes its lock, and resumes its device if it is signed in. */
  static async open(options: EngineOptions): Promise<Engine> {
    const transcript = createTranscript({ onListenerError: (error) => options.onError?.(error) });
    const base = options.runtime ?? createRuntime();
    const runtime: Runtime = { ...base, transcript: transcript.sink };
    const profile = await Profile.open({
      location: options.location,
      app: options.app,
      ...(options.secretStore === undefined ? {} : { secretStore: options.secretStore }),
    });
    const engine = new Engine(options, profile, runtime, transcript);
    transcript.subscribe((entry) => {
      engine.#emit({ name: "transcript.entry", payload: entry });
    });
    engine.#unsubscribeDemo = engine.#demo.subscribe((event) => {
      engine.#emit(event);
    });
    try {
      await engine.account.resume(engine.#lifetime.signal);
    } catch (error) {
      // A profile that cannot resume (signed out elsewhere, server gone) still opens: the state says why.
      engine.#signedOutReason = toFlowError(error).message;
      options.onError?.(error);
    }
    return engine;
  }

  /** The label the host gave this engine's window, if any. */
  get label(): string | undefined {
    return this.#options.label;
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: EngineEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#options.onError?.(error);
      }
    }
  }

  async invoke<N extends CommandName>(name: N, request: CommandRequest<N>): Promise<CommandOutcome<N>> {
    const handler = this.#handlers[name] as (
      request: CommandRequest<N>,
      signal: AbortSignal,
    ) => Promise<CommandResponse<N>>;
    try {
      return { ok: true, value: await handler(request, this.#lifetime.signal) };
    } catch (error) {
      this.#options.onError?.(error);
      return { ok: false, error: toFlowError(error) };
    }
  }

  readonly #handlers: Handlers = {
    "flow.start": (request) => Promise.resolve(this.#startFlow(request)),
    "flow.command": (request) => {
      const flow = this.#flow;
      if (flow?.flowId !== request.flowId) {
        return Promise.resolve({ type: "rejected", reason: "unknown_flow" } as const);
      }
      return Promise.resolve(flow.command(request.command));
    },
    "account.get": () => this.accountState(),
    "account.login": async (request, signal) => {
      const { baseUrl } = await resolveHomeserver(request.homeserver, {
        runtime: this.#runtime,
        signal,
        allowInsecureHttp: this.#allowInsecureHttp,
      });
      await this.account.signInWithBrowser({ baseUrl }, (url) => this.#openChecked(url), signal);
      this.#signedOutReason = undefined;
      return this.accountState();
    },
    "account.bootstrap": async (_request, signal) => {
      const recoveryKey = await this.#device().setUpEncryption(signal);
      void this.#publishAccount();
      return { recoveryKey: recoveryKey.recoveryKey };
    },
    "account.recover": async (request, signal) => {
      await this.#device().restoreWithRecoveryKey(request.recoveryKey, signal);
      return this.accountState();
    },
    "account.resetIdentity": async (_request, signal) => {
      const recoveryKey = await this.#device().resetIdentity(
        {
          // The account page must approve: open it; the user retries once they approved there.
          approve: async (url) => {
            await this.#openChecked(url);
            throw new FlowFailure(
              flowError("approval_needed", "approve the reset on the account page", "reset"),
            );
          },
        },
        signal,
      );
      void this.#publishAccount();
      return { recoveryKey: recoveryKey.recoveryKey };
    },
    "account.devices": async (_request, signal) => {
      const device = this.#device();
      const own = device.account.deviceId;
      const devices = await device.listDevices(signal);
      const rows = await Promise.all(
        devices.slice(0, 500).map(async (entry) => ({
          deviceId: entry.deviceId,
          ...(entry.displayName === undefined ? {} : { displayName: entry.displayName }),
          ...(entry.lastSeenTs === undefined ? {} : { lastSeenTs: entry.lastSeenTs }),
          verified: (await device.serverView(entry.deviceId, signal).catch(() => ({ verified: false })))
            .verified,
          current: entry.deviceId === own,
        })),
      );
      return { devices: rows };
    },
    "account.signOut": async (_request, signal) => {
      this.#cancelFlow();
      await this.account.signOut(signal);
      this.#signedOutReason = undefined;
      return this.accountState();
    },
    "account.signOutDevice": async (request, signal) => {
      const url = await this.#device().signOutOtherDeviceUrl(request.deviceId, signal);
      await this.#openChecked(url);
      return { url };
    },
    "settings.set": async (request) => {
      const settings = Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined));
      await this.profile.updateSettings(settings);
      return this.accountState();
    },
    "doctor.run": (request, signal) => this.#doctor(request.homeserver, signal),
    "transcript.export": (request) =>
      Promise.resolve({
        text:
          request.format === "markdown"
            ? this.transcript.toMarkdown()
            : JSON.stringify(this.transcript.toJSON(), null, 2),
      }),
    "app.openExternal": async (request) => {
      await this.#openChecked(request.url);
      return { ok: true } as const;
    },
    "demo.tryLocally": async (_request, signal) => {
      if (this.profile.account !== undefined) {
        throw new FlowFailure(
          flowError("internal_error", "the local demo starts from a profile with no account", "signed_in"),
        );
      }
      return this.#demo.tryLocally(signal);
    },
    "demo.status": () => Promise.resolve(this.#demo.status()),
    "demo.setSynapseTiming": (request) => Promise.resolve(this.#demo.setSynapseTiming(request.on)),
    "demo.sendQrToOtherWindow": (request) => {
      this.#demo.sendQrToOtherWindow(request.png);
      return Promise.resolve({ ok: true } as const);
    },
  };

  get #demo(): DemoPort {
    return this.#options.demo ?? NO_DEMO;
  }

  get #allowInsecureHttp(): boolean {
    return this.#options.allowInsecureHttp === true;
  }

  #device() {
    const device = this.account.device;
    if (device === undefined) {
      throw new FlowFailure(flowError("signed_out", "this device is not signed in", "not_signed_in"));
    }
    return device;
  }

  /** Opens only https, or http to a loopback host where development allows it; anything else is refused. */
  async #openChecked(url: string): Promise<OpenUrlResult> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new FlowFailure(flowError("unable_to_open_browser", "not a URL", "not_a_url"));
    }
    const loopbackHttp =
      parsed.protocol === "http:" && this.#allowInsecureHttp && isLoopbackHostname(parsed.hostname);
    if (parsed.protocol !== "https:" && !loopbackHttp) {
      throw new FlowFailure(
        flowError("unable_to_open_browser", `refused to open a ${parsed.protocol} URL`, "scheme"),
      );
    }
    if (parsed.username !== "" || parsed.password !== "") {
      throw new FlowFailure(
        flowError("unable_to_open_browser", "refused a URL with credentials", "credentials"),
      );
    }
    return this.#options.openUrl(parsed.href);
  }

  #startFlow(request: CommandRequest<"flow.start">): CommandResponse<"flow.start"> {
    this.#cancelFlow();
    const settings = this.profile.settings;
    const version = request.version ?? settings.defaultVersion;
    const side = request.side === "show" ? "generator" : "scanner";
    const host = {
      ...this.#runtime,
      openUrl: (url: string) => this.#openChecked(url),
    };
    const common = {
      host,
      side,
      version,
      allowInsecureHttp: this.#allowInsecureHttp,
      ...(this.#options.timings === undefined ? {} : { timings: this.#options.timings }),
      onError: (error: unknown) => this.#options.onError?.(error),
    } as const;
    if (request.homeserver !== undefined && request.kind === "sign_in") {
      void this.profile.updateSettings({ homeserver: request.homeserver });
    }
    const flow =
      request.kind === "link"
        ? startFlow({ ...common, role: "existing_device", account: this.account.existingDevice() })
        : startFlow({
            ...common,
            role: "new_device",
            account: {
              ...this.account.newDevice(),
              ...(request.homeserver === undefined ? {} : { chosenHomeserver: request.homeserver }),
            },
          });
    this.#flow = flow;
    this.#unsubscribeFlow = flow.subscribe((snapshot) => {
      this.#emitSnapshot(snapshot);
    });
    this.#emitSnapshot(flow.snapshot());
    void flow.finished.then((outcome) => {
      if (outcome.ok) void this.#publishAccount();
    });
    return { flowId: flow.flowId };
  }

  #emitSnapshot(snapshot: FlowSnapshot): void {
    this.#emit({ name: "flow.snapshot", payload: snapshot });
  }

  #cancelFlow(): void {
    this.#unsubscribeFlow?.();
    this.#unsubscribeFlow = undefined;
    this.#flow?.cancel();
    this.#flow = undefined;
  }

  /** What the view shows of the account: who, where, whether this device is verified and can approve others. */
  async accountState(): Promise<AccountState> {
    const account = this.profile.account;
    const device = this.account.device;
    const label = this.#options.label;
    const base = {
      profile: profileLabel(this.profile.dir, this.#options.location),
      settings: this.profile.settings,
      ...(label === undefined ? {} : { label }),
    };
    if (account === undefined || device === undefined) {
      const signedOut = this.profile.signedOut;
      const reason =
        this.#signedOutReason ??
        (signedOut?.where === "elsewhere" ? `${signedOut.deviceId} was signed out elsewhere` : undefined);
      return { ...base, status: "signed_out", ...(reason === undefined ? {} : { signedOutReason: reason }) };
    }
    const signal = this.#lifetime.signal;
    const [view, hasKeys] = await Promise.all([
      device.serverView(account.deviceId, signal).catch(() => ({ verified: false, backup: false })),
      device.hasLocalCrossSigningKeys(),
    ]);
    return {
      ...base,
      status: "signed_in",
      userId: account.userId,
      deviceId: account.deviceId,
      homeserver: account.homeserver,
      verified: view.verified,
      backup: view.backup,
      crossSigning: hasKeys ? "ready" : view.verified ? "missing_keys" : "not_set_up",
    };
  }

  async #publishAccount(): Promise<void> {
    try {
      this.#emit({ name: "account.state", payload: await this.accountState() });
    } catch (error) {
      this.#options.onError?.(error);
    }
  }

  /** The homeserver checks the welcome screen shows live: every check of src-main/doctor, each with its cause. */
  #doctor(homeserver: string, signal: AbortSignal): Promise<DoctorReport> {
    return runDoctor(homeserver, {
      runtime: this.#runtime,
      signal,
      allowInsecureHttp: this.#allowInsecureHttp,
    });
  }

  async close(): Promise<void> {
    this.#unsubscribeDemo?.();
    this.#cancelFlow();
    this.#lifetime.abort();
    this.#listeners.clear();
    await this.account.stop();
    await this.profile.close();
  }
}

function profileLabel(dir: string, location: ProfileLocation): string {
  if ("name" in location && isProfileName(location.name)) return location.name;
  return resolveProfileDir(location) === dir ? dir : dir;
}

/** The factory every host calls. */
export function createEngine(options: EngineOptions): Promise<Engine> {
  return Engine.open(options);
}

export type { TranscriptEntry };
