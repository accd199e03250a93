// A hostile network for the fuzz targets of our HTTP clients: a scripted `fetch` that answers each request with
// the next generated answer (any status, hostile headers and bodies, a connection that fails, a body that breaks
// off, a server that never answers), and a Runtime on a virtual clock (test/helpers/virtual-clock.ts), so that a
// whole session of retries, polls and request timeouts runs in milliseconds without a real timer. Once the script
// is used up every request is answered 404, which ends any session: inputs stay bounded.
//
// What a real `fetch` can deliver is what is generated: statuses 200 to 599 (no body on 204, 205, 304), header
// values of Latin-1 characters without CR, LF or NUL (undici refuses the rest), and failures as its TypeError.
import fc from "fast-check";
import { isDeepStrictEqual } from "node:util";
import { readEvent } from "../../src-shared/contract";
import type { TranscriptEntry } from "../../src-shared/transcript";
import { createRuntime, type Runtime } from "../../src-main/protocol/testing";
import { VirtualClock } from "../../test/helpers/virtual-clock";
import { hostileJson, hostileString, mutatedBytes, mutatedJson } from "./hostile";
import { FuzzFailure, typedOutcome, type ErrorFamily } from "./oracle";

export type BodySpec =
  | { readonly kind: "json"; readonly value: unknown }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "bytes"; readonly bytes: Uint8Array };

export type AnswerSpec =
  | {
      readonly kind: "answer";
      readonly status: number;
      readonly headers: readonly (readonly [string, string])[];
      readonly body: BodySpec;
      /** The body stops after its first bytes with a connection error. */
      readonly breaksOff?: boolean;
    }
  | { readonly kind: "network_error" }
  | { readonly kind: "never_answers" };

/** A plausible answer of one endpoint: what the generator mutates. */
export interface AnswerSeed {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** The body is this text rather than JSON (the v2024 rendezvous API's text/plain). */
  readonly text?: string;
}

const NULL_BODY = new Set([204, 205, 304]);

const INTERESTING_STATUSES = [
  200, 201, 202, 204, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 409, 410, 412, 413, 415, 429,
  500, 502, 503, 504,
];

const status = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INTERESTING_STATUSES) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 599 }) },
);

const HTTP_DATES = [
  "Fri, 27 Nov 2026 12:00:00 GMT",
  "Fri, 27 Nov 2026 12:01:00 GMT",
  "Fri, 27 Nov 2026 11:59:00 GMT",
  "Thu, 01 Jan 1970 00:00:00 GMT",
  "Fri, 31 Dec 9999 23:59:59 GMT",
  "Sat, 01 Jan 0000 00:00:00 GMT",
  "0",
  "-1",
  "yesterday",
  "2026-11-27T12:00:30Z",
  "Fri, 27 Nov 2026 12:00:00 +9999",
];

/** A header value as undici would hand it over: Latin-1, no CR, LF or NUL, trimmed. */
export function headerValue(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code === 0 || code === 10 || code === 13) continue;
    out += code > 0xff ? "?" : char;
  }
  return out.trim();
}

const hostileHeaderValue = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...HTTP_DATES) },
  // undici refuses response headers over 16 KiB in all: nothing longer reaches a client.
  { weight: 3, arbitrary: hostileString.map((text) => headerValue(text.slice(0, 8_192))) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '"1"',
      'W/"1"',
      '"',
      "",
      "*",
      "1e309",
      "99999999999999999999",
      "-5",
      "5",
      "0.5",
    ),
  },
);

const HEADER_NAMES = [
  "etag",
  "expires",
  "date",
  "location",
  "retry-after",
  "content-type",
  "content-length",
  "www-authenticate",
  "cache-control",
];

type HeaderChange = readonly ["drop" | "set", string, string];

const headerChange: fc.Arbitrary<HeaderChange> = fc.tuple(
  fc.constantFrom("drop" as const, "set" as const, "set" as const),
  fc.constantFrom(...HEADER_NAMES),
  hostileHeaderValue,
);

function bodyOf(seed: AnswerSeed): BodySpec {
  if (seed.text !== undefined) return { kind: "text", text: seed.text };
  if (seed.body === undefined) return { kind: "bytes", bytes: new Uint8Array(0) };
  return { kind: "json", value: seed.body };
}

const hostileBody: fc.Arbitrary<BodySpec> = fc.oneof(
  { weight: 3, arbitrary: hostileJson.map((value): BodySpec => ({ kind: "json", value })) },
  { weight: 2, arbitrary: hostileString.map((text): BodySpec => ({ kind: "text", text })) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): BodySpec => ({ kind: "bytes", bytes })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(70_000, 300_000)
      .map((size): BodySpec => ({ kind: "bytes", bytes: new Uint8Array(size).fill(0x20) })),
  },
);

/** One answer: a seed with its status, headers or body changed, or a hostile one, or a failure of the network. */
function answerLike(seeds: readonly AnswerSeed[]): fc.Arbitrary<AnswerSpec> {
  const fromSeed = fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.option(status, { freq: 4 }),
      fc.array(headerChange, { maxLength: 3 }),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        { weight: 4, arbitrary: fc.constant("mutate" as const) },
        { weight: 2, arbitrary: hostileBody },
      ),
      fc.boolean(),
      fc.nat(),
    )
    .chain(([seed, newStatus, changes, bodyChange, breaks]) => {
      const headers = new Map(Object.entries(seed.headers ?? {}));
      for (const [change, name, value] of changes) {
        if (change === "drop") headers.delete(name);
        else headers.set(name, value);
      }
      const base = {
        kind: "answer" as const,
        status: newStatus ?? seed.status,
        headers: [...headers],
        breaksOff: breaks && changes.length > 2,
      };
      if (bodyChange === undefined) return fc.constant<AnswerSpec>({ ...base, body: bodyOf(seed) });
      if (bodyChange !== "mutate") return fc.constant<AnswerSpec>({ ...base, body: bodyChange });
      const body = bodyOf(seed);
      if (body.kind === "json") {
        return mutatedJson([body.value]).map((value): AnswerSpec => ({
          ...base,
          body: { kind: "json", value },
        }));
      }
      const bytes = body.kind === "text" ? new TextEncoder().encode(body.text) : body.bytes;
      return mutatedBytes([bytes.length === 0 ? Uint8Array.of(0x7b) : bytes]).map((mutated): AnswerSpec => ({
        ...base,
        body: { kind: "bytes", bytes: mutated },
      }));
    });
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(...seeds).map((seed): AnswerSpec => ({
        kind: "answer",
        status: seed.status,
        headers: Object.entries(seed.headers ?? {}),
        body: bodyOf(seed),
      })),
    },
    { weight: 10, arbitrary: fromSeed },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          status,
          fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), hostileHeaderValue), { maxLength: 3 }),
          hostileBody,
        )
        .map(([code, headers, body]): AnswerSpec => ({ kind: "answer", status: code, headers, body })),
    },
    { weight: 1, arbitrary: fc.constant<AnswerSpec>({ kind: "network_error" }) },
    { weight: 1, arbitrary: fc.constant<AnswerSpec>({ kind: "never_answers" }) },
  );
}

/**
 * The answers to a session's requests, in order: for each step of a well-behaved session (`steps`, the answers a
 * server would give it) that answer, or one damaged, or any other; with now and then an extra answer before it
 * (a 429, a 5xx, a broken connection), so that retries and recoveries run as well as the happy path.
 */
export function answerScript(steps: readonly (readonly AnswerSeed[])[]): fc.Arbitrary<readonly AnswerSpec[]> {
  const all = steps.flat();
  const any = answerLike(all);
  const plain = (seed: AnswerSeed): AnswerSpec => ({
    kind: "answer",
    status: seed.status,
    headers: Object.entries(seed.headers ?? {}),
    body: bodyOf(seed),
  });
  return fc
    .tuple(
      ...steps.map((answers) =>
        fc.tuple(
          fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(...answers).map(plain) },
            { weight: 3, arbitrary: answerLike(answers) },
            { weight: 1, arbitrary: any },
          ),
          fc.oneof(
            { weight: 5, arbitrary: fc.constant<AnswerSpec[]>([]) },
            { weight: 1, arbitrary: fc.array(any, { minLength: 1, maxLength: 2 }) },
          ),
        ),
      ),
    )
    .map((pairs) => pairs.flatMap(([answer, extra]) => [...extra, answer]));
}

function bodyBytes(body: BodySpec): Uint8Array {
  switch (body.kind) {
    case "json":
      return new TextEncoder().encode(jsonText(body.value));
    case "text":
      return new TextEncoder().encode(body.text);
    case "bytes":
      return body.bytes;
  }
}

function responseOf(spec: Extract<AnswerSpec, { kind: "answer" }>): Response {
  const headers = new Headers();
  for (const [name, value] of spec.headers) headers.append(name, headerValue(value));
  if (!headers.has("content-type") && spec.body.kind === "json")
    headers.set("content-type", "application/json");
  if (NULL_BODY.has(spec.status)) return new Response(null, { status: spec.status, headers });
  const bytes = bodyBytes(spec.body);
  if (spec.breaksOff !== true)
    return new Response(bytes as Uint8Array<ArrayBuffer>, { status: spec.status, headers });
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.slice(0, Math.ceil(bytes.length / 2)));
      controller.error(new TypeError("terminated", { cause: new Error("other side closed") }));
    },
  });
  return new Response(stream, { status: spec.status, headers });
}

/** A fetch answering each request with the next answer of `script`, then 404 to everything. */
export function scriptedNetwork(script: readonly AnswerSpec[]): Runtime["fetch"] & { requests: number } {
  let next = 0;
  const fetch = (_url: string, init: RequestInit): Promise<Response> => {
    state.requests += 1;
    init.signal?.throwIfAborted();
    const spec = script[next++] ?? {
      kind: "answer",
      status: 404,
      headers: [["content-type", "application/json"]],
      body: { kind: "json", value: { errcode: "M_NOT_FOUND", error: "script used up" } },
    };
    switch (spec.kind) {
      case "network_error":
        return Promise.reject(
          new TypeError("fetch failed", {
            cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
          }),
        );
      case "never_answers":
        return new Promise((_resolve, reject) => {
          init.signal?.addEventListener("abort", () => {
            reject(init.signal?.reason as Error);
          });
        });
      case "answer":
        return Promise.resolve(responseOf(spec));
    }
  };
  const state = Object.assign(fetch, { requests: 0 });
  return state;
}

export interface FuzzRuntime extends Runtime {
  readonly clock: VirtualClock;
  /**
   * Throws `broken_invariant` if a transcript entry broke the contract, or a wait was asked for that is not a
   * finite, non-negative number of milliseconds (checked after the run, not inside it: the client under test
   * must not be able to swallow it).
   */
  checkRun(): void;
}

/** Ten years of virtual time: a wait past it is not a wait but a broken computation (an overflow, NaN). */
const VIRTUAL_LIMIT_MS = 10 * 365 * 24 * 3_600_000;

/**
 * A fetch answering each request from the script of the first route its path contains (`/devices/` before
 * `/devices`), then 404; a request no route names is answered 404 too.
 */
export function routedNetwork(
  routes: readonly (readonly [string, readonly AnswerSpec[]])[],
): Runtime["fetch"] {
  const networks = routes.map(([path, script]) => [path, scriptedNetwork(script)] as const);
  const nowhere = scriptedNetwork([]);
  return (url, init) => {
    const path = new URL(url).pathname;
    const route = networks.find(([prefix]) => path.includes(prefix));
    return (route?.[1] ?? nowhere)(url, init);
  };
}

/**
 * A Runtime on `fetch` and a fresh virtual clock whose transcript reads every entry against the contract (the
 * engine forwards entries to every view as `transcript.entry` events) and whose sleeps must be finite.
 */
export function fuzzRuntime(fetch: Runtime["fetch"]): FuzzRuntime {
  const clock = new VirtualClock({ limitMs: VIRTUAL_LIMIT_MS });
  const broken: string[] = [];
  const transcript = (entry: TranscriptEntry): void => {
    const checked = readEvent("transcript.entry", entry);
    if (!checked.ok) broken.push(`a transcript entry breaks the contract: ${checked.error.message}`);
    else if (!isDeepStrictEqual(checked.value, entry))
      broken.push("a transcript entry changes when read against the contract");
  };
  const sleep: Runtime["sleep"] = (ms, signal) => {
    if (!Number.isFinite(ms) || ms < 0) broken.push(`a wait of ${ms} ms was asked for`);
    return clock.sleep(ms, signal);
  };
  return Object.assign(createRuntime({ fetch, now: clock.now, sleep, transcript }), {
    clock,
    checkRun: () => {
      if (broken.length > 0) throw new FuzzFailure("broken_invariant", broken[0] ?? "");
    },
  });
}

/** A signal the user aborts after `ms` of the runtime's virtual time (someone gives up waiting). */
export function userGivesUpAfter(runtime: FuzzRuntime, ms: number): AbortSignal {
  const controller = new AbortController();
  runtime.clock.after(ms, () => {
    controller.abort(new DOMException("the user cancelled", "AbortError"));
  });
  return controller.signal;
}

/** Whether `error` is the abort `userGivesUpAfter` causes. */
export function isUserCancel(error: unknown): boolean {
  return (
    error instanceof DOMException && error.name === "AbortError" && error.message === "the user cancelled"
  );
}

export const NEVER_ABORTS = new AbortController().signal;

/** How far a run got: the step it was in when it ended, for the tally (`RendezvousError:expired@send`). */
export interface Progress {
  step: string;
}

/**
 * Runs `run` on a fresh runtime over `script` and names the outcome: "ok", or the typed error with the step it
 * ended in; the user's own cancel (`userGivesUpAfter`) is the outcome `cancelled`. The run's invariants (the
 * transcript, the waits) are checked first, whatever the outcome.
 */
export async function outcomeOnNetwork(
  script: readonly AnswerSpec[],
  families: readonly ErrorFamily[],
  run: (runtime: FuzzRuntime, progress: Progress) => Promise<void>,
): Promise<string> {
  const runtime = fuzzRuntime(scriptedNetwork(script));
  const progress: Progress = { step: "start" };
  try {
    await run(runtime, progress);
  } catch (error) {
    runtime.checkRun();
    if (isUserCancel(error)) return `cancelled@${progress.step}`;
    return `${typedOutcome(error, families)}@${progress.step}`;
  }
  runtime.checkRun();
  return "ok";
}

/** JSON text of any value; `undefined`, which JSON.stringify skips, as `null`. */
function jsonText(value: unknown): string {
  const skipped = value === undefined || typeof value === "function" || typeof value === "symbol";
  return skipped ? "null" : JSON.stringify(value);
}
