// Property test of the request-rate ceiling (docs/protocol.md §2.3): whatever poll schedule a caller passes and
// whatever the server answers (no news, 429 with any advised wait, 0 included, 5xx, lost answers), one session of
// either version never starts more than 20 requests in any 5 s (4 a second on average), nor more than its burst
// at once. A session joins, writes once, polls for 30 virtual seconds and cancels; every request start is read on
// the virtual clock, so nothing waits on a real timer.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WireVersion } from "../types";
import { fakeTime, testRuntime } from "./doubles.testing";
import { isRendezvousError } from "./errors";
import { REQUEST_RATE_LIMIT, type PollPhase, type PollSchedule, type RequestRateLimit } from "./timing";
import type { FetchFunction } from "./transport";
import type { RendezvousSession } from "./types";
import { joinV2024Rendezvous } from "./v2024";
import { joinV2025Rendezvous } from "./v2025";

const BASE = "https://matrix.example.org";
const ID = "01HX9K00Q1H6KPD47EG4G1T3XG";
const SESSION_URL = `${BASE}/_synapse/client/rendezvous/${ID}`;
const LIFETIME_MS = 600_000;
const POLL_FOR_MS = 30_000;

/** How the scripted server answers one request (cycling through the list a run draws). */
type Answer = "normal" | "rate_limited" | "rate_limited_now" | "server_error" | "network";

const answerArbitrary: fc.Arbitrary<Answer> = fc.constantFrom(
  "normal",
  "rate_limited",
  "rate_limited_now",
  "server_error",
  "network",
);

const phaseArbitrary: fc.Arbitrary<PollPhase> = fc
  .record({
    everyMs: fc.integer({ min: 1, max: 400 }),
    forMs: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: undefined }),
    growth: fc.option(fc.double({ min: 1, max: 3, noNaN: true }), { nil: undefined }),
    extraMs: fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: undefined }),
  })
  .map(({ everyMs, forMs, growth, extraMs }) => ({
    everyMs,
    ...(forMs === undefined ? {} : { forMs }),
    ...(growth === undefined ? {} : { growth }),
    ...(extraMs === undefined ? {} : { maxEveryMs: everyMs + extraMs }),
  }));

const scheduleArbitrary: fc.Arbitrary<PollSchedule> = fc.array(phaseArbitrary, {
  minLength: 1,
  maxLength: 3,
});

/**
 * A rendezvous server of either version with one cell, whose every answer is first looked up in `answers`
 * (cycling): `normal` serves the request (a write is applied), anything else answers that failure instead.
 */
function scriptedServer(
  version: WireVersion,
  answers: readonly Answer[],
  now: () => number,
  starts: number[],
): FetchFunction {
  let cell = { tag: "t0", data: "" };
  let writes = 0;
  let next = 0;
  return (_url, init) => {
    starts.push(now());
    const answer = answers[next++ % answers.length] ?? "normal";
    switch (answer) {
      case "network":
        return Promise.reject(new TypeError("fetch failed"));
      case "server_error":
        return Promise.resolve(Response.json({ errcode: "M_UNKNOWN", error: "scripted" }, { status: 503 }));
      case "rate_limited":
      case "rate_limited_now":
        return Promise.resolve(
          Response.json(
            { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: answer === "rate_limited_now" ? 0 : 50 },
            { status: 429 },
          ),
        );
      case "normal":
        break;
    }
    const method = init.method ?? "GET";
    if (method === "PUT") {
      const body = new TextDecoder().decode(init.body as Uint8Array);
      cell = {
        tag: `t${++writes}`,
        data: version === "v2024" ? body : (JSON.parse(body) as { data: string }).data,
      };
    }
    if (method === "DELETE") return Promise.resolve(new Response(null, { status: 204 }));
    const date = new Date(now());
    if (version === "v2025") {
      const lifetime = { expires_in_ms: LIFETIME_MS };
      return Promise.resolve(
        Response.json(
          method === "PUT"
            ? { sequence_token: cell.tag }
            : { data: cell.data, sequence_token: cell.tag, ...lifetime },
        ),
      );
    }
    const headers = {
      ETag: `"${cell.tag}"`,
      Date: date.toUTCString(),
      Expires: new Date(now() + LIFETIME_MS).toUTCString(),
      "Last-Modified": date.toUTCString(),
    };
    if (method === "PUT") return Promise.resolve(new Response(null, { status: 202, headers }));
    const ifNoneMatch = new Headers(init.headers).get("if-none-match");
    if (ifNoneMatch === `"${cell.tag}"`) return Promise.resolve(new Response(null, { status: 304, headers }));
    return Promise.resolve(
      new Response(cell.data, { status: 200, headers: { ...headers, "Content-Type": "text/plain" } }),
    );
  };
}

/** The most requests that started in any `windowMs` (a half-open window starting at a request). */
function mostInAnyWindow(starts: readonly number[], windowMs: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < starts.length; last++) {
    while ((starts[last] ?? 0) - (starts[first] ?? 0) >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** `signal`, aborted once `ms` of virtual time have passed from now. */
function stopAfter(clock: ReturnType<typeof fakeTime>, ms: number): AbortSignal {
  const controller = new AbortController();
  clock.after(ms, () => {
    controller.abort(new Error("time is up"));
  });
  return controller.signal;
}

/** Ends a stage that may fail for the reasons the script chose (a RendezvousError) or run out of time. */
async function whateverItEnds(stage: Promise<unknown>): Promise<void> {
  try {
    await stage;
  } catch (error) {
    if (isRendezvousError(error) || (error instanceof Error && error.message === "time is up")) return;
    throw error;
  }
}

/** Joins, writes once, polls for 30 s, cancels; each stage bounded in virtual time. Returns every request start. */
async function runSession(
  version: WireVersion,
  schedule: PollSchedule,
  answers: readonly Answer[],
  rateLimit?: RequestRateLimit,
): Promise<number[]> {
  const clock = fakeTime();
  const starts: number[] = [];
  const runtime = testRuntime(scriptedServer(version, answers, clock.now, starts), { clock });
  const options = {
    runtime,
    signal: stopAfter(clock, 10_000),
    retryWindowMs: LIFETIME_MS,
    ...(rateLimit === undefined ? {} : { rateLimit }),
  };
  const joined: { session?: RendezvousSession } = {};
  await whateverItEnds(
    (version === "v2024"
      ? joinV2024Rendezvous({ ...options, url: SESSION_URL })
      : joinV2025Rendezvous({ ...options, baseUrl: BASE, id: ID })
    ).then((session) => {
      joined.session = session;
    }),
  );
  const session = joined.session;
  if (session === undefined) return starts;
  await whateverItEnds(session.send(() => "ping", { signal: stopAfter(clock, 10_000) }));
  await whateverItEnds(session.receive({ signal: stopAfter(clock, POLL_FOR_MS), schedule }));
  await whateverItEnds(session.cancel({ timeoutMs: 5_000 }));
  return starts;
}

describe("the request-rate ceiling, whatever the schedule and the server's answers", () => {
  const perWindow = (REQUEST_RATE_LIMIT.perSecond * REQUEST_RATE_LIMIT.windowMs) / 1000;

  it("is 20 requests in any 5 s, and a burst of 8", () => {
    expect(REQUEST_RATE_LIMIT).toEqual({ burst: 8, perSecond: 4, windowMs: 5_000 });
    expect(perWindow).toBe(20);
  });

  it.each(["v2024", "v2025"] as const)(
    "%s: no session starts more than 20 requests in any 5 s, nor more than 8 within 250 ms",
    async (version) => {
      await fc.assert(
        fc.asyncProperty(
          scheduleArbitrary,
          fc.array(answerArbitrary, { minLength: 1, maxLength: 30 }),
          async (schedule, answers) => {
            const starts = await runSession(version, schedule, answers);
            expect(mostInAnyWindow(starts, REQUEST_RATE_LIMIT.windowMs)).toBeLessThanOrEqual(perWindow);
            expect(mostInAnyWindow(starts, 1000 / REQUEST_RATE_LIMIT.perSecond)).toBeLessThanOrEqual(
              REQUEST_RATE_LIMIT.burst,
            );
          },
        ),
        { numRuns: 40 },
      );
    },
    60_000,
  );

  it("a schedule that asks for a GET every millisecond gets 20 in the first 5 s and 4 a second after", async () => {
    const starts = await runSession("v2024", [{ everyMs: 1 }], ["normal"]);
    expect(mostInAnyWindow(starts, 5_000)).toBe(20);
    // Join and write (2), then 30 s of polling at the ceiling, then the DELETE.
    expect(starts.length).toBeGreaterThanOrEqual(120);
    expect(starts.length).toBeLessThanOrEqual(2 + 20 * (POLL_FOR_MS / 5_000) + 1);
  });

  it("a session given another ceiling (the model-based tests' option) keeps to that one instead", async () => {
    const starts = await runSession("v2024", [{ everyMs: 1 }], ["normal"], {
      burst: 20,
      perSecond: 40,
      windowMs: 1_000,
    });
    expect(mostInAnyWindow(starts, 1_000)).toBe(40);
    expect(mostInAnyWindow(starts, 25)).toBeLessThanOrEqual(20);
    expect(starts.length).toBeGreaterThan(2 + 20 * (POLL_FOR_MS / 5_000) + 1);
  });
});
