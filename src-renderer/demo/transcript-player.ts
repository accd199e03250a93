// Plays a canned run's transcript along with the fake engine's simulated flow, so that a preview without an
// engine shows the diagram and the transcript filling in as the phases change: each time the flow shows a phase,
// the entries the run made before that phase are emitted, with times moved to now.
import type { FlowPhaseName, FlowRole, FlowSide, WireVersion } from "../../src-shared/flow";
import type { TranscriptEntry } from "../../src-shared/transcript";
import { cannedRun, runKeyOf, type CannedRun } from "./canned-transcripts";

export class TranscriptPlayer {
  #run: CannedRun;
  #next = 0;
  #shift = Number.NEGATIVE_INFINITY;
  readonly #emit: (entry: TranscriptEntry) => void;

  constructor(
    readonly role: FlowRole,
    readonly side: FlowSide,
    version: WireVersion,
    emit: (entry: TranscriptEntry) => void,
  ) {
    this.#emit = emit;
    this.#run = this.#runFor(version);
  }

  /** Emits what the run did up to where it shows `phase` (the whole run for `done`). */
  reach(phase: FlowPhaseName, now = Date.now()): void {
    const upTo =
      phase === "done"
        ? this.#run.entries.length
        : this.#run.checkpoints.find(
            (checkpoint) => checkpoint.phase.phase === phase && checkpoint.upTo >= this.#next,
          )?.upTo;
    if (upTo === undefined || upTo <= this.#next) return;
    const last = this.#run.entries[upTo - 1]?.time ?? now;
    this.#shift = Math.max(this.#shift, now - last);
    for (; this.#next < upTo; this.#next++) {
      const entry = this.#run.entries[this.#next];
      if (entry !== undefined) this.#emit({ ...entry, time: entry.time + this.#shift });
    }
  }

  /** A new QR code (a new rendezvous), possibly in the other version: the run starts again at its first step. */
  restart(version: WireVersion): void {
    this.#run = this.#runFor(version);
    this.#next = Math.max(
      0,
      this.#run.entries.findIndex((entry) => entry.kind === "step"),
    );
  }

  #runFor(version: WireVersion): CannedRun {
    const { direction, side } = runKeyOf(this.role, this.side);
    return cannedRun(direction, side, version);
  }
}
