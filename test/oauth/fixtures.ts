// What the OAuth client's tests share: a Runtime whose short waits (poll intervals, `slow_down` penalties) are
// skipped on its own clock and on the OAuth server's, a record of every exchange the client made, and devservers
// with alice and bob.
//
// The skipping clock. The device grant waits seconds between polls, and a `slow_down` adds 5 s: real waits would
// blow the time budget. So `sleep(ms)` up to `skipUpToMs` returns at once, moving this runtime's `now` forward by
// `ms` and telling the OAuth server (`advance`) to move its clock by the same amount, which is the clock the
// devserver judges polling pace on. Longer waits (request timeouts, 20 s by default) run on real timers, so a
// request is never cut short by a skipped wait. Nothing here is a timing assertion: what a test compares are
// moments on this clock, which only the client's own waits move.
import { createRuntime, realSleep, type Runtime } from "../../src-main/protocol/testing";
import type { TranscriptEntry } from "../../src-shared/transcript";
import { useDevservers } from "../helpers/devservers";
import type { Devserver, DevserverOptions } from "../../devserver/index";

export const USERS = { alice: "secret", bob: "hunter2" } as const;

/** One request as the network saw it, with the OAuth `error` of its answer where there was one. */
export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly error?: string;
  /** This runtime's clock when the request went out. */
  readonly at: number;
}

export interface TestRuntime {
  readonly runtime: Runtime;
  readonly transcript: TranscriptEntry[];
  readonly exchanges: Exchange[];
  /** How far the clock has been moved by skipped waits. */
  skippedMs(): number;
  /** Moves this clock forward (the OAuth server's too, as a skipped wait does), as if `ms` had passed. */
  moveClock(ms: number): Promise<void>;
}

export interface TestRuntimeOptions {
  /** Moves the OAuth server's clock along with ours (a devserver's `hooks.clock.advance`, the lane's hook). */
  readonly advance?: (ms: number) => void | Promise<void>;
  /** Waits up to this long are skipped; default 10 s. 0 makes every wait real. */
  readonly skipUpToMs?: number;
  /** Where this clock stands against the real one (negative: behind, as a device whose clock is slow). */
  readonly clockOffsetMs?: number;
  /** Sees every request before it goes out (a test reading what the client sends). */
  readonly onRequest?: (url: string, init: RequestInit) => void;
}

/** The OAuth `error` of a small answer with a known length (a stalled or huge body is left to the client). */
async function oauthErrorOf(response: Response): Promise<string | undefined> {
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  if (!(length <= 64 * 1024)) return undefined;
  try {
    const body = (await response.clone().json()) as { error?: unknown } | null;
    return typeof body?.error === "string" ? body.error : undefined;
  } catch {
    return undefined;
  }
}

export function testRuntime(options: TestRuntimeOptions = {}): TestRuntime {
  const skipUpToMs = options.skipUpToMs ?? 10_000;
  const transcript: TranscriptEntry[] = [];
  const exchanges: Exchange[] = [];
  let skipped = 0;
  const offset = options.clockOffsetMs ?? 0;
  const now = (): number => Date.now() + offset + skipped;
  const runtime = createRuntime({
    now,
    sleep: async (ms, signal) => {
      signal.throwIfAborted();
      if (ms > skipUpToMs) {
        await realSleep(ms, signal);
        return;
      }
      skipped += ms;
      await options.advance?.(ms);
      await new Promise((resolve) => setImmediate(resolve));
      signal.throwIfAborted();
    },
    fetch: async (url, init) => {
      const at = now();
      options.onRequest?.(url, init);
      const response = await fetch(url, init);
      const error = response.status === 200 ? undefined : await oauthErrorOf(response);
      exchanges.push({
        method: init.method ?? "GET",
        path: new URL(url).pathname,
        status: response.status,
        ...(error === undefined ? {} : { error }),
        at,
      });
      return response;
    },
    transcript: (entry) => {
      transcript.push(entry);
    },
  });
  return {
    runtime,
    transcript,
    exchanges,
    skippedMs: () => skipped,
    moveClock: async (ms) => {
      skipped += ms;
      await options.advance?.(ms);
    },
  };
}

/** A runtime for a devserver: its skipped waits move the devserver's clock too. */
export function devserverRuntime(
  server: Devserver,
  options: Omit<TestRuntimeOptions, "advance"> = {},
): TestRuntime {
  return testRuntime({
    ...options,
    advance: (ms) => {
      server.hooks.clock.advance(ms);
    },
  });
}

/** Registers `afterEach` closing; starts devservers with alice and bob and the test hooks. */
export function useOAuthDevservers(
  defaults: DevserverOptions = {},
): (options?: DevserverOptions) => Promise<Devserver> {
  return useDevservers({
    users: Object.entries(USERS).map(([name, password]) => `${name}:${password}`),
    testHooks: true,
    ...defaults,
  });
}

/** A signal that never aborts, for calls a test does not cancel. */
export const NEVER = new AbortController().signal;
