// `npm run stress:endurance [-- --flows N] [-- --seed S] [-- --every K]`: N sign-ins (default 100) in one process,
// both devices of the app (the existing device kept across runs, a new profile each time) against one devserver
// in a child process, so that the heap measured is ours alone. Each block of four runs every pairing once (either
// device shows the QR code, in v2024 and in v2025), in an order and with the person's delays drawn from the seed.
// Every K flows (default 10), after two garbage collections, it prints the heap used, the memory outside the heap
// (the crypto's WebAssembly memory), the resident size, and the active handles and resources by kind
// (process.getActiveResourcesInfo(), and the IndexedDB connections the crypto stores hold). At the end it compares
// the last third of these samples to the first third and fails on growth; a flow that fails prints its number and
// the seed that replays the run. --heap-snapshots <dir> also writes a heap snapshot at each sample, for
// scripts/stress/heap-diff.mjs (what the later one holds that the earlier one did not, and what keeps it).
import { createHook } from "node:async_hooks";
import { spawn, type ChildProcess } from "node:child_process";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { parseArgs } from "node:util";
import "../../src-shared/polyfills";
import { trackedConnections } from "../../src-main/matrix/indexeddb";
import { runPair, stressWorld, type PairPlan, type StressWorld } from "./pair";
import { growthVerdict, SELF_EXPIRING, type Sample } from "./trend";

const { values } = parseArgs({
  options: {
    flows: { type: "string", default: "100" },
    seed: { type: "string" },
    every: { type: "string", default: "10" },
    "trace-handles": { type: "boolean", default: false },
    "heap-snapshots": { type: "string" },
  },
});
const flows = Number(values.flows);
const every = Number(values.every);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
for (const [name, value] of [
  ["--flows", flows],
  ["--every", every],
  ["--seed", seed],
] as const) {
  if (!Number.isSafeInteger(value) || value < (name === "--seed" ? 0 : 1)) {
    console.error(`${name} must be a ${name === "--seed" ? "non-negative" : "positive"} integer`);
    process.exit(2);
  }
}
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error("run with node --expose-gc (npm run stress:endurance does)");
  process.exit(2);
}

/**
 * matrix-js-sdk gives each request with a local time limit a timer it never clears (`timeoutSignal` in
 * matrix-js-sdk/lib/http-api/utils.js; the Rust crypto's requests get 60 s): each one keeps the event loop alive until it fires,
 * whatever became of the request. They are bounded by time, not by the number of flows, so they are counted
 * apart; the verdict judges the other handles. --trace-handles also prints where each live timer and socket was
 * made (the first frames outside Node's own code), to trace growing handles to their source.
 */
const sdkRequestTimers = new Set<number>();
const traced = new Map<number, { type: string; stack: string }>();
createHook({
  init(id, type) {
    if (type !== "Timeout" && !(values["trace-handles"] && type === "TCPWRAP")) return;
    const stack = new Error().stack ?? "";
    if (type === "Timeout" && stack.includes("timeoutSignal")) sdkRequestTimers.add(id);
    if (!values["trace-handles"]) return;
    const frames = stack
      .split("\n")
      .slice(1)
      .filter((line) => !line.includes("node:") && !line.includes("stress-endurance.js"))
      .slice(0, 4)
      .map((line) => line.trim());
    traced.set(id, { type, stack: frames.join(" < ") });
  },
  destroy(id) {
    sdkRequestTimers.delete(id);
    traced.delete(id);
  },
}).enable();

function printTraced(): void {
  const bySite = new Map<string, number>();
  for (const { type, stack } of traced.values()) {
    const key = `${type} ${stack}`;
    bySite.set(key, (bySite.get(key) ?? 0) + 1);
  }
  for (const [site, count] of [...bySite].sort(([, a], [, b]) => b - a).slice(0, 8))
    console.log(`        ${String(count).padStart(4)} x ${site}`);
}

/** mulberry32: a small seeded generator, so that a seed replays the same order and delays. */
function seeded(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function plans(count: number, random: () => number): PairPlan[] {
  const pairings: Omit<PairPlan, "personMs">[] = [
    { shows: "existing", version: "v2024" },
    { shows: "new", version: "v2024" },
    { shows: "existing", version: "v2025" },
    { shows: "new", version: "v2025" },
  ];
  const out: PairPlan[] = [];
  while (out.length < count) {
    const block = [...pairings];
    for (let i = block.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [block[i], block[j]] = [block[j] as Omit<PairPlan, "personMs">, block[i] as Omit<PairPlan, "personMs">];
    }
    for (const pairing of block) out.push({ ...pairing, personMs: Math.floor(random() * 150) });
  }
  return out.slice(0, count);
}

async function startDevserverChild(): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(
    process.execPath,
    [
      join(import.meta.dirname, "devserver.js"),
      "--test-hooks",
      "--user",
      "alice:secret",
      "--device-code-interval",
      "1",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const ready = /devserver ready at (\S+)/.exec(out);
      if (ready?.[1] !== undefined) resolve(ready[1]);
    });
    child.once("exit", (code) => {
      reject(new Error(`the devserver exited (${String(code)}) before it was ready`));
    });
  });
  return { child, baseUrl };
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function sample(flow: number, world: StressWorld): Promise<Sample> {
  // Let closing sockets and finished timers go, then collect twice (the second pass frees what finalizers let go).
  await delay(300);
  gc?.();
  await delay(20);
  gc?.();
  const memory = process.memoryUsage();
  const resources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  // The IndexedDB connections the crypto stores hold count as handles: each flow's new device must leave none,
  // and the existing device's snapshots none of theirs (a closed connection once stayed tracked, 40 KB a flow).
  resources["IndexedDB connections"] = trackedConnections();
  // The SDK's timers are ref'd Timeouts: moved out of that count into their own.
  const sdkTimers = Math.min(sdkRequestTimers.size, resources.Timeout ?? 0);
  if (sdkTimers > 0) {
    resources.Timeout = (resources.Timeout ?? 0) - sdkTimers;
    resources["sdk request timers"] = sdkTimers;
  }
  return {
    flow,
    heapUsed: memory.heapUsed,
    // The existing device's crypto store lives in the heap (fake-indexeddb): what it holds is data, not a leak.
    storeBytes: (await stat(world.existing.profile.snapshotFile)).size,
    external: memory.external,
    rss: memory.rss,
    resources,
  };
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

function printRow(s: Sample): void {
  const kinds = Object.entries(s.resources)
    .filter(([kind]) => kind !== SELF_EXPIRING)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind} ${count}`)
    .join(", ");
  const sdk = s.resources[SELF_EXPIRING] ?? 0;
  const handles = Object.values(s.resources).reduce((a, b) => a + b, 0) - sdk;
  console.log(
    `${String(s.flow).padStart(5)}  ${mib(s.heapUsed).padStart(9)}  ${mib(s.external).padStart(8)}  ${mib(s.rss).padStart(7)}  ${(s.storeBytes / 1024).toFixed(0).padStart(9)}  ${String(handles).padStart(7)}  ${String(sdk).padStart(10)}  ${kinds}`,
  );
}

async function main(): Promise<number> {
  console.log(`stress:endurance: ${flows} flows from seed ${seed}, sampled every ${every}`);
  const random = seeded(seed);
  const planned = plans(flows, random);
  const { child, baseUrl } = await startDevserverChild();
  const lifetime = new AbortController();
  let world: StressWorld | undefined;
  const started = Date.now();
  try {
    world = await stressWorld(baseUrl, lifetime.signal);
    console.log("\n flow   heap MiB   ext MiB  rss MiB  store KiB  handles  sdk timers  handles by kind");
    const samples: Sample[] = [];
    const baseline = await sample(0, world);
    printRow(baseline);
    for (let i = 0; i < flows; i++) {
      const plan = planned[i] as PairPlan;
      const flow = i + 1;
      try {
        await runPair(world, join(world.root, `new-${flow}`), plan, lifetime.signal);
      } catch (error) {
        console.log(
          `\nstress:endurance: FAILED at flow ${flow} (the ${plan.shows} device shows a ${plan.version} QR code; seed ${seed})\n` +
            `replay: npm run stress:endurance -- --seed ${seed} --flows ${flow}\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        return 1;
      }
      if (flow % every === 0 || flow === flows) {
        const s = await sample(flow, world);
        samples.push(s);
        printRow(s);
        if (values["trace-handles"]) printTraced();
        if (values["heap-snapshots"] !== undefined)
          console.log(
            `        ${writeHeapSnapshot(join(values["heap-snapshots"], `flow-${flow}.heapsnapshot`))}`,
          );
      }
    }
    const verdict = growthVerdict(samples);
    console.log(`\n${verdict.lines.join("\n")}`);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    console.log(
      verdict.ok
        ? `\nstress:endurance: ${flows} flows from seed ${seed}, no growth; ${seconds} s`
        : `\nstress:endurance: GROWTH over ${flows} flows from seed ${seed}; ${seconds} s`,
    );
    return verdict.ok ? 0 : 1;
  } finally {
    lifetime.abort();
    await world?.close();
    child.kill("SIGTERM");
  }
}

// Exits at once: matrix-js-sdk's request timers would keep the process alive for up to a minute after the end.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `stress:endurance: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
