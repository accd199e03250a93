// A small engine for the hosts' tests: it answers every command of the contract with canned values that pass
// its schemas, runs one pretend flow per `flow.start` (a snapshot for the phase its side begins in), opens URLs
// through the host's hook for `app.openExternal`, records what it was asked, and lets a test push any event.
// It stands in for the real engine where a test is about a transport (Electron's IPC, the browser host's
// WebSocket), not about the sign-in.
import type {
  AccountState,
  CommandName,
  CommandOutcome,
  CommandRequest,
  CommandResponse,
  EventPayload,
} from "../../src-shared/contract";
import type { OpenUrlResult } from "../flows/host";
import type { EngineEvent, EngineHost } from "./host";

export interface TestEngineOptions {
  readonly profile?: string;
  readonly openUrl?: (url: string) => Promise<OpenUrlResult>;
}

export interface Received {
  readonly name: CommandName;
  readonly request: unknown;
}

/** 16 bytes of a v2024 QR payload's start ("MATRIX", 0x02, 0x03...), enough for a canned showing_qr snapshot. */
type Snapshot = EventPayload<"flow.snapshot">;
/** A snapshot of any phase, less what the engine numbers itself. */
export type SnapshotWithoutIds = Snapshot extends infer S
  ? S extends unknown
    ? Omit<S, "seq" | "flowId">
    : never
  : never;

const SAMPLE_QR = Buffer.from("MATRIX\u0002\u0003sample-qr-bytes").toString("base64");

export class TestEngine implements EngineHost {
  readonly received: Received[] = [];
  readonly opened: { url: string; result: OpenUrlResult }[] = [];
  closed = false;
  readonly #listeners = new Set<(event: EngineEvent) => void>();
  readonly #options: TestEngineOptions;
  #flows = 0;
  #seq = 0;
  #current: Snapshot | undefined;

  constructor(options: TestEngineOptions = {}) {
    this.#options = options;
  }

  get account(): AccountState {
    return {
      profile: this.#options.profile ?? "default",
      status: "signed_out",
      settings: { defaultVersion: "v2024", qrErrorCorrection: "M", theme: "system" },
    };
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Sends an event to every subscriber, as the engine would. */
  emit(event: EngineEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  async invoke<N extends CommandName>(name: N, request: CommandRequest<N>): Promise<CommandOutcome<N>> {
    this.received.push({ name, request });
    const answer = await this.#answer(name, request);
    return { ok: true, value: answer as CommandResponse<N> };
  }

  close(): Promise<void> {
    this.closed = true;
    this.#listeners.clear();
    return Promise.resolve();
  }

  #show(snapshot: Snapshot): void {
    this.#current = snapshot;
    this.emit({ name: "flow.snapshot", payload: snapshot });
  }

  async #answer(name: CommandName, request: CommandRequest<CommandName>): Promise<unknown> {
    switch (name) {
      case "flow.start": {
        const { kind, side } = request as CommandRequest<"flow.start">;
        const flowId = `test-flow-${++this.#flows}`;
        const base = {
          flowId,
          seq: ++this.#seq,
          role: kind === "sign_in" ? "new_device" : "existing_device",
          side: side === "show" ? "generator" : "scanner",
          version: "v2024",
        } as const;
        this.#show(
          side === "show"
            ? { ...base, phase: "showing_qr", qr: SAMPLE_QR, serial: 1, accepts: ["newQr", "cancel"] }
            : { ...base, phase: "scanning", accepts: ["submitScannedQr", "cancel"] },
        );
        return { flowId };
      }
      case "flow.command": {
        const { flowId, command } = request as CommandRequest<"flow.command">;
        const current = this.#current;
        if (current?.flowId !== flowId) return { type: "rejected", reason: "unknown_flow" };
        if (!current.accepts.includes(command.type)) return { type: "rejected", reason: "not_accepted_now" };
        if (command.type === "cancel") {
          this.#show({
            ...current,
            seq: ++this.#seq,
            phase: "error",
            error: { code: "cancelled_here", retryable: true, message: "cancelled" },
            accepts: [],
          });
        }
        return { type: "accepted" };
      }
      case "account.bootstrap":
        return { recoveryKey: "EsTc 1234 5678" };
      case "account.devices":
        return { devices: [] };
      case "account.signOutDevice":
        return { url: "https://account.example.org/devices" };
      case "doctor.run":
        return {
          homeserver: (request as CommandRequest<"doctor.run">).homeserver,
          checks: [],
          ok: true,
        };
      case "transcript.export":
        return { text: "" };
      case "app.openExternal": {
        const { url } = request as CommandRequest<"app.openExternal">;
        const result = (await this.#options.openUrl?.(url)) ?? "opened";
        this.opened.push({ url, result });
        return { ok: true };
      }
      case "demo.tryLocally":
      case "demo.status":
      case "demo.setSynapseTiming":
        return { active: false, synapseTiming: false };
      case "demo.sendQrToOtherWindow":
        return { ok: true };
      case "account.get":
      case "account.login":
      case "account.recover":
      case "account.resetIdentity":
      case "account.signOut":
      case "settings.set":
        return this.account;
    }
  }

  /** Puts a snapshot of a given phase for the current flow (a test moving the pretend flow along). */
  showPhase(snapshot: SnapshotWithoutIds): void {
    this.#show({ ...snapshot, flowId: this.#current?.flowId ?? "test-flow-0", seq: ++this.#seq });
  }
}
