// Parts 2 and 3 of the flow benchmark: a whole sign-in, from the QR code shown to the new device verified, for our
// pair and for the matrix-js-sdk pair, in both who-shows directions; first with every human step answered at once
// (part 2), then with the person taking its time over the check code and the consent (part 3).
import {
  MACHINE_REPLY_DUE,
  PERSON_ACTING,
  type PollSchedule,
  type WireVersion,
} from "../../src-main/protocol";
import { pollIntervalAt } from "../../src-main/protocol/testing";
import { runJsSdkPair } from "./e2e-js-sdk";
import { runOurPair } from "./e2e-ours";
import { AT_ONCE, type Direction, type E2eRun, type Person } from "./e2e-run";
import type { BenchContext, Part } from "./parts";
import { clearRequests, type DeviceLabel } from "./requests";
import { median, printTable, type Cell } from "./table";

const DIRECTIONS: readonly Direction[] = ["existing_shows", "new_shows"];
const OUR_VERSION: WireVersion = "v2024";

interface PairRuns {
  readonly pair: "ours" | "matrix-js-sdk";
  readonly direction: Direction;
  readonly runs: readonly E2eRun[];
}

async function runPairs(
  context: BenchContext,
  person: Person,
  count: number,
  directions: readonly Direction[] = DIRECTIONS,
): Promise<PairRuns[]> {
  const results: PairRuns[] = [];
  for (const direction of directions) {
    const ours: E2eRun[] = [];
    const theirs: E2eRun[] = [];
    // Interleaved, so that whatever else the machine does falls on both pairs alike.
    for (let run = 0; run < count; run++) {
      clearRequests();
      ours.push(await runOurPair(await context.ours(), direction, OUR_VERSION, person));
      clearRequests();
      theirs.push(await runJsSdkPair(await context.jsSdk(), direction, person));
    }
    results.push({ pair: "ours", direction, runs: ours });
    results.push({ pair: "matrix-js-sdk", direction, runs: theirs });
  }
  return results;
}

// --- where our time goes, and the floor ---------------------------------------------------------------------

/**
 * One message of our flow on the critical path: the marks that say it was written and read, and the poll
 * schedule its reader waits on (src-main/flows: which `timings` each step passes).
 */
interface Hop {
  readonly message: string;
  readonly sent: { readonly device: DeviceLabel; readonly mark: string };
  readonly received: { readonly device: DeviceLabel; readonly mark: string };
  readonly schedule: "machineReply" | "personActing";
}

const sent = (device: DeviceLabel, type: string) => ({ device, mark: `sent ${type}` });
const received = (device: DeviceLabel, type: string) => ({ device, mark: `received ${type}` });

/** Direction A (the existing device shows) and B (the new device shows), docs/protocol.md §5. */
const HOPS: Readonly<Record<Direction, readonly Hop[]>> = {
  existing_shows: [
    {
      message: "LoginInitiate",
      sent: { device: "new", mark: "A-S3" },
      received: { device: "existing", mark: "A-G2" },
      schedule: "personActing",
    },
    {
      message: "LoginOk",
      sent: { device: "existing", mark: "A-G4" },
      received: { device: "new", mark: "shows check_code_display" },
      schedule: "machineReply",
    },
    {
      message: "m.login.protocol",
      sent: sent("new", "m.login.protocol"),
      received: received("existing", "m.login.protocol"),
      schedule: "machineReply",
    },
    {
      message: "m.login.protocol_accepted",
      sent: sent("existing", "m.login.protocol_accepted"),
      received: received("new", "m.login.protocol_accepted"),
      schedule: "personActing",
    },
    {
      message: "m.login.success",
      sent: sent("new", "m.login.success"),
      received: received("existing", "m.login.success"),
      schedule: "personActing",
    },
    {
      message: "m.login.secrets",
      sent: sent("existing", "m.login.secrets"),
      received: received("new", "m.login.secrets"),
      schedule: "machineReply",
    },
  ],
  new_shows: [
    {
      message: "LoginInitiate",
      sent: { device: "existing", mark: "B-S3" },
      received: { device: "new", mark: "B-G2" },
      schedule: "personActing",
    },
    {
      message: "LoginOk",
      sent: { device: "new", mark: "B-G4" },
      received: { device: "existing", mark: "shows check_code_display" },
      schedule: "machineReply",
    },
    {
      message: "m.login.protocols",
      sent: sent("existing", "m.login.protocols"),
      received: received("new", "m.login.protocols"),
      schedule: "machineReply",
    },
    {
      message: "m.login.protocol",
      sent: sent("new", "m.login.protocol"),
      received: received("existing", "m.login.protocol"),
      schedule: "personActing",
    },
    {
      message: "m.login.protocol_accepted",
      sent: sent("existing", "m.login.protocol_accepted"),
      received: received("new", "m.login.protocol_accepted"),
      schedule: "personActing",
    },
    {
      message: "m.login.success",
      sent: sent("new", "m.login.success"),
      received: received("existing", "m.login.success"),
      schedule: "personActing",
    },
    {
      message: "m.login.secrets",
      sent: sent("existing", "m.login.secrets"),
      received: received("new", "m.login.secrets"),
      schedule: "machineReply",
    },
  ],
};

function markAt(run: E2eRun, device: DeviceLabel, name: string): number {
  const found = run.marks.find((mark) => mark.device === device && mark.name === name);
  if (found === undefined) throw new Error(`no mark "${name}" on the ${device} device`);
  return found.atMs;
}

/**
 * The mean wait our schedule gives a message that lands `lagMs` after its reader's last turn: half the gap
 * between the two looks that the landing falls between (or the wait to the first look, when it lands before).
 */
export function expectedPollWait(schedule: PollSchedule, lagMs: number): number {
  let look = pollIntervalAt(schedule, 0);
  if (lagMs <= look) return look - lagMs;
  for (;;) {
    const next = look + pollIntervalAt(schedule, look);
    if (lagMs <= next) return (next - look) / 2;
    look = next;
  }
}

interface Segment {
  readonly name: string;
  readonly kind: "hop" | "work";
  readonly ms: number;
  readonly floorMs: number;
}

/** The run cut at each message's write and read: hops, and the work between them (where the floor is the same). */
function segmentsOf(run: E2eRun, direction: Direction, intervalMs: number): Segment[] {
  const hops = HOPS[direction];
  const segments: Segment[] = [];
  let at = 0;
  let lastTurn: Record<DeviceLabel, number> = { existing: 0, new: 0 };
  const newStep = (n: number): string => (direction === "existing_shows" ? `A-S${n}` : `B-G${n + 3}`);
  for (const hop of hops) {
    const sentAt = markAt(run, hop.sent.device, hop.sent.mark);
    const receivedAt = markAt(run, hop.received.device, hop.received.mark);
    let floorMs = sentAt - at;
    if (hop.message === "m.login.success") {
      // The wait for the first token poll: the design may look one interval after the device authorization
      // (RFC 8628 §3.5), not sooner; the rest of this stretch is OAuth, client-server and crypto calls.
      const accepted = markAt(run, "new", "received m.login.protocol_accepted");
      const firstToken = run.marks.find((mark) => mark.device === "new" && mark.name.startsWith("token"));
      const authorized = markAt(run, "new", newStep(5));
      if (firstToken !== undefined) {
        const waited = firstToken.atMs - accepted;
        const gate = Math.max(0, authorized + intervalMs - accepted);
        floorMs = floorMs - waited + gate;
      }
    }
    segments.push({
      name: `${hop.sent.device} until ${hop.message} is written`,
      kind: "work",
      ms: sentAt - at,
      floorMs,
    });
    const schedule = hop.schedule === "machineReply" ? MACHINE_REPLY_DUE : PERSON_ACTING;
    const wait = expectedPollWait(schedule, sentAt - lastTurn[hop.received.device]);
    segments.push({
      name: `hop ${hop.message} (${hop.schedule})`,
      kind: "hop",
      ms: receivedAt - sentAt,
      floorMs: wait,
    });
    lastTurn = { ...lastTurn, [hop.sent.device]: sentAt, [hop.received.device]: receivedAt };
    at = receivedAt;
  }
  const done = markAt(run, "new", "shows done");
  segments.push({
    name: "new imports the secrets, verified",
    kind: "work",
    ms: done - at,
    floorMs: done - at,
  });
  return segments;
}

/** The device code interval the devserver runs with (`--device-code-interval 1`). */
export const DEVICE_CODE_INTERVAL_MS = 1_000;

const DIRECTION_NAMES: Readonly<Record<Direction, string>> = {
  existing_shows: "A, existing shows",
  new_shows: "B, new shows",
};

export const PART_2: Part = {
  title: "Part 2: end to end, QR shown to new device verified, every human step answered at once",
  run: async (context) => {
    const results = await runPairs(context, AT_ONCE, context.settings.e2eRuns);
    const rows: Cell[][] = [];
    const summary: Cell[][] = [];
    for (const direction of DIRECTIONS) {
      const ours = results.find((r) => r.pair === "ours" && r.direction === direction)?.runs ?? [];
      const theirs = results.find((r) => r.pair === "matrix-js-sdk" && r.direction === direction)?.runs ?? [];
      for (const [pair, runs] of [
        [`ours ${OUR_VERSION}`, ours],
        ["matrix-js-sdk v2024", theirs],
      ] as const) {
        rows.push([
          DIRECTION_NAMES[direction],
          pair,
          median(runs.map((run) => run.totalMs)),
          Math.min(...runs.map((run) => run.totalMs)),
          Math.max(...runs.map((run) => run.totalMs)),
          median(runs.map((run) => run.requests.existing)),
          median(runs.map((run) => run.requests.new)),
        ]);
      }
      // Our phases: each run cut the same way, then the median of each piece.
      const cut = ours.map((run) => segmentsOf(run, direction, DEVICE_CODE_INTERVAL_MS));
      const first = cut[0] ?? [];
      const phases = first.map((segment, index) => ({
        name: segment.name,
        kind: segment.kind,
        ms: median(cut.map((segments) => segments[index]?.ms ?? Number.NaN)),
        floorMs: median(cut.map((segments) => segments[index]?.floorMs ?? Number.NaN)),
      }));
      printTable(
        `Our phases, ${DIRECTION_NAMES[direction]} (median ms of ${ours.length} run(s); floor: hops at the expected wait of our poll schedules, work as measured, the first token poll one interval after the device authorization)`,
        ["phase", "ms", "floor ms"],
        phases.map((phase) => [phase.name, phase.ms, phase.floorMs]),
      );
      const hops = phases.filter((phase) => phase.kind === "hop");
      const floor = phases.reduce((sum, phase) => sum + phase.floorMs, 0);
      const ourMs = median(ours.map((run) => run.totalMs));
      const theirMs = median(theirs.map((run) => run.totalMs));
      summary.push([
        DIRECTION_NAMES[direction],
        ourMs,
        theirMs,
        theirMs / ourMs,
        hops.length,
        hops.reduce((sum, hop) => sum + hop.floorMs, 0),
        floor,
        ourMs / floor,
      ]);
    }
    printTable(
      `${PART_2.title}: median of ${context.settings.e2eRuns} run(s) per pair and direction`,
      ["direction", "pair", "median ms", "min ms", "max ms", "rv req existing", "rv req new"],
      rows,
    );
    printTable(
      "Ratios and floor (targets per direction: js-sdk / ours >= 1.5; ours / floor <= 1.3)",
      [
        "direction",
        "ours ms",
        "js-sdk ms",
        "js-sdk / ours",
        "hops",
        "hop waits ms",
        "floor ms",
        "ours / floor",
      ],
      summary,
    );
  },
};

export const PART_3: Part = {
  title: "Part 3: rendezvous requests per minute per device while a person acts",
  run: async (context) => {
    const hold = context.settings.holdMs;
    // Quick mode (CI) proves the holds work in one direction only, to stay within a minute.
    const directions = context.settings.quick ? DIRECTIONS.slice(0, 1) : DIRECTIONS;
    const results = await runPairs(context, { checkCodeMs: hold, consentMs: hold }, 1, directions);
    const rows: Cell[][] = [];
    const perDevice = new Map<string, number>();
    for (const { pair, direction, runs } of results) {
      const run = runs[0];
      if (run === undefined) continue;
      const minutes = (held: (typeof run.held)[number]): number => (held.hold.end - held.hold.start) / 60_000;
      for (const held of run.held) {
        rows.push([
          DIRECTION_NAMES[direction],
          pair,
          held.hold.what,
          held.requests.existing / minutes(held),
          held.requests.new / minutes(held),
        ]);
      }
      const total = run.held.reduce((sum, held) => sum + held.requests.existing + held.requests.new, 0);
      const deviceMinutes = 2 * run.held.reduce((sum, held) => sum + minutes(held), 0);
      perDevice.set(`${pair}|${direction}`, total / deviceMinutes);
      rows.push([DIRECTION_NAMES[direction], pair, "both holds, per device", total / deviceMinutes, ""]);
    }
    printTable(
      `${PART_3.title}: the check code and the consent held ${hold / 1000} s each, one run per pair and direction${context.settings.quick ? " (quick: direction A only)" : ""}`,
      ["direction", "pair", "while", "existing / min", "new / min"],
      rows,
    );
    printTable(
      "Ratios, ours / matrix-js-sdk, requests per minute per device while a person acts (target <= 0.5)",
      ["direction", "ours / js-sdk"],
      directions.map((direction) => [
        DIRECTION_NAMES[direction],
        (perDevice.get(`ours|${direction}`) ?? Number.NaN) /
          (perDevice.get(`matrix-js-sdk|${direction}`) ?? Number.NaN),
      ]),
    );
  },
};
