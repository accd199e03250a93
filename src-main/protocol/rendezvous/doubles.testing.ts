// Test support only (the .testing suffix lets ESLint keep product code from importing it): the scripted
// fetch and the virtual clock the rendezvous client tests drive the clients with, and the helper that expects a
// RendezvousError.
import type { TranscriptSink } from "../../../src-shared/transcript";
import { VIRTUAL_START, VirtualClock } from "../../../test/helpers/virtual-clock";
import type { RandomSource } from "../random";
import { createRuntime, type Runtime } from "../runtime";
import { isRendezvousError, type RendezvousError } from "./errors";
import type { FetchFunction } from "./transport";

/** Where every virtual clock starts: the client's local time, whatever the scripted server's `Date` says. */
export const LOCAL_START = VIRTUAL_START;

/** One request as the client sent it. */
export interface Call {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: Uint8Array | undefined;
  /** The body parsed as JSON (the v2025 API's bodies); undefined without a body or for one that is not JSON. */
  readonly json: unknown;
}

export type Step = (call: Call) => Response | Promise<Response>;

function parsedJson(body: Uint8Array | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
}

/** A fetch that answers each request with the next step, and records what was sent. */
export function scriptedFetch(steps: Step[]): FetchFunction & { readonly calls: Call[] } {
  const calls: Call[] = [];
  const fetch = (url: string, init: RequestInit): Promise<Response> => {
    const body = init.body;
    if (body !== undefined && body !== null && !(body instanceof Uint8Array)) {
      throw new Error("the client must send bytes");
    }
    const call: Call = {
      url,
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: body ?? undefined,
      json: parsedJson(body ?? undefined),
    };
    calls.push(call);
    const step = steps.shift();
    if (step === undefined) return Promise.reject(new Error(`unscripted request ${call.method} ${url}`));
    init.signal?.throwIfAborted();
    return Promise.resolve(step(call));
  };
  return Object.assign(fetch, { calls });
}

/**
 * A virtual clock from LOCAL_START (test/helpers/virtual-clock.ts): time moves to the next sleep's end once nothing
 * else can run, and `sleeps` records the waits that ran to their end.
 */
export function fakeTime(): VirtualClock {
  return new VirtualClock({ start: LOCAL_START });
}

/** A Runtime on `fetch` and a virtual clock (a fresh one unless given); the transcript is dropped unless given. */
export function testRuntime(
  fetch: FetchFunction,
  parts: {
    readonly clock?: VirtualClock;
    readonly transcript?: TranscriptSink;
    readonly random?: RandomSource;
  } = {},
): Runtime {
  const clock = parts.clock ?? fakeTime();
  return createRuntime({
    fetch,
    now: clock.now,
    sleep: clock.sleep,
    ...(parts.transcript === undefined ? {} : { transcript: parts.transcript }),
    ...(parts.random === undefined ? {} : { random: parts.random }),
  });
}

/** The RendezvousError `promise` rejects with; anything else (including success) fails the test. */
export async function rendezvousError(promise: Promise<unknown>): Promise<RendezvousError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isRendezvousError(error)) throw new Error(`expected a RendezvousError, got ${String(error)}`);
  return error;
}
