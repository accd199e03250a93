// The fuzz harness: one loop for every target. A target is a generator of hostile inputs (a fast-check arbitrary)
// and a function that feeds one input to our code and names the outcome ("ok", or the typed error it ended in).
// The harness runs it under the oracle (oracle.ts), times every input, and after every input checks the built-in
// prototypes. A failure stops the target and reports its seed, fast-check's replay path and the minimal
// counterexample (fast-check shrinks it).
//
// Time bounds, stated: a pure parser gets PARSER_BOUND_MS per input, a client driven through a scripted network
// on a virtual clock (every retry and timeout of a whole session, none waiting on a real timer) NETWORK_BOUND_MS.
// The bound is on the CPU time the input costs this process (user + system), not on the clock: on a busy machine
// the clock also counts the time spent waiting for a core, which is not the input's doing (a 1,000,000-input run
// at load 10 failed two parsers at 72 ms by the clock whose inputs take under 1 ms). An input over a quarter of
// its bound is run twice more and judged by its cheapest run, so a GC pause does not count against it; one over
// the bound even then is a failure (`too_slow`). An async input that has not settled after HANG_MS of real time
// is a failure (`hang`): waiting is caught there, work here.
import { performance } from "node:perf_hooks";
import fc from "fast-check";
import { checkPrototypes, checkUnhandledRejections, FuzzFailure, watchUnhandledRejections } from "./oracle";

export const PARSER_BOUND_MS = 50;
export const NETWORK_BOUND_MS = 250;
export const HANG_MS = 5_000;

/** The parts of the app the issue names, for the report. */
export type FuzzArea =
  | "QR decoder"
  | "login messages"
  | "secure channel"
  | "rendezvous"
  | "OAuth"
  | "CS-API"
  | "IPC contract"
  | "CLI --json";

export interface FuzzTarget<T> {
  /** `area.thing`, unique; `--target` selects by it. */
  readonly name: string;
  readonly area: FuzzArea;
  /** Its share of the total runs. */
  readonly weight: number;
  /** PARSER_BOUND_MS or NETWORK_BOUND_MS. */
  readonly boundMs: number;
  readonly input: fc.Arbitrary<T>;
  /** Feeds one input; returns "ok" or the typed outcome's label; throws FuzzFailure (or anything) to fail. */
  run(input: T): string | Promise<string>;
}

/** A target with its input type erased, so that targets of every type fit one list. */
export type AnyTarget = FuzzTarget<unknown>;

export function defineTarget<T>(target: FuzzTarget<T>): AnyTarget {
  return target;
}

export interface TargetReport {
  readonly name: string;
  readonly area: FuzzArea;
  readonly seed: number;
  readonly runs: number;
  readonly boundMs: number;
  /** How many inputs ended in each outcome ("ok", `ProtocolError:invalid_qr`...). */
  readonly outcomes: Readonly<Record<string, number>>;
  /** The CPU time of the costliest input (its cheapest of three runs when it was run again). */
  readonly slowestMs: number;
  /** The slowest input, shortened for printing. */
  readonly slowestInput: string;
  readonly seconds: number;
  readonly failure?: {
    readonly kind: string;
    readonly message: string;
    readonly counterexample: string;
    readonly path: string;
    readonly shrinks: number;
  };
}

/** A 32-bit seed per target from the run's seed and the target's name, so adding a target moves no other. */
export function targetSeed(seed: number, name: string): number {
  let hash = seed | 0;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/** `total` split over `targets` by weight, each at least one run. */
export function runsByWeight(targets: readonly AnyTarget[], total: number): Map<string, number> {
  const weights = targets.reduce((sum, target) => sum + target.weight, 0);
  return new Map(
    targets.map((target) => [target.name, Math.max(1, Math.round((total * target.weight) / weights))]),
  );
}

/** An input as text for the report, whatever its size or depth. */
export function describeInput(input: unknown, max = 600): string {
  let text: string;
  try {
    text = fc.stringify(input);
  } catch {
    text = `<${typeof input} too deep to print>`;
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return (
    typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function"
  );
}

/** `work`, failing with `hang` if it has not settled after HANG_MS of real time. */
async function settledInTime(work: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new FuzzFailure("hang", `no answer after ${HANG_MS} ms of real time`));
    }, HANG_MS);
  });
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a target `runs` times from `seed`; never throws (the report says how it went). */
export async function fuzzTarget(target: AnyTarget, runs: number, seed: number): Promise<TargetReport> {
  watchUnhandledRejections();
  checkPrototypes();
  const outcomes: Record<string, number> = Object.create(null) as Record<string, number>;
  let slowestMs = 0;
  let slowestInput = "";
  const started = performance.now();

  /** One timed run of `input`: its outcome and the CPU time it took. */
  const once = async (input: unknown): Promise<{ outcome: string; ms: number }> => {
    const before = process.cpuUsage();
    let result = target.run(input);
    if (isPromise(result)) result = (await settledInTime(result)) as string;
    const used = process.cpuUsage(before);
    const ms = (used.user + used.system) / 1000;
    checkPrototypes();
    return { outcome: result, ms };
  };

  const judge = async (input: unknown): Promise<void> => {
    const first = await once(input);
    const outcome = first.outcome;
    let ms = first.ms;
    if (ms > target.boundMs / 4) {
      // Judged by its cheapest of three runs: a GC pause is not the input's doing.
      for (let again = 0; again < 2 && ms > target.boundMs / 4; again++)
        ms = Math.min(ms, (await once(input)).ms);
      if (ms > target.boundMs) {
        throw new FuzzFailure(
          "too_slow",
          `${ms.toFixed(1)} ms of CPU at best of three (bound ${target.boundMs} ms)`,
        );
      }
    }
    checkUnhandledRejections();
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (ms > slowestMs) {
      slowestMs = ms;
      slowestInput = describeInput(input, 300);
    }
  };

  let details: fc.RunDetails<[unknown]>;
  try {
    details = await fc.check(fc.asyncProperty(target.input, judge), { seed, numRuns: runs });
  } catch (error) {
    // The generator itself failed (the fuzzer's bug, not the target's): report it like a failure.
    const message =
      error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    return {
      name: target.name,
      area: target.area,
      seed,
      runs: 0,
      boundMs: target.boundMs,
      outcomes: {},
      slowestMs: 0,
      slowestInput: "",
      seconds: 0,
      failure: { kind: "generator_error", message, counterexample: "", path: "", shrinks: 0 },
    };
  }
  const report = {
    name: target.name,
    area: target.area,
    seed,
    runs: details.numRuns,
    boundMs: target.boundMs,
    outcomes: { ...outcomes },
    slowestMs: Number(slowestMs.toFixed(2)),
    slowestInput,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  if (!details.failed) return report;
  const error = details.errorInstance;
  return {
    ...report,
    failure: {
      kind: error instanceof FuzzFailure ? error.kind : "untyped_error",
      message: error instanceof Error ? error.message : String(error),
      counterexample: describeInput(details.counterexample?.[0], 2_000),
      path: details.counterexamplePath ?? "",
      shrinks: details.numShrinks,
    },
  };
}

/** The report's table, one line per target, then each failure in full. */
export function formatReports(reports: readonly TargetReport[], seed: number): string {
  const lines = [
    `fuzz seed ${seed}: ${reports.reduce((n, r) => n + r.runs, 0)} inputs over ${reports.length} targets`,
    "",
    `${"target".padEnd(34)} ${"runs".padStart(8)} ${"ok".padStart(8)} ${"typed".padStart(8)}  ${"CPU max".padStart(9)}  bound  outcomes`,
  ];
  for (const report of reports) {
    const ok = report.outcomes.ok ?? 0;
    const typed = Object.entries(report.outcomes)
      .filter(([label]) => label !== "ok")
      .sort(([, a], [, b]) => b - a);
    const typedCount = typed.reduce((n, [, count]) => n + count, 0);
    const top = typed
      .slice(0, 4)
      .map(([label, count]) => `${label} ${count}`)
      .join(", ");
    lines.push(
      `${report.name.padEnd(34)} ${String(report.runs).padStart(8)} ${String(ok).padStart(8)} ${String(typedCount).padStart(8)}  ${`${report.slowestMs.toFixed(1)} ms`.padStart(9)}  ${String(report.boundMs).padStart(3)}ms  ${top}${typed.length > 4 ? ", …" : ""}${report.failure === undefined ? "" : "  FAILED"}`,
    );
  }
  const slowest = [...reports].sort((a, b) => b.slowestMs - a.slowestMs)[0];
  if (slowest !== undefined) {
    lines.push(
      "",
      `slowest input: ${slowest.slowestMs.toFixed(1)} ms of CPU in ${slowest.name}: ${slowest.slowestInput}`,
    );
  }
  for (const report of reports) {
    if (report.failure === undefined) continue;
    lines.push(
      "",
      `FAILED ${report.name} (${report.failure.kind}), seed ${report.seed}, path "${report.failure.path}", ${report.failure.shrinks} shrinks`,
      `  ${report.failure.message}`,
      `  minimal counterexample: ${report.failure.counterexample}`,
      `  replay: npm run fuzz -- --seed ${seed} --target ${report.name} --runs ${report.runs}`,
    );
  }
  return lines.join("\n");
}
