// Thread time (CPU time) of the page's scanning work, read from a Chromium trace, for `npm run bench:ui`. The
// page's own clock (performance.measure, long tasks) counts wall time, and on a machine whose cores are shared
// (a load average many times the core count) a task that computes 1 ms can take 50 ms of wall time, waiting for a
// core. Each task in a trace also carries its thread's CPU time (`tdur`), which says how much work it was.
//
// The page's thread is the one that recorded the `scan:first-frame` mark; a task counts as scanning work when a
// scanning step's measure (scan:grab, scan:post, scan:answer, with its frame number) starts inside it. The
// worker's tasks are those of the page's dedicated workers from the first frame on.
import { SCAN_MEASURE, FIRST_FRAME_MARK } from "../../src-renderer/scanner/scan-timing";

/** The trace categories the analysis reads. */
export const TRACE_CATEGORIES = [
  "toplevel",
  "devtools.timeline",
  "disabled-by-default-devtools.timeline",
  "blink.user_timing",
  "v8",
];

/** The events that enter the page's script: a scanning step is charged the outermost one it ran in (the task
 * around it may also lay out and paint a frame of the page, which is not scanning). */
const SCRIPT_ENTRIES: readonly string[] = [
  "TimerFire",
  "FunctionCall",
  "HandlePostMessage",
  "EventDispatch",
  "RunMicrotasks",
];

interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly ts: number;
  readonly dur?: number;
  readonly tdur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly args?: { readonly name?: string; readonly detail?: string };
}

export interface ThreadTimes {
  /** Per frame, the CPU time of the page-thread script calls that ran its scanning steps (ms; an upper bound:
   * a call may do other things too). The task that took the answer with the QR code is left out: it goes on to show
   * the next screen, which is not scanning. */
  readonly mainPerFrame: number[];
  /** The worker's tasks from the first frame on, CPU time each (ms). */
  readonly workerTasks: number[];
  /** Page-thread tasks of 50 ms or more of wall time from the first frame to `endMs` after it: wall and CPU. */
  readonly longTasks: { readonly wall: number; readonly cpu: number }[];
}

const STEPS: readonly string[] = [SCAN_MEASURE.grab, SCAN_MEASURE.post, SCAN_MEASURE.answer];
const LONG_TASK_US = 50_000;

/** Reads `trace` (Chromium's JSON trace, as `browser.stopTracing()` gives it). `endMs`: the end of scanning,
 * in ms after the first frame (undefined: the end of the trace). */
export function threadTimes(trace: Buffer, endMs: number | undefined): ThreadTimes | undefined {
  const events = (JSON.parse(trace.toString("utf8")) as { traceEvents: TraceEvent[] }).traceEvents;
  const first = events.find((event) => event.name === FIRST_FRAME_MARK);
  if (first === undefined) return undefined;
  const end = endMs === undefined ? Infinity : first.ts + endMs * 1000;
  const workers = new Set(
    events
      .filter(
        (event) =>
          event.ph === "M" &&
          event.name === "thread_name" &&
          event.pid === first.pid &&
          event.args?.name === "DedicatedWorker thread",
      )
      .map((event) => event.tid),
  );
  const tasks = events
    .filter((event) => event.name === "RunTask" && event.ph === "X" && event.pid === first.pid)
    .sort((a, b) => a.ts - b.ts);
  const mainTasks = tasks.filter((task) => task.tid === first.tid);
  const within = (event: TraceEvent, ts: number) => event.ts <= ts && ts <= event.ts + (event.dur ?? 0);
  const scripts = events.filter(
    (event) =>
      event.ph === "X" &&
      event.pid === first.pid &&
      event.tid === first.tid &&
      SCRIPT_ENTRIES.includes(event.name),
  );
  const callAt = (ts: number) =>
    scripts
      .filter((event) => within(event, ts))
      .reduce<TraceEvent | undefined>(
        (outer, event) => ((outer?.dur ?? -1) >= (event.dur ?? 0) ? outer : event),
        undefined,
      ) ?? mainTasks.find((task) => within(task, ts));

  // Each frame's steps, by the frame number the page gave its measures; a task counted once per frame.
  const perFrame = new Map<number, Set<TraceEvent>>();
  const steps = events.filter(
    (event) => event.ph === "b" && event.pid === first.pid && STEPS.includes(event.name),
  );
  const found =
    endMs === undefined ? undefined : steps.findLast((event) => event.name === SCAN_MEASURE.answer);
  for (const event of steps) {
    if (event === found) continue;
    const frame = (JSON.parse(event.args?.detail ?? "{}") as { frame?: number }).frame ?? 0;
    const task = callAt(event.ts);
    if (task === undefined) continue;
    perFrame.set(frame, (perFrame.get(frame) ?? new Set()).add(task));
  }
  const cpu = (task: TraceEvent) => (task.tdur ?? 0) / 1000;
  return {
    mainPerFrame: [...perFrame.values()].map((set) => [...set].reduce((sum, task) => sum + cpu(task), 0)),
    workerTasks: tasks
      .filter((task) => workers.has(task.tid) && task.ts >= first.ts && task.ts < end)
      .map(cpu)
      .filter((ms) => ms > 0.5),
    longTasks: mainTasks
      .filter(
        (task) => (task.dur ?? 0) >= LONG_TASK_US && task.ts < end && task.ts + (task.dur ?? 0) > first.ts,
      )
      .map((task) => ({ wall: (task.dur ?? 0) / 1000, cpu: cpu(task) })),
  };
}
