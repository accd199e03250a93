// The fake engine: an EngineApi with sample data and a simulated other device, so the app runs in a plain
// browser with no engine behind it. It keeps the contract as the real one does (requests are checked against
// the schemas, commands a snapshot does not accept are refused with `not_accepted_now`, every snapshot has a
// newer `seq`), so screens built on it behave the same on the real engine.
//
// `?canned=<name>` freezes it on one canned screen (canned.ts) for screenshots; `?theme=light|dark` sets the
// theme; `?pace=<ms>` sets how fast the simulated device answers.
import {
  readRequest,
  type AccountState,
  type CommandName,
  type CommandOutcome,
  type CommandRequest,
  type CommandResponse,
  type DemoState,
  type EngineApi,
  type EventName,
  type EventPayload,
} from "../src-shared/contract";
import { isRetryable, type FlowError, type FlowErrorCode } from "../src-shared/errors";
import type { TranscriptEntry } from "../src-shared/transcript";
import type {
  FlowCommand,
  FlowCommandType,
  FlowPhase,
  FlowRole,
  FlowSide,
  FlowSnapshot,
  WireVersion,
} from "../src-shared/flow";
import {
  DEVICES,
  SIGNED_IN,
  SIGNED_OUT,
  cannedScreen,
  doctorReportFor,
  sampleError,
  sampleQrBytes,
  sampleTranscript,
  snapshot,
  toBase64,
  type CannedScreen,
} from "./canned";
import { projectorScreen } from "./demo/canned-projector";
import { TranscriptPlayer } from "./demo/transcript-player";
import { FAKE_CHECK_CODE_HINT } from "./preview";
import type { ViewName } from "./views";

export interface FakeOptions {
  /** A canned screen's name (canned.ts), or `error--<code>` for any error code. */
  readonly canned?: string;
  readonly theme?: "light" | "dark";
  /** Milliseconds between the simulated device's answers. */
  readonly pace?: number;
}

export function fakeOptionsFromQuery(search: string): FakeOptions {
  const query = new URLSearchParams(search);
  const theme = query.get("theme");
  const pace = Number(query.get("pace"));
  const canned = query.get("canned");
  return {
    ...(canned === null ? {} : { canned }),
    ...(theme === "light" || theme === "dark" ? { theme } : {}),
    ...(Number.isFinite(pace) && pace > 0 ? { pace } : {}),
  };
}

type Listener = (payload: never) => void;

/** A handler's refusal, answered as the engine's error (as plain data, like the real engine's). */
class FakeRefusal extends Error {
  override readonly name = "FakeRefusal";
  constructor(readonly flowError: FlowError) {
    super(flowError.message);
  }
}
type Handlers = { [N in CommandName]: (request: CommandRequest<N>) => Promise<CommandResponse<N>> };

/** The check code the simulated other device shows. */
export const FAKE_CHECK_CODE = FAKE_CHECK_CODE_HINT;

export class FakeEngine implements EngineApi {
  /** Every request received, in order (for tests driving the page). */
  readonly received: { readonly name: CommandName; readonly request: unknown }[] = [];
  /** The screen to open on, when canned. */
  readonly initialView: ViewName | undefined;
  /** Whether the canned screen opens its QR code full screen. */
  readonly fullscreen: boolean;
  readonly #listeners = new Map<EventName, Set<Listener>>();
  readonly #pace: number;
  readonly #canned: CannedScreen | undefined;
  #account: AccountState;
  #flow: FakeFlow | undefined;
  #cannedSnapshots: FlowSnapshot[];
  #cannedTranscript: TranscriptEntry[];
  #flowCount = 0;

  constructor(options: FakeOptions = {}) {
    this.#pace = options.pace ?? 1500;
    this.#canned =
      options.canned === undefined
        ? undefined
        : (cannedScreen(options.canned) ?? projectorScreen(options.canned));
    if (options.canned !== undefined && this.#canned === undefined) {
      console.error(`no canned screen named ${options.canned}`);
    }
    const account = this.#canned?.account ?? SIGNED_OUT;
    this.#account = {
      ...account,
      settings: { ...account.settings, ...(options.theme === undefined ? {} : { theme: options.theme }) },
    };
    this.initialView = this.#canned?.view;
    this.fullscreen = this.#canned?.fullscreen === true;
    const make = this.#canned?.snapshot;
    const before = this.#canned?.before;
    const now = Date.now();
    this.#cannedSnapshots = [
      ...(before === undefined ? [] : [before(now)]),
      ...(make === undefined ? [] : [make(now)]),
    ];
    this.#cannedTranscript = [...(this.#canned?.transcript?.(now) ?? [])];
  }

  async invoke<N extends CommandName>(name: N, request: CommandRequest<N>): Promise<CommandOutcome<N>> {
    this.received.push({ name, request });
    const checked = readRequest(name, request);
    if (!checked.ok) return { ok: false, contractError: checked.error };
    const handler = this.#handlers[name] as (request: CommandRequest<N>) => Promise<CommandResponse<N>>;
    try {
      return { ok: true, value: await handler(checked.value) };
    } catch (error) {
      if (error instanceof FakeRefusal) return { ok: false, error: error.flowError };
      throw error;
    }
  }

  on<N extends EventName>(name: N, listener: (payload: EventPayload<N>) => void): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener);
    // A canned flow screen shows its snapshot to the first view that listens.
    if (name === "flow.snapshot" && this.#cannedSnapshots.length > 0) {
      const canned = this.#cannedSnapshots.splice(0);
      queueMicrotask(() => {
        for (const item of canned) this.emitSnapshot(item);
      });
    }
    // Likewise its transcript so far (the projector screens).
    if (name === "transcript.entry" && this.#cannedTranscript.length > 0) {
      const canned = this.#cannedTranscript.splice(0);
      queueMicrotask(() => {
        for (const entry of canned) this.emit("transcript.entry", entry);
      });
    }
    return () => set.delete(listener);
  }

  emitSnapshot(snapshot: FlowSnapshot): void {
    // A FlowSnapshot is what the schema describes; its readonly arrays are the only difference in the types.
    this.emit("flow.snapshot", snapshot);
  }

  emit<N extends EventName>(name: N, payload: EventPayload<N>): void {
    for (const listener of this.#listeners.get(name) ?? [])
      (listener as (payload: EventPayload<N>) => void)(payload);
  }

  #wait(factor = 1): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.round(this.#pace * factor)));
  }

  #demo: DemoState = { active: false, synapseTiming: false };

  #setAccount(account: AccountState): AccountState {
    this.#account = account;
    this.emit("account.state", account);
    return account;
  }

  readonly #handlers: Handlers = {
    "flow.start": async (request) => {
      this.#flow?.stop();
      this.#flowCount += 1;
      const flowId = `fake-${this.#flowCount}`;
      const role: FlowRole = request.kind === "sign_in" ? "new_device" : "existing_device";
      const side: FlowSide = request.side === "show" ? "generator" : "scanner";
      const flow = new FakeFlow({
        flowId,
        role,
        side,
        version: request.version ?? this.#account.settings.defaultVersion,
        pace: this.#pace,
        userId: this.#account.userId ?? "@alice:matrix.org",
        emit: (snapshot) => {
          this.emitSnapshot(snapshot);
        },
        transcript: (entry) => {
          this.emit("transcript.entry", entry);
        },
        signedIn: () => {
          if (role === "new_device") this.#setAccount({ ...SIGNED_IN, settings: this.#account.settings });
        },
      });
      this.#flow = flow;
      await Promise.resolve();
      flow.start();
      return { flowId };
    },
    "flow.command": async (request) => {
      await Promise.resolve();
      // A canned screen stays as it is; a flow started from it runs as usual.
      if (request.flowId === "canned") return { type: "accepted" };
      const flow = this.#flow;
      if (flow?.flowId !== request.flowId) return { type: "rejected", reason: "unknown_flow" };
      return flow.command(request.command);
    },
    "account.get": async () => {
      await Promise.resolve();
      return this.#account;
    },
    "account.login": async () => {
      await this.#wait(2);
      return this.#setAccount({ ...SIGNED_IN, settings: this.#account.settings });
    },
    "account.bootstrap": async () => {
      await this.#wait(0.5);
      this.#setAccount({ ...this.#account, verified: true, crossSigning: "ready", backup: true });
      // A sample string in the recovery key's shape; no key exists behind it.
      return { recoveryKey: "EsTc 1234 5678 9abc defg hijk mnop qrst uvwx yz12 3456 789a bcde" };
    },
    "account.recover": async (request) => {
      await this.#wait(0.5);
      if (request.recoveryKey.replace(/\s/g, "").length < 8) {
        throw new FakeRefusal(sampleError("internal_error", "recovery_key_refused"));
      }
      return this.#setAccount({ ...this.#account, verified: true, crossSigning: "ready", backup: true });
    },
    "account.resetIdentity": async () => {
      await this.#wait(0.5);
      this.#setAccount({ ...this.#account, verified: true, crossSigning: "ready", backup: false });
      // A sample string in the recovery key's shape; no key exists behind it.
      return { recoveryKey: "EsTd 2345 6789 abcd efgh ijkm nopq rstu vwxy z123 4567 89ab cdef" };
    },
    "account.devices": async () => {
      await this.#wait(0.2);
      return { devices: [...DEVICES] };
    },
    "account.signOut": async () => {
      await this.#wait(0.3);
      return this.#setAccount({ ...SIGNED_OUT, settings: this.#account.settings });
    },
    "account.signOutDevice": async (request) => {
      await Promise.resolve();
      return { url: `https://account.matrix.org/devices/${encodeURIComponent(request.deviceId)}` };
    },
    "settings.set": async (request) => {
      await Promise.resolve();
      const settings = { ...this.#account.settings };
      for (const [key, value] of Object.entries(request)) {
        if (value !== undefined) Object.assign(settings, { [key]: value });
      }
      return this.#setAccount({ ...this.#account, settings });
    },
    "doctor.run": async (request) => {
      await this.#wait(0.3);
      return doctorReportFor(request.homeserver);
    },
    "transcript.export": async (request) => {
      await Promise.resolve();
      const entries = sampleTranscript(Date.now());
      if (request.format === "json") return { text: JSON.stringify(entries, null, 2) };
      const lines = entries.map((entry) => {
        const step = entry.step === undefined ? "" : `**${entry.step}** `;
        if (entry.kind === "http")
          return `- ${step}${entry.method} ${entry.host ?? ""}${entry.path} → ${entry.status ?? "…"}`;
        if (entry.kind === "message") return `- ${step}${entry.direction} \`${entry.messageType}\``;
        return `- ${step}${entry.name}`;
      });
      return { text: ["## Transcript (sample data)", "", ...lines].join("\n") };
    },
    "app.openExternal": async () => {
      await Promise.resolve();
      return { ok: true };
    },
    // The local demo, pretended: this window signs in and shows the demo bar; no second window opens.
    "demo.tryLocally": async () => {
      await this.#wait(2);
      this.#demo = { ...SAMPLE_DEMO, active: true };
      this.#setAccount({ ...SIGNED_IN, label: "This computer, signed in", settings: this.#account.settings });
      return this.#demo;
    },
    "demo.status": async () => {
      await Promise.resolve();
      return this.#demo;
    },
    "demo.setSynapseTiming": async (request) => {
      await Promise.resolve();
      this.#demo = { ...this.#demo, synapseTiming: request.on, v2024LifetimeS: request.on ? 60 : 600 };
      return this.#demo;
    },
    "demo.sendQrToOtherWindow": async () => {
      await Promise.resolve();
      return { ok: true };
    },
  };
}

/** The local demo as the fake engine pretends it (a sample password; no homeserver runs behind it). */
const SAMPLE_DEMO: DemoState = {
  active: true,
  window: "signed_in",
  homeserver: "http://127.0.0.1:8008",
  user: "demo",
  password: "sample-password",
  synapseTiming: false,
  v2024LifetimeS: 600,
};

interface FakeFlowOptions {
  readonly flowId: string;
  readonly role: FlowRole;
  readonly side: FlowSide;
  readonly version: WireVersion;
  readonly pace: number;
  readonly userId: string;
  readonly emit: (snapshot: FlowSnapshot) => void;
  readonly transcript: (entry: EventPayload<"transcript.entry">) => void;
  readonly signedIn: () => void;
}

type Answer = CommandResponse<"flow.command">;

/** One simulated sign-in: the phases of docs/protocol.md §5 with a pretend peer that answers after a pause. */
class FakeFlow {
  readonly flowId: string;
  readonly #o: FakeFlowOptions;
  #seq = 0;
  #version: WireVersion;
  #serial = 0;
  #attempts = 2;
  #current: FlowSnapshot | undefined;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #finished = false;
  readonly #player: TranscriptPlayer;

  constructor(options: FakeFlowOptions) {
    this.flowId = options.flowId;
    this.#o = options;
    this.#version = options.version;
    this.#player = new TranscriptPlayer(options.role, options.side, options.version, (entry) => {
      // A TranscriptEntry is what the schema describes; its readonly arrays are the only difference in the types.
      options.transcript(entry);
    });
  }

  start(): void {
    this.#attempts = 2;
    this.#show({ phase: "preparing" });
    this.#after(0.3, () => {
      if (this.#o.side === "generator") this.#showQr();
      else this.#show({ phase: "scanning" }, ["submitScannedQr"]);
    });
  }

  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#finished = true;
  }

  command(command: FlowCommand): Answer {
    const current = this.#current;
    if (this.#finished || current === undefined) return { type: "rejected", reason: "flow_finished" };
    if (!current.accepts.includes(command.type)) {
      return { type: "rejected", reason: "not_accepted_now", detail: `${command.type} in ${current.phase}` };
    }
    this.#clearTimers();
    switch (command.type) {
      case "cancel":
        this.#fail("cancelled_here");
        break;
      case "newQr":
        if (current.phase === "error") this.start();
        else this.#showQr();
        break;
      case "switchVersion":
        this.#version = command.version;
        this.#showQr();
        break;
      case "submitScannedQr":
        this.#show({ phase: "connecting" });
        this.#after(1, () => {
          this.#show({ phase: "check_code_display", code: FAKE_CHECK_CODE });
          // The other device's user types the code after a while.
          this.#after(3, () => {
            this.#afterCheckCode();
          });
        });
        break;
      case "submitCheckCode":
        if (command.code === FAKE_CHECK_CODE) this.#afterCheckCode();
        else {
          this.#attempts -= 1;
          if (this.#attempts <= 0) this.#fail("check_code_mismatch");
          else
            this.#show({ phase: "check_code_entry", attemptsLeft: this.#attempts, mismatch: true }, [
              "submitCheckCode",
            ]);
        }
        break;
      case "approveDevice":
        if (!command.approve) this.#fail("cancelled_here");
        else {
          this.#show({ phase: "negotiating" });
          this.#after(1, () => {
            this.#consent();
          });
        }
        break;
      case "confirmHomeserver":
        if (!command.accept) this.#fail("cancelled_here");
        else this.#waitForApproval();
        break;
      case "consentOpened":
      case "openConsentAgain":
        this.#show({ ...(current as FlowSnapshot & { phase: "consent" }) }, ["openConsentAgain"]);
        this.#after(4, () => {
          this.#sync();
        });
        break;
    }
    return { type: "accepted" };
  }

  #showQr(): void {
    this.#serial += 1;
    // A fresh QR code is a fresh rendezvous: the transcript carries on from a new first step.
    if (this.#serial > 1) this.#player.restart(this.#version);
    const life = this.#version === "v2024" ? 60_000 : 120_000;
    this.#show(
      {
        phase: "showing_qr",
        qr: toBase64(sampleQrBytes(this.#o.role, this.#version, this.#serial)),
        serial: this.#serial,
      },
      ["newQr", "switchVersion"],
      life,
    );
    // Nobody scans in time: a fresh QR code replaces it, as the real flow does while the screen is open.
    this.#afterMs(life, () => {
      this.#showQr();
    });
    this.#after(6, () => {
      this.#clearTimers();
      this.#show({ phase: "connecting" });
      this.#after(1, () => {
        this.#show({ phase: "check_code_entry", attemptsLeft: this.#attempts, mismatch: false }, [
          "submitCheckCode",
        ]);
      });
    });
  }

  #afterCheckCode(): void {
    if (this.#o.role === "existing_device") {
      this.#show({ phase: "approve_device", userId: this.#o.userId, deviceId: "Xe4BCV7nPq+/k1" }, [
        "approveDevice",
      ]);
    } else {
      this.#show({ phase: "negotiating" });
      this.#after(1, () => {
        this.#waitForApproval();
      });
    }
  }

  #waitForApproval(): void {
    this.#show({
      phase: "waiting_for_approval",
      userCode: "7RKF-3GQH",
      verificationUri: "https://account.matrix.org/link",
    });
    this.#after(5, () => {
      this.#sync();
    });
  }

  #consent(): void {
    this.#show(
      {
        phase: "consent",
        verificationUri: "https://account.matrix.org/link?code=7RKF3GQH",
        host: "account.matrix.org",
        deviceId: "Xe4BCV7nPq+/k1",
      },
      ["consentOpened"],
    );
  }

  #sync(): void {
    this.#show({ phase: "syncing_secrets" });
    this.#after(1.5, () => {
      const deviceId = this.#o.role === "new_device" ? "QWERTYUIOP" : "Xe4BCV7nPq+/k1";
      this.#finished = true;
      this.#emit({ phase: "done", userId: this.#o.userId, deviceId, verified: true, backup: true }, []);
      this.#o.signedIn();
    });
  }

  #fail(code: FlowErrorCode): void {
    this.#clearTimers();
    const error = sampleError(code);
    // As the real controller: a retryable error stays open for `newQr`; a cancel ends the flow.
    const retry = isRetryable(code) && code !== "cancelled_here";
    if (!retry) this.#finished = true;
    this.#emit({ phase: "error", error }, retry ? ["newQr", "cancel"] : []);
  }

  #show(phase: FlowPhase, accepts: readonly FlowCommandType[] = [], lifeMs?: number): void {
    this.#emit(phase, [...accepts, "cancel"], lifeMs);
  }

  #emit(phase: FlowPhase, accepts: readonly FlowCommandType[], lifeMs?: number): void {
    this.#seq += 1;
    const keepExpiry =
      lifeMs === undefined &&
      this.#current?.expiresAt !== undefined &&
      phase.phase !== "done" &&
      phase.phase !== "error";
    const now = Date.now();
    const next = snapshot(
      phase,
      {
        role: this.#o.role,
        side: this.#o.side,
        version: this.#version,
        accepts,
        now,
        ...(lifeMs === undefined ? {} : { expiresIn: lifeMs }),
      },
      this.#seq,
      this.flowId,
    );
    const withExpiry = keepExpiry ? { ...next, expiresAt: this.#current?.expiresAt } : next;
    this.#current = withExpiry as FlowSnapshot;
    // What the flow did to get here, for the demo's diagram and transcript.
    this.#player.reach(phase.phase);
    this.#o.emit(this.#current);
  }

  #after(factor: number, run: () => void): void {
    this.#afterMs(this.#o.pace * factor, run);
  }

  #afterMs(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#finished) run();
    }, ms);
    this.#timers.add(timer);
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
