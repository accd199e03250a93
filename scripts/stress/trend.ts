// The endurance run's verdict (scripts/stress/endurance.ts): whether the heap, the memory outside it and the
// active handles grew from the first third of the samples to the last third. Noise is allowed (a collection
// never frees everything at the same moment; the WebAssembly memory grows in pages and never shrinks); growth
// that keeps going with the number of flows is not.
export interface Sample {
  /** Flows done when the sample was taken. */
  readonly flow: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly rss: number;
  /** The size of the existing device's crypto-store snapshot (what its store holds). */
  readonly storeBytes: number;
  /** process.getActiveResourcesInfo(), counted by kind. */
  readonly resources: Readonly<Record<string, number>>;
}

export interface Verdict {
  readonly ok: boolean;
  readonly lines: readonly string[];
}

/**
 * Memory may grow by this share of the first third's mean, or this many bytes, whichever is more. Two runs of 100
 * flows (seed 19) differed by under 0.5 MiB at each sample, so 2 MiB is noise several times over, and a steady
 * 40 KB per flow is caught.
 */
export const MEMORY_SLACK_SHARE = 0.05;
export const MEMORY_SLACK_BYTES = 2 * 2 ** 20;
/** Handles may be this many more than the most the first third had (a request or timer in flight at a sample). */
export const HANDLE_SLACK = 2;

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
/** matrix-js-sdk's request timers, which expire by themselves (scripts/stress/endurance.ts), are not judged. */
export const SELF_EXPIRING = "sdk request timers";
const total = (s: Sample): number =>
  Object.entries(s.resources).reduce((sum, [kind, count]) => (kind === SELF_EXPIRING ? sum : sum + count), 0);

export function growthVerdict(samples: readonly Sample[]): Verdict {
  const third = Math.floor(samples.length / 3);
  if (third < 1) return { ok: false, lines: [`too few samples for a trend (${samples.length}; at least 3)`] };
  const first = samples.slice(0, third);
  const last = samples.slice(-third);
  const span = `flows ${first[0]?.flow}-${first.at(-1)?.flow} against ${last[0]?.flow}-${last.at(-1)?.flow}`;
  const lines = [`trend, mean of the last third against the first third (${span}):`];
  let ok = true;
  for (const [name, read] of [
    ["heap used", (s: Sample) => s.heapUsed],
    ["outside the heap", (s: Sample) => s.external],
  ] as const) {
    const before = mean(first.map(read));
    const after = mean(last.map(read));
    const allowed = Math.max(before * MEMORY_SLACK_SHARE, MEMORY_SLACK_BYTES);
    const grew = after - before > allowed;
    ok &&= !grew;
    lines.push(
      `  ${name.padEnd(17)} ${mib(before)} -> ${mib(after)} (${after >= before ? "+" : ""}${mib(after - before)}, allowed +${mib(allowed)}): ${grew ? "GROWS" : "flat"}`,
    );
  }
  const most = Math.max(...first.map(total));
  const after = mean(last.map(total));
  const grew = after > most + HANDLE_SLACK;
  ok &&= !grew;
  lines.push(
    `  ${"other handles".padEnd(17)} at most ${most} -> mean ${after.toFixed(1)} (allowed ${most + HANDLE_SLACK}): ${grew ? "GROWS" : "flat"}`,
  );
  return { ok, lines };
}
