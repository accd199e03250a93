// `npm run bench:flow [-- --quick]`: how fast a sign-in's messages travel, ours against matrix-js-sdk's, on one
// in-process devserver. It prints figures and asserts nothing: no test depends on a timing.
//
// Part 1 (here): the per-hop ping-pong. Two clients take turns writing one rendezvous cell, 12 messages in all,
// each side polling on MACHINE_REPLY_DUE (docs/protocol.md §2.3): two of our v2024 clients, two of our v2025
// clients, and two matrix-js-sdk `MSC4108RendezvousSession`s (what Element Web runs; it polls once a second).
// A hop is one message, from the start of its sender's write to the end of the read that brings it to the peer.
//
// Parts 2 and 3 (scripts/bench/e2e.ts): a whole sign-in, ours against matrix-js-sdk's, with the person answering
// at once and then taking its time.
import { performance } from "node:perf_hooks";
import { logger as jsSdkLogger } from "matrix-js-sdk/lib/logger.js";
import {
  ClientRendezvousFailureReason,
  MSC4108RendezvousSession,
} from "matrix-js-sdk/lib/rendezvous/index.js";
import { startDevserver, type Devserver } from "../../devserver/index";
import { joinThroughQr } from "../../src-main/doctor/rendezvous-pair";
import "../../src-shared/polyfills";
import {
  MACHINE_REPLY_DUE,
  PERSON_ACTING,
  REQUEST_RATE_LIMIT,
  createRendezvous,
  createRuntime,
  type FetchFunction,
  type RendezvousSession,
  type WireVersion,
} from "../../src-main/protocol/index";
import { jsSdkWorld, type JsSdkWorld } from "./e2e-js-sdk";
import { ourWorld, type OurWorld } from "./e2e-ours";
import { PART_2, PART_3 } from "./e2e";
import { settingsFrom, type BenchContext, type Part, type Settings } from "./parts";
import { countRendezvousRequests } from "./requests";
import { printTable, median } from "./table";

// --- the two ends of a ping-pong ------------------------------------------------------------------------------

/** One device's end of a rendezvous, as the ping-pong drives it. */
interface End {
  send(text: string): Promise<void>;
  receive(): Promise<string>;
  close(): Promise<void>;
}

/** A pair ready to exchange messages; `requests()` counts both ends' HTTP requests since the pair was opened. */
interface Pair {
  /** The end that writes first (S, the scanner, as with the initiate message). */
  readonly first: End;
  readonly second: End;
  requests(): number;
  resetRequests(): void;
}

interface PairKind {
  readonly name: string;
  open(server: Devserver): Promise<Pair>;
}

function countingFetch(): { fetch: FetchFunction; count: () => number; reset: () => void } {
  let count = 0;
  return {
    fetch: (url, init) => {
      count++;
      return globalThis.fetch(url, init);
    },
    count: () => count,
    reset: () => {
      count = 0;
    },
  };
}

function ourEnd(session: RendezvousSession): End {
  const signal = new AbortController().signal;
  return {
    send: (text) => session.send(() => text, { signal }),
    receive: async () => (await session.receive({ signal, schedule: MACHINE_REPLY_DUE })).data,
    close: () => session.cancel(),
  };
}

function ourPair(version: WireVersion): PairKind {
  return {
    name: `ours ${version}`,
    open: async (server) => {
      const counters = [countingFetch(), countingFetch()] as const;
      const [g, s] = counters.map(({ fetch }) => ({
        runtime: createRuntime({ fetch }),
        signal: new AbortController().signal,
        allowInsecureHttp: true,
      })) as [Parameters<typeof joinThroughQr>[1], Parameters<typeof joinThroughQr>[1]];
      const generator = await createRendezvous(version, { ...g, baseUrl: server.baseUrl });
      const scanner = await joinThroughQr(generator, s);
      return {
        first: ourEnd(scanner),
        second: ourEnd(generator),
        requests: () => counters[0].count() + counters[1].count(),
        resetRequests: () => {
          for (const counter of counters) counter.reset();
        },
      };
    },
  };
}

function jsSdkEnd(session: MSC4108RendezvousSession, beforeClose: () => void): End {
  return {
    send: (text) => session.send(text),
    receive: async () => {
      const text = await session.receive();
      if (text === undefined) throw new Error("matrix-js-sdk: the rendezvous session ended");
      return text;
    },
    close: async () => {
      beforeClose();
      // Stops its expiry timer, then the DELETE.
      await session.cancel(ClientRendezvousFailureReason.Unknown);
      await session.close();
    },
  };
}

const JS_SDK_PAIR: PairKind = {
  name: "matrix-js-sdk v2024",
  open: async (server) => {
    const counters = [countingFetch(), countingFetch()] as const;
    let closing = false;
    // Our own close() cancels the sessions, which the SDK reports too.
    const failed = (reason: string): void => {
      if (!closing) console.error(`matrix-js-sdk reported ${reason}`);
    };
    const generator = new MSC4108RendezvousSession({
      fetchFn: counters[1].fetch as typeof fetch,
      fallbackRzServer: `${server.baseUrl}/_matrix/client/unstable/org.matrix.msc4108/rendezvous`,
      onFailure: failed,
    });
    await generator.send("");
    const url = generator.url;
    if (url === undefined) throw new Error("matrix-js-sdk created no session");
    const scanner = new MSC4108RendezvousSession({
      fetchFn: counters[0].fetch as typeof fetch,
      url,
      onFailure: failed,
    });
    // The join: the SDK reads the session (and its ETag) before its first write.
    await scanner.receive();
    const markClosing = (): void => {
      closing = true;
    };
    return {
      first: jsSdkEnd(scanner, markClosing),
      second: jsSdkEnd(generator, markClosing),
      requests: () => counters[0].count() + counters[1].count(),
      resetRequests: () => {
        for (const counter of counters) counter.reset();
      },
    };
  },
};

// --- part 1: the per-hop ping-pong -----------------------------------------------------------------------------

interface PingPongResult {
  readonly hopsMs: readonly number[];
  readonly requests: number;
}

/** `messages` messages, the two ends taking turns, each side reading right after its own write as a flow does. */
async function pingPong(pair: Pair, messages: number): Promise<PingPongResult> {
  const sentAt: number[] = [];
  const receivedAt: number[] = [];
  pair.resetRequests();
  const side = async (end: End, writesFirst: boolean): Promise<void> => {
    for (let index = writesFirst ? 0 : 1; index <= messages; index += 2) {
      // Odd rounds read what the peer wrote, even rounds write; `index` is the message this side writes.
      if (index > 0) {
        const text = await end.receive();
        const expected = `message ${index - 1}`;
        if (text !== expected) throw new Error(`received "${text}", expected "${expected}"`);
        receivedAt[index - 1] = performance.now();
      }
      if (index < messages) {
        sentAt[index] = performance.now();
        await end.send(`message ${index}`);
      }
    }
  };
  await Promise.all([side(pair.first, true), side(pair.second, false)]);
  const hopsMs = sentAt.map((start, index) => (receivedAt[index] ?? Number.NaN) - start);
  return { hopsMs, requests: pair.requests() };
}

interface HopFigures {
  readonly name: string;
  readonly msPerHop: number;
  readonly meanMsPerHop: number;
  readonly requestsPerHop: number;
  readonly hops: number;
}

async function measureHops(server: Devserver, kind: PairKind, settings: Settings): Promise<HopFigures> {
  const hops: number[] = [];
  let requests = 0;
  for (let run = 0; run < settings.repetitions; run++) {
    const pair = await kind.open(server);
    try {
      const result = await pingPong(pair, settings.messages);
      hops.push(...result.hopsMs);
      requests += result.requests;
    } finally {
      await Promise.all([pair.first.close(), pair.second.close()]);
    }
  }
  return {
    name: kind.name,
    msPerHop: median(hops),
    meanMsPerHop: hops.reduce((sum, hop) => sum + hop, 0) / hops.length,
    requestsPerHop: requests / hops.length,
    hops: hops.length,
  };
}

const PART_1: Part = {
  title: "Part 1: per-hop ping-pong",
  run: async ({ server, settings }) => {
    const kinds = [ourPair("v2024"), ourPair("v2025"), JS_SDK_PAIR];
    const figures: HopFigures[] = [];
    for (const kind of kinds) figures.push(await measureHops(server, kind, settings));
    printTable(
      `${PART_1.title}: ${settings.messages} messages x ${settings.repetitions} run(s) per pair`,
      ["pair", "median ms/hop", "mean ms/hop", "requests/hop", "hops"],
      figures.map((figure) => [
        figure.name,
        figure.msPerHop,
        figure.meanMsPerHop,
        figure.requestsPerHop,
        figure.hops,
      ]),
    );
    const jsSdk = figures.find((figure) => figure === figures.at(-1));
    if (jsSdk !== undefined) {
      printTable(
        "Ratios, ours / matrix-js-sdk (target: median ms/hop <= 0.25)",
        ["pair", "median ms/hop", "mean ms/hop", "requests/hop"],
        figures
          .slice(0, -1)
          .map((figure) => [
            figure.name,
            figure.msPerHop / jsSdk.msPerHop,
            figure.meanMsPerHop / jsSdk.meanMsPerHop,
            figure.requestsPerHop / jsSdk.requestsPerHop,
          ]),
      );
    }
    printFloor(settings);
  },
};

/** What the schedule and the rate ceiling allow at best, from their constants. */
function printFloor(settings: Settings): void {
  const firstLookMs = MACHINE_REPLY_DUE[0]?.everyMs ?? Number.NaN;
  const { burst, perSecond, windowMs } = REQUEST_RATE_LIMIT;
  // Each side writes half the messages and reads the other half with one GET each at best, after its create or
  // join: one request per message, plus one.
  const perSide = settings.messages + 1;
  const meanFloorMs = ((Math.max(0, perSide - burst) / perSecond) * 1000) / settings.messages;
  printTable(
    "The floor the design allows",
    ["bound", "value"],
    [
      ["first look after a side's own write", `${firstLookMs} ms`],
      [
        `rate ceiling per session`,
        `burst ${burst}, then ${perSecond}/s, at most ${(perSecond * windowMs) / 1000} in any ${windowMs / 1000} s`,
      ],
      ["messages in a row at network speed (the create or join takes one)", burst - 1],
      ["per hop once the burst is spent (one request per message per side)", `${1000 / perSecond} ms`],
      [`mean per hop over ${settings.messages} messages, at best`, `${meanFloorMs.toFixed(1)} ms`],
      ["matrix-js-sdk: a GET every", "1000 ms"],
    ],
  );
}

const PARTS: readonly Part[] = [PART_1, PART_2, PART_3];

async function main(): Promise<void> {
  const settings = settingsFrom(process.argv.slice(2));
  // The SDK's rendezvous module logs every request to its root logger, which has no per-session option.
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- no other way to quiet that module
  (jsSdkLogger as unknown as { setLevel(level: string): void }).setLevel("silent");
  countRendezvousRequests();
  const server = await startDevserver({
    testHooks: true,
    users: ["alice:secret", "bob:secret"],
    deviceCode: { intervalS: 1 },
  });
  let ours: Promise<OurWorld> | undefined;
  let jsSdk: Promise<JsSdkWorld> | undefined;
  const context: BenchContext = {
    server,
    settings,
    ours: () => (ours ??= ourWorld(server, "alice")),
    jsSdk: () => (jsSdk ??= jsSdkWorld(server, "bob")),
  };
  try {
    printTable(
      "Settings",
      ["setting", "value"],
      [
        ["mode", settings.quick ? "quick" : "full"],
        ["runs per pair", settings.repetitions],
        ["messages per run", settings.messages],
        ["devserver", `${server.baseUrl} (in-process), device code interval 1 s`],
        ["our reply-due schedule", JSON.stringify(MACHINE_REPLY_DUE)],
        ["our person-acting schedule", JSON.stringify(PERSON_ACTING)],
        ["our rate ceiling per session", JSON.stringify(REQUEST_RATE_LIMIT)],
        ["node", process.version],
      ],
    );
    for (const part of PARTS) {
      const started = performance.now();
      await part.run(context);
      console.log(
        `(${part.title.split(":")[0]} took ${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
  } finally {
    await (await ours)?.close();
    await (await jsSdk)?.close();
    await server.close();
  }
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
// matrix-js-sdk's clients leave timers of their own after stopClient(), which would keep Node up for minutes.
process.exit();
