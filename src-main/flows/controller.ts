// One flow as its hosts see it: the latest snapshot, a stream of snapshots, and commands in. The flow itself
// is written as straight-line async code (new-device.ts, existing-device.ts) against a FlowContext: it shows a
// phase, asks for the commands that phase takes, and awaits them. This module owns the bookkeeping every flow
// shares: the per-flow `seq`, the `accepts` list, refusing any other command with a typed answer, cancel from
// any phase, and turning whatever ended the flow into a `done` or `error` snapshot.
import {
  readFlowCommand,
  type CommandRejected,
  type FlowCommand,
  type FlowCommandType,
  type FlowPhase,
  type FlowRole,
  type FlowSide,
  type FlowSnapshot,
  type WireVersion,
} from "../../src-shared/flow";
import { flowError, toFlowError, type FlowError } from "../../src-shared/errors";

/** Why a flow was aborted from outside: the user's cancel. */
export class CancelledHere extends Error {
  override readonly name = "AbortError";
  constructor() {
    super("cancelled on this device");
  }
}

export type CommandResult = { readonly type: "accepted" } | CommandRejected;

/** What a flow ended with. */
export type FlowOutcome =
  | { readonly ok: true; readonly snapshot: FlowSnapshot & { readonly phase: "done" } }
  | { readonly ok: false; readonly error: FlowError };

type CommandOf<T extends FlowCommandType> = Extract<FlowCommand, { type: T }>;

interface Waiter {
  readonly types: ReadonlySet<FlowCommandType>;
  readonly deliver: (command: FlowCommand) => void;
}

/** The identity of a flow that does not change while it runs. */
export interface FlowIdentity {
  readonly flowId: string;
  readonly role: FlowRole;
  readonly side: FlowSide;
  readonly version: WireVersion;
}

/** What the flow's own code uses to talk to its host. */
export interface FlowContext {
  /** Aborted when the user cancels (reason: CancelledHere) or the flow ends. */
  readonly signal: AbortSignal;
  /** Shows `phase`; `accepts` lists the commands it takes besides `cancel`. */
  show(phase: Exclude<FlowPhase, { phase: "done" | "error" }>, accepts?: readonly FlowCommandType[]): void;
  /** Updates the wire version and the expiry shown with every snapshot. */
  setVersion(version: WireVersion): void;
  setExpiresAt(expiresAt: number | undefined): void;
  /**
   * Resolves with the next command among `types` (which must be in the current `accepts`); rejects when the
   * flow is cancelled or `signal` aborts.
   */
  next<T extends FlowCommandType>(types: readonly T[], signal?: AbortSignal): Promise<CommandOf<T>>;
}

export interface FlowControllerOptions extends FlowIdentity {
  /** Runs the flow; resolves with the `done` phase, or throws what ended it. */
  readonly run: (context: FlowContext) => Promise<Extract<FlowPhase, { phase: "done" }>>;
  /**
   * After an error: whether starting again is possible (the error snapshot then accepts `newQr`), and the
   * cleanup to wait for before the error is shown (the rendezvous deleted or a failure sent).
   */
  readonly retryable?: (error: FlowError) => boolean;
  /** Called for every error with the original thrown value, e.g. to write a log line. */
  readonly onError?: (error: unknown) => void;
}

export class FlowController {
  readonly flowId: string;
  readonly role: FlowRole;
  readonly side: FlowSide;
  #version: WireVersion;
  #expiresAt: number | undefined;
  #seq = 0;
  #current: FlowSnapshot;
  #accepts: FlowCommandType[] = [];
  #listeners = new Set<(snapshot: FlowSnapshot) => void>();
  #waiters = new Set<Waiter>();
  /** Accepted commands that came before the flow asked for them (a host may answer within the snapshot's event). */
  #queued: FlowCommand[] = [];
  #abort = new AbortController();
  #finished = false;
  #outcome: Promise<FlowOutcome>;
  #resolveOutcome: (outcome: FlowOutcome) => void = () => undefined;
  readonly #options: FlowControllerOptions;

  constructor(options: FlowControllerOptions) {
    this.flowId = options.flowId;
    this.role = options.role;
    this.side = options.side;
    this.#version = options.version;
    this.#options = options;
    this.#current = this.#snapshot({ phase: "preparing" }, []);
    this.#outcome = new Promise((resolve) => (this.#resolveOutcome = resolve));
  }

  /** Starts (or, after an error that allows it, restarts) the flow. */
  start(): void {
    this.#abort = new AbortController();
    const context = this.#context(this.#abort.signal);
    void this.#options.run(context).then(
      (done) => {
        this.#end(this.#snapshot(done, []));
      },
      (error: unknown) => {
        this.#options.onError?.(error);
        const folded =
          this.#abort.signal.reason instanceof CancelledHere
            ? toFlowError(new CancelledHere())
            : toFlowError(error);
        const retry = this.#options.retryable?.(folded) ?? false;
        const snapshot = this.#snapshot({ phase: "error", error: folded }, retry ? ["newQr"] : []);
        if (retry) {
          // The flow may start again from here: it stays open for `newQr` (or `cancel`, which closes it).
          this.#publish(snapshot);
          this.#waitForRestart();
        } else {
          this.#end(snapshot);
        }
      },
    );
  }

  snapshot(): FlowSnapshot {
    return this.#current;
  }

  /** Calls `listener` with every new snapshot until the returned function is called. */
  subscribe(listener: (snapshot: FlowSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once the flow has ended for good (done, or an error the user did not retry). */
  get finished(): Promise<FlowOutcome> {
    return this.#outcome;
  }

  /**
   * Takes one command from a host. Anything malformed, not in the current snapshot's `accepts`, or sent after
   * the flow ended is refused with a typed answer and changes nothing.
   */
  command(input: unknown): CommandResult {
    const read = readFlowCommand(input);
    if (!read.ok) return read.rejected;
    const command = read.command;
    if (this.#finished) return { type: "rejected", reason: "flow_finished" };
    if (!this.#current.accepts.includes(command.type)) {
      return {
        type: "rejected",
        reason: "not_accepted_now",
        detail: `${command.type} in ${this.#current.phase}`,
      };
    }
    if (command.type === "cancel" && !this.#hasWaiterFor("cancel")) {
      this.cancel();
      return { type: "accepted" };
    }
    for (const waiter of this.#waiters) {
      if (waiter.types.has(command.type)) {
        this.#waiters.delete(waiter);
        waiter.deliver(command);
        return { type: "accepted" };
      }
    }
    // The snapshot takes it, but the flow has not started waiting for it yet: keep it for that moment.
    this.#queued.push(command);
    return { type: "accepted" };
  }

  /** Cancels from whatever phase: the flow's cleanup runs and it ends with `cancelled_here`. */
  cancel(): void {
    if (this.#finished) return;
    if (this.#current.phase === "error") {
      this.#end(this.#current);
      return;
    }
    this.#abort.abort(new CancelledHere());
  }

  #hasWaiterFor(type: FlowCommandType): boolean {
    for (const waiter of this.#waiters) if (waiter.types.has(type)) return true;
    return false;
  }

  #waitForRestart(): void {
    const waiter: Waiter = {
      types: new Set<FlowCommandType>(["newQr"]),
      deliver: () => {
        this.start();
      },
    };
    this.#waiters.add(waiter);
  }

  #context(signal: AbortSignal): FlowContext {
    return {
      signal,
      show: (phase, accepts = []) => {
        if (signal.aborted) return;
        this.#publish(this.#snapshot(phase, accepts));
      },
      setVersion: (version) => {
        this.#version = version;
      },
      setExpiresAt: (expiresAt) => {
        this.#expiresAt = expiresAt;
      },
      next: <T extends FlowCommandType>(types: readonly T[], extra?: AbortSignal) =>
        new Promise<CommandOf<T>>((resolve, reject) => {
          const signals = extra === undefined ? [signal] : [signal, extra];
          const aborted = signals.find((s) => s.aborted);
          if (aborted !== undefined) {
            reject(aborted.reason as Error);
            return;
          }
          const queued = this.#queued.findIndex((command) =>
            (types as readonly string[]).includes(command.type),
          );
          if (queued !== -1) {
            const [command] = this.#queued.splice(queued, 1);
            resolve(command as CommandOf<T>);
            return;
          }
          const onAbort = (event: Event): void => {
            this.#waiters.delete(waiter);
            reject((event.target as AbortSignal).reason as Error);
          };
          const waiter: Waiter = {
            types: new Set<FlowCommandType>(types),
            deliver: (command) => {
              for (const s of signals) s.removeEventListener("abort", onAbort);
              resolve(command as CommandOf<T>);
            },
          };
          for (const s of signals) s.addEventListener("abort", onAbort, { once: true });
          this.#waiters.add(waiter);
        }),
    };
  }

  #snapshot(phase: FlowPhase, accepts: readonly FlowCommandType[]): FlowSnapshot {
    this.#seq += 1;
    const terminal = phase.phase === "done" || phase.phase === "error";
    const all: FlowCommandType[] = [...accepts];
    if (!all.includes("cancel") && (!terminal || accepts.length > 0)) all.push("cancel");
    this.#accepts = all;
    return {
      flowId: this.flowId,
      seq: this.#seq,
      role: this.role,
      side: this.side,
      version: this.#version,
      ...(this.#expiresAt === undefined || terminal ? {} : { expiresAt: this.#expiresAt }),
      accepts: this.#accepts,
      ...phase,
    };
  }

  #publish(snapshot: FlowSnapshot): void {
    this.#current = snapshot;
    // A queued command the new phase does not take anymore is dropped, not kept for a later phase.
    this.#queued = this.#queued.filter((command) => snapshot.accepts.includes(command.type));
    for (const listener of [...this.#listeners]) {
      try {
        listener(snapshot);
      } catch (error) {
        this.#options.onError?.(error);
      }
    }
  }

  #end(snapshot: FlowSnapshot): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#waiters.clear();
    const final = { ...snapshot, accepts: [] } as FlowSnapshot;
    this.#publish(final);
    this.#abort.abort(new Error("the flow has ended"));
    if (final.phase === "done") this.#resolveOutcome({ ok: true, snapshot: final });
    else if (final.phase === "error") this.#resolveOutcome({ ok: false, error: final.error });
    else this.#resolveOutcome({ ok: false, error: flowError("internal_error", `ended in ${final.phase}`) });
  }
}
