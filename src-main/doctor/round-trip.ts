// One rendezvous round trip, as two devices would make it (docs/protocol.md §2, §5 steps A-G1/A-S2): G creates a
// session, S joins it through the QR code G would show, S writes, G reads and writes back, S reads, G deletes the
// session. What stops it is named for the doctor: a rendezvous URL that does not lead back to the server
// (Synapse's `public_baseurl` or its reverse proxy: what other apps' users meet as "Invalid rendezvous URI" or "not
// supported"), a proxy rewriting ETags or sequence tokens, a session lost between requests, or the usual failures.
import { outsideText } from "../../src-shared/errors";
import {
  MACHINE_REPLY_DUE,
  deadlineSignal,
  encodeBase64,
  isProtocolError,
  isRendezvousError,
  createRendezvous,
  type RendezvousSession,
  type Runtime,
  type V2024RendezvousSession,
  type V2025RendezvousSession,
  type WireVersion,
} from "../protocol";
import { isLoopbackHost } from "../http";
import { joinThroughQr, type RendezvousEndOptions } from "./rendezvous-pair";

export interface RoundTripOptions {
  readonly runtime: Runtime;
  readonly signal: AbortSignal;
  readonly baseUrl: string;
  readonly allowInsecureHttp: boolean;
  /** v2025, for a server that creates sessions only for signed-in users. */
  readonly accessToken?: string;
  readonly requestTimeoutMs: number;
  /** How long creating and joining keep retrying transient failures. */
  readonly retryWindowMs: number;
  /** The whole round trip, from the create to the delete. */
  readonly timeoutMs: number;
}

export type RoundTripResult =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly cause: string; readonly detail: string };

type Step = "create" | "join" | "write" | "read" | "write back" | "read back" | "delete";

/** Where a v2024 session URL points, without the session ID (the QR code's secret-ish part). */
function whereUrlPoints(url: string): string {
  const parsed = URL.parse(url);
  if (parsed === null) return "an unparsable URL";
  return outsideText(`${parsed.origin}${parsed.pathname.replace(/[^/]*$/, "")}`, 150);
}

/**
 * A v2024 session URL that cannot lead a device elsewhere back to this server, though it may work from here: one
 * on this machine (loopback) while the homeserver is not (Synapse's default `public_baseurl`).
 */
function sessionUrlProblem(baseUrl: string, sessionUrl: string): string | undefined {
  const base = URL.parse(baseUrl);
  const session = URL.parse(sessionUrl);
  if (base === null || session === null) return undefined;
  if (isLoopbackHost(session.hostname) && !isLoopbackHost(base.hostname)) {
    return `the session URL points at the server's own machine (${session.host}), which no other device can reach`;
  }
  return undefined;
}

function random(runtime: Runtime): string {
  return encodeBase64(runtime.random(12));
}

/** The cause and words for what stopped the round trip at `step`. */
function failure(version: WireVersion, step: Step, error: unknown, sessionUrl?: string): RoundTripResult {
  const at = `${step}: `;
  const urlNote = sessionUrl === undefined ? "" : ` (the session URL is under ${whereUrlPoints(sessionUrl)})`;
  if (isProtocolError(error)) {
    // Only the QR codec speaks here: the URL or ID the server handed out cannot travel in a QR code.
    return {
      ok: false,
      cause: "rendezvous_url_unusable",
      detail: `${at}the session cannot be put in a QR code: ${error.message}${urlNote}`,
    };
  }
  if (!isRendezvousError(error)) throw error;
  const message = error.message;
  if (error.code === "proxy_interference") {
    return { ok: false, cause: error.reason ?? "proxy_interference", detail: `${at}${message}` };
  }
  // v2024: the server hands out an absolute session URL; failing to reach it right after the create means it
  // does not lead back here (public_baseurl, or a reverse proxy that does not forward /_synapse/client/).
  const urlStep =
    version === "v2024" && (step === "join" || (step === "create" && error.code === "insecure_transport"));
  if (urlStep && error.code !== "rate_limited" && error.code !== "server_error") {
    const why =
      error.code === "expired"
        ? "the server there does not know the session it just created (404)"
        : error.code === "network"
          ? "it cannot be reached"
          : error.code === "insecure_transport"
            ? "it is plain http"
            : `it answers wrongly (${error.code})`;
    return {
      ok: false,
      cause: "rendezvous_url_unusable",
      detail: `${at}the session URL does not lead back to the homeserver: ${why}${urlNote}. Synapse builds it from public_baseurl, and the reverse proxy must forward /_synapse/client/ (${message})`,
    };
  }
  switch (error.code) {
    case "expired":
      return {
        ok: false,
        cause: "session_lost",
        detail: `${at}the session was gone moments after it was created (404): do several server processes answer rendezvous requests without sharing their sessions? (${message})`,
      };
    case "not_supported":
      return { ok: false, cause: "no_rendezvous", detail: `${at}${message}` };
    case "unauthorized":
      return { ok: false, cause: "needs_sign_in", detail: `${at}${message}` };
    case "network":
      return { ok: false, cause: "unreachable", detail: `${at}${message}` };
    case "insecure_transport":
      return { ok: false, cause: "insecure_transport", detail: `${at}${message}` };
    case "too_large":
      return { ok: false, cause: "invalid_response", detail: `${at}${message}` };
    default:
      return { ok: false, cause: error.code, detail: `${at}${message}` };
  }
}

/** Creates, joins, writes, reads, writes back, reads back and deletes one session of `version`. */
export async function rendezvousRoundTrip(
  version: WireVersion,
  options: RoundTripOptions,
): Promise<RoundTripResult> {
  const { runtime } = options;
  const limit = deadlineSignal(runtime.sleep, options.timeoutMs, options.signal);
  const client = {
    runtime,
    signal: limit.signal,
    allowInsecureHttp: options.allowInsecureHttp,
    requestTimeoutMs: options.requestTimeoutMs,
    retryWindowMs: options.retryWindowMs,
  };
  const trip: Trip = { step: "create" };
  let result: RoundTripResult;
  try {
    result = await travel(version, options, client, trip);
  } catch (error) {
    if (limit.timedOut()) {
      result = {
        ok: false,
        cause: "rendezvous_stalled",
        detail: `${trip.step}: no progress within ${options.timeoutMs} ms (does something between us and the server hold or cache answers?)`,
      };
    } else if (options.signal.aborted) {
      throw error;
    } else {
      result = failure(version, trip.step, error, trip.sessionUrl);
    }
  } finally {
    limit.dispose();
  }
  // A session left behind ends by itself within minutes (60 s on Synapse): deleting it is a courtesy, so how that
  // goes changes nothing in the report, which already says what failed. Not where its URL leads nowhere.
  const leftBehind = trip.generator;
  if (
    leftBehind !== undefined &&
    trip.step !== "delete" &&
    (result.ok || result.cause !== "rendezvous_url_unusable")
  ) {
    await leftBehind.cancel({ timeoutMs: options.requestTimeoutMs }).catch(() => undefined);
  }
  return result;
}

/** How far a round trip got, for the failure's words and the clean-up. */
interface Trip {
  step: Step;
  generator?: V2024RendezvousSession | V2025RendezvousSession;
  sessionUrl?: string;
}

async function travel(
  version: WireVersion,
  options: RoundTripOptions,
  client: RendezvousEndOptions,
  trip: Trip,
): Promise<RoundTripResult> {
  const { runtime } = options;
  const generator = await createRendezvous(version, {
    ...client,
    baseUrl: options.baseUrl,
    ...(options.accessToken === undefined ? {} : { accessToken: options.accessToken }),
  });
  trip.generator = generator;
  if (generator.version === "v2024") {
    trip.sessionUrl = generator.url;
    const problem = sessionUrlProblem(options.baseUrl, generator.url);
    if (problem !== undefined) {
      return {
        ok: false,
        cause: "rendezvous_url_unusable",
        detail: `create: ${problem}; Synapse builds it from public_baseurl`,
      };
    }
  }
  trip.step = "join";
  const scanner: RendezvousSession = await joinThroughQr(generator, client);
  const ping = `doctor ping ${random(runtime)}`;
  const pong = `doctor pong ${random(runtime)}`;
  trip.step = "write";
  await scanner.send(() => ping, client);
  trip.step = "read";
  const seen = await generator.receive({ signal: client.signal, schedule: MACHINE_REPLY_DUE });
  if (seen.data !== ping) {
    return {
      ok: false,
      cause: "invalid_response",
      detail: "read: the session held something else than was written",
    };
  }
  trip.step = "write back";
  await generator.send(() => pong, client);
  trip.step = "read back";
  const answer = await scanner.receive({ signal: client.signal, schedule: MACHINE_REPLY_DUE });
  if (answer.data !== pong) {
    return {
      ok: false,
      cause: "invalid_response",
      detail: "read back: the session held something else than was written",
    };
  }
  trip.step = "delete";
  await generator.cancel({ timeoutMs: options.requestTimeoutMs });
  const where = trip.sessionUrl === undefined ? "" : `; session URL under ${whereUrlPoints(trip.sessionUrl)}`;
  return { ok: true, detail: `created, joined, wrote, read, wrote back, read back, deleted${where}` };
}
