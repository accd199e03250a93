// `sign-in` and `link`: one sign-in flow of the engine, from `flow.start` to its `done` or `error` snapshot, shown
// on the terminal (human-screen.ts) or as JSON lines (--json), with the QR code scanned from `--scan` and written
// to `--png`. Ctrl-C (SIGINT, or SIGTERM) cancels the flow the way the Cancel button does: the flow tells the other
// device (it sees `cancelled_there`) and deletes the rendezvous before this process ends; a second Ctrl-C stops
// at once. Exit status 0 when the flow is done, 3 when it ended in an error (its code is on the last JSON line).
import { rename, writeFile } from "node:fs/promises";
import { FlowFailure, type FlowErrorCode } from "../../../src-shared/errors";
import type { FlowCommand } from "../../../src-shared/flow";
import type { Engine } from "../../engine";
import { decodeBase64 } from "../../protocol";
import { UsageError, type CommandName, type CommonArgs } from "./args";
import { readCommandLine } from "./command-line";
import type { FlowArgs } from "./flow-args";
import { openEngine } from "./engine-session";
import {
  EXIT,
  outcomeError,
  type CliContext,
  type CommandAnswer,
  type Snapshot as FlowSnapshot,
} from "./context";
import { HumanScreen } from "./human-screen";
import { InputLines, type Output } from "./io";
import { qrPng } from "./qr-image";
import { resolveScanSource, type ScanSource } from "./scan-source";

/** Writes the file whole or not at all, so that a reader never sees half a PNG. */
async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

export async function runFlowCommand(
  context: CliContext,
  command: Extract<CommandName, "sign-in" | "link">,
  common: CommonArgs,
  args: FlowArgs,
): Promise<number> {
  const out = context.out;
  const scan: ScanSource | undefined =
    args.scan === undefined ? undefined : await resolveScanSource(args.scan, command);
  let flow: RunningFlow | undefined;
  const engine = await openEngine({
    common,
    streams: context.streams,
    out,
    onPage: (url, opened) => flow?.pageShown(url, opened),
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= engine.close());
  try {
    const account = await engine.invoke("account.get", {});
    if (!account.ok) throw new FlowFailure(outcomeError(account));
    const state = account.value;
    if (args.kind === "sign_in" && state.status === "signed_in") {
      throw new UsageError(
        `this profile is signed in already (${state.userId ?? "?"}); sign in a new one with --profile <name>, or logout first`,
        command,
      );
    }
    if (
      args.kind === "sign_in" &&
      args.side === "show" &&
      args.homeserver === undefined &&
      state.settings.homeserver === undefined
    ) {
      throw new UsageError(
        "sign-in --show needs --homeserver: the QR code is made on your homeserver",
        command,
      );
    }
    flow = new RunningFlow(context, engine, args, scan, state.settings.qrErrorCorrection);
    const final = await flow.run();
    const code: FlowErrorCode | "ok" =
      final.phase === "done" ? "ok" : final.phase === "error" ? final.error.code : "internal_error";
    if (args.transcript !== undefined) await flow.writeTranscript(args.transcript);
    // The profile is saved and unlocked before the last line: whoever reads it may open the profile at once.
    await close();
    out.line({ type: "exit", code });
    return code === "ok" ? EXIT.ok : EXIT.failed;
  } finally {
    flow?.stop();
    await close();
  }
}

/** One flow of the engine, from start to its last snapshot. */
class RunningFlow {
  readonly #context: CliContext;
  readonly #engine: Engine;
  readonly #args: FlowArgs;
  readonly #scan: ScanSource | undefined;
  readonly #out: Output;
  readonly #input: InputLines;
  readonly #screen: HumanScreen | undefined;
  readonly #level: "L" | "M" | "Q" | "H";
  #flowId: string | undefined;
  #last: FlowSnapshot | undefined;
  #submitted = false;
  #pngSerial = 0;
  #pngWrite: Promise<void> = Promise.resolve();
  #cancelRequested = false;
  #ended = false;
  #unsubscribe: (() => void) | undefined;
  #stopInterrupt: (() => void) | undefined;
  #commands: Promise<void> = Promise.resolve();
  #resolveFinished: (snapshot: FlowSnapshot) => void = () => undefined;
  readonly #finished = new Promise<FlowSnapshot>((resolve) => (this.#resolveFinished = resolve));

  constructor(
    context: CliContext,
    engine: Engine,
    args: FlowArgs,
    scan: ScanSource | undefined,
    level: "L" | "M" | "Q" | "H",
  ) {
    this.#context = context;
    this.#engine = engine;
    this.#args = args;
    this.#scan = scan;
    this.#out = context.out;
    this.#level = level;
    this.#input = new InputLines(context.streams, { prompts: !this.#out.json });
    this.#screen = this.#out.json
      ? undefined
      : new HumanScreen({
          out: this.#out,
          input: this.#input,
          send: (command) => this.#send(command),
          level,
          scanHere: scan?.kind === "later",
          onInputEnded: () => {
            this.#out.say("stdin has ended: cancelling.");
            this.#cancel();
          },
          ...(context.streams.stderr.columns === undefined
            ? {}
            : { columns: context.streams.stderr.columns }),
        });
  }

  /** A page was opened in a browser, or printed for the user to open (human mode). */
  pageShown(url: string, opened: boolean): void {
    this.#screen?.pageShown(url, opened);
  }

  async run(): Promise<FlowSnapshot> {
    this.#unsubscribe = this.#engine.subscribe((event) => {
      if (event.name === "transcript.entry") this.#out.line({ type: "transcript", entry: event.payload });
      else if (event.name === "flow.snapshot") this.#snapshot(event.payload);
    });
    this.#stopInterrupt = this.#context.onInterrupt(() => {
      this.#cancel();
    });
    this.#input.onInterrupt(() => {
      this.#cancel();
    });
    if (this.#out.json) {
      this.#input.onLine((line) => {
        this.#commands = this.#commands.then(() => this.#commandLine(line));
      });
    }
    const started = await this.#engine.invoke("flow.start", {
      kind: this.#args.kind,
      side: this.#args.side,
      ...(this.#args.version === undefined ? {} : { version: this.#args.version }),
      ...(this.#args.homeserver === undefined ? {} : { homeserver: this.#args.homeserver }),
    });
    if (!started.ok) {
      const error = outcomeError(started);
      this.#finish({
        flowId: "none",
        seq: 0,
        role: this.#args.kind === "sign_in" ? "new_device" : "existing_device",
        side: this.#args.side === "show" ? "generator" : "scanner",
        version: this.#args.version ?? "v2024",
        accepts: [],
        phase: "error",
        error,
      });
    } else {
      this.#flowId = started.value.flowId;
      if (this.#cancelRequested) void this.#send({ type: "cancel" });
      if (this.#last !== undefined) this.#act(this.#last);
    }
    const final = await this.#finished;
    await this.#pngWrite;
    return final;
  }

  /** Stops listening: no more input, signals or events reach this flow. */
  stop(): void {
    this.#ended = true;
    this.#screen?.end();
    this.#unsubscribe?.();
    this.#stopInterrupt?.();
    this.#input.close();
  }

  async writeTranscript(path: string): Promise<void> {
    const format = path.endsWith(".json") ? "json" : "markdown";
    const exported = await this.#engine.invoke("transcript.export", { format });
    if (exported.ok) await writeFile(path, exported.value.text, { mode: 0o600 });
    else this.#out.say(`The transcript could not be written to ${path}.`);
  }

  #snapshot(snapshot: FlowSnapshot): void {
    if (this.#ended) return;
    // The engine runs one flow; a snapshot of an older one (or one that went before) is not ours to show.
    if (this.#flowId !== undefined && snapshot.flowId !== this.#flowId) return;
    if (this.#last !== undefined && this.#last.flowId === snapshot.flowId && snapshot.seq <= this.#last.seq)
      return;
    this.#last = snapshot;
    this.#out.line({ type: "state", snapshot });
    this.#screen?.snapshot(snapshot);
    if (snapshot.phase === "done" || snapshot.phase === "error") {
      this.#finish(snapshot);
      return;
    }
    if (this.#flowId !== undefined) this.#act(snapshot);
  }

  #finish(snapshot: FlowSnapshot): void {
    if (this.#ended) return;
    this.stop();
    this.#resolveFinished(snapshot);
  }

  /** What the command line does by itself: hand over the QR code from --scan, write the one shown to --png. */
  #act(snapshot: FlowSnapshot): void {
    if (snapshot.phase === "scanning" && snapshot.accepts.includes("submitScannedQr") && !this.#submitted) {
      if (this.#scan?.kind === "bytes") {
        this.#submitted = true;
        void this.#send({ type: "submitScannedQr", bytes: this.#scan.base64 });
      }
    }
    const png = this.#args.png;
    if (snapshot.phase === "showing_qr" && png !== undefined && snapshot.serial !== this.#pngSerial) {
      this.#pngSerial = snapshot.serial;
      const bytes = decodeBase64(snapshot.qr, "invalid_qr");
      this.#pngWrite = this.#pngWrite
        .then(() => writeAtomically(png, qrPng(bytes, this.#level)))
        .catch((error: unknown) => {
          this.#out.say(`The QR code could not be written to ${png}: ${String(error)}`);
        });
    }
  }

  async #send(command: FlowCommand): Promise<CommandAnswer> {
    const flowId = this.#flowId;
    if (flowId === undefined) return { type: "rejected", reason: "unknown_flow" };
    const answer = await this.#engine.invoke("flow.command", { flowId, command });
    if (answer.ok) return answer.value;
    return { type: "rejected", reason: "invalid_command", detail: outcomeError(answer).message };
  }

  /** One line of stdin in --json mode: a command in the contract's shape, or a typed refusal. */
  async #commandLine(line: string): Promise<void> {
    if (this.#ended || line.trim() === "") return;
    const read = readCommandLine(line);
    if (!read.ok) {
      this.#out.line({ ...read.rejected });
      return;
    }
    const answer = await this.#send(read.command);
    if (answer.type === "rejected") {
      // After the flow's end nothing follows the exit line.
      if (!this.#hasEnded()) this.#out.line({ ...answer });
    } else if (read.command.type === "cancel") {
      this.#cancelRequested = true;
    }
  }

  #hasEnded(): boolean {
    return this.#ended;
  }

  #cancel(): void {
    if (this.#ended) return;
    if (this.#cancelRequested) {
      // The second interrupt: the user does not want to wait for the other device to be told.
      this.#out.say("Stopped.");
      this.#context.exit(EXIT.interrupted);
      return;
    }
    this.#cancelRequested = true;
    this.#out.say("Cancelling: telling the other device…");
    if (this.#flowId !== undefined) void this.#send({ type: "cancel" });
  }
}
