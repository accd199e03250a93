// Canned projector screens (`?canned=projector--<phase>&projector=1`): one per phase, each with the transcript as
// it stood when the flow showed that phase, and the end of each success run (`projector--A-G--v2024--done`...)
// for the diagram after a whole sign-in. The fake engine serves them like the other canned screens.
import { FLOW_PHASES, WIRE_VERSIONS, type FlowPhaseName, type WireVersion } from "../../src-shared/flow";
import type { TranscriptEntry } from "../../src-shared/transcript";
import { SIGNED_IN, SIGNED_OUT, snapshot, type CannedScreen } from "../canned";
import {
  RUN_KEYS,
  cannedRun,
  type CannedRun,
  type RunDirection,
  type RunOutcome,
  type RunSide,
} from "./canned-transcripts";

/** Where each phase is taken from: a run (direction, side, version) that shows it. */
const PHASE_SOURCES: Readonly<
  Record<FlowPhaseName, { key: `${RunDirection}-${RunSide}`; version: WireVersion; outcome?: RunOutcome }>
> = {
  preflight: { key: "B-G", version: "v2024" },
  instructions: { key: "A-G", version: "v2024" },
  preparing: { key: "A-G", version: "v2024" },
  showing_qr: { key: "A-G", version: "v2024" },
  scanning: { key: "A-S", version: "v2024" },
  connecting: { key: "A-G", version: "v2024" },
  check_code_display: { key: "A-S", version: "v2024" },
  check_code_entry: { key: "A-G", version: "v2024" },
  confirm_homeserver: { key: "B-G", version: "v2025" },
  approve_device: { key: "B-S", version: "v2024" },
  negotiating: { key: "B-G", version: "v2025" },
  waiting_for_approval: { key: "A-S", version: "v2025" },
  consent: { key: "A-G", version: "v2025" },
  syncing_secrets: { key: "B-S", version: "v2025" },
  done: { key: "A-G", version: "v2024" },
  error: { key: "A-G", version: "v2024", outcome: "check_code_mismatch" },
};

/** Seconds left on the rendezvous in each screenshot, so the countdowns read as they would. */
const EXPIRES_IN: Partial<Record<FlowPhaseName, number>> = {
  showing_qr: 48_000,
  connecting: 44_000,
  check_code_display: 41_000,
  check_code_entry: 39_000,
  confirm_homeserver: 95_000,
  approve_device: 31_000,
  negotiating: 90_000,
  waiting_for_approval: 70_000,
  consent: 62_000,
};

function runOf(key: `${RunDirection}-${RunSide}`, version: WireVersion, outcome?: RunOutcome): CannedRun {
  const [direction, side] = key.split("-") as [RunDirection, RunSide];
  return cannedRun(direction, side, version, outcome);
}

function screenAt(run: CannedRun, phase: FlowPhaseName, upTo: number | undefined): CannedScreen | undefined {
  const checkpoint =
    phase === "instructions"
      ? { phase: { phase: "instructions" as const }, accepts: ["cancel" as const], upTo: 0 }
      : run.checkpoints.find((candidate) => candidate.phase.phase === phase);
  if (checkpoint === undefined) return undefined;
  const entries = run.entries.slice(0, upTo ?? checkpoint.upTo);
  const signedIn = run.role === "existing_device" || phase === "done";
  const expiresIn = EXPIRES_IN[phase];
  // An error screen shows first the phase it ended, so its steps mark where it failed.
  const previous = run.checkpoints[run.checkpoints.indexOf(checkpoint) - 1];
  const context = { role: run.role, side: run.flowSide, version: run.version };
  return {
    ...(phase === "error" && previous !== undefined
      ? {
          before: (now: number) =>
            snapshot(previous.phase, { ...context, accepts: previous.accepts, now }, 1),
        }
      : {}),
    account: signedIn ? SIGNED_IN : SIGNED_OUT,
    view: "flow",
    snapshot: (now) =>
      snapshot(
        checkpoint.phase,
        {
          ...context,
          accepts: checkpoint.accepts,
          now,
          ...(expiresIn === undefined ? {} : { expiresIn }),
        },
        2,
      ),
    transcript: (): readonly TranscriptEntry[] => entries,
    ready: ".sequence-svg",
  };
}

function buildScreens(): Record<string, CannedScreen> {
  const screens: Record<string, CannedScreen> = {};
  for (const phase of FLOW_PHASES) {
    const source = PHASE_SOURCES[phase];
    const screen = screenAt(runOf(source.key, source.version, source.outcome), phase, undefined);
    if (screen === undefined) throw new TypeError(`no ${phase} in the ${source.key} ${source.version} run`);
    screens[`projector--${phase}`] = screen;
  }
  for (const version of WIRE_VERSIONS) {
    for (const { direction, side } of RUN_KEYS) {
      const run = cannedRun(direction, side, version);
      const screen = screenAt(run, "done", run.entries.length);
      if (screen !== undefined) screens[`projector--${direction}-${side}--${version}--done`] = screen;
    }
  }
  return screens;
}

let built: Record<string, CannedScreen> | undefined;

/** Every projector screen by name (built on first use: the runs are computed, not stored). */
export function projectorScreens(): Readonly<Record<string, CannedScreen>> {
  built ??= buildScreens();
  return built;
}

export function projectorScreen(name: string): CannedScreen | undefined {
  if (!name.startsWith("projector--")) return undefined;
  const screens = projectorScreens();
  return Object.hasOwn(screens, name) ? screens[name] : undefined;
}
