// Every duration a flow waits, in one options object (docs/testing.md "Time budget"): production uses the
// defaults; tests pass small values instead of waiting.
import {
  MACHINE_REPLY_DUE,
  PERSON_ACTING,
  SESSION_WATCH,
  type BackoffOptions,
  type PollSchedule,
  type RendezvousClientOptions,
  type RequestRateLimit,
} from "../protocol";

export interface FlowTimings {
  /** How to poll when the peer is a program about to answer. */
  readonly machineReply: PollSchedule;
  /** How to poll when the peer waits for a person (scanning, typing the check code, consenting). */
  readonly personActing: PollSchedule;
  /**
   * How to poll when nothing is due from the peer and we only watch for the session ending. A caller that sets
   * `personActing` and not this gets `personActing` here too (startFlow), so that short test timings stay short.
   */
  readonly watching: PollSchedule;
  /** How long the existing device waits for the new device to appear on the homeserver (MSC4108: 10 s). */
  readonly deviceWaitMs: number;
  /** How often it looks meanwhile. */
  readonly devicePollMs: number;
  /** How long the existing device waits, after sending the secrets, to see the new device verified. */
  readonly verifyWaitMs: number;
  /** How long a cancel waits for the peer to answer our unread message before it only deletes the rendezvous. */
  readonly cancelLingerMs: number;
  /** A QR code nobody scanned is replaced this long before its rendezvous expires. */
  readonly qrReplaceMarginMs: number;
  /** The device grant's polling floor (the server's `interval` wins when it is longer); tests pass less. */
  readonly minGrantIntervalMs?: number;
  /**
   * How long one rendezvous request may take, its answer's body included, before it is cut off and retried (an
   * answer that stops midway); default the rendezvous client's own (15 s).
   */
  readonly rendezvousRequestTimeoutMs?: number;
  /**
   * The backoff between retries of a transient failure (the rendezvous requests, and OAuth discovery,
   * registration and device authorization while the rendezvous lives); default the rendezvous clients' own
   * (0.5 s doubling to 5 s).
   */
  readonly retryBackoff?: BackoffOptions;
  /**
   * The rendezvous clients' request-rate ceiling per session; default theirs (REQUEST_RATE_LIMIT), which every
   * host keeps. Only the model-based tests, hundreds of sessions against the devserver, pass a higher one.
   */
  readonly rendezvousRateLimit?: RequestRateLimit;
}

export const DEFAULT_TIMINGS: FlowTimings = {
  machineReply: MACHINE_REPLY_DUE,
  personActing: PERSON_ACTING,
  watching: SESSION_WATCH,
  deviceWaitMs: 10_000,
  devicePollMs: 500,
  verifyWaitMs: 10_000,
  cancelLingerMs: 5_000,
  qrReplaceMarginMs: 2_000,
};

/** The rendezvous clients' options a flow's timings set (each only when given: the clients' defaults otherwise). */
export function rendezvousTimingOptions(
  timings: FlowTimings,
): Pick<RendezvousClientOptions, "requestTimeoutMs" | "backoff" | "rateLimit"> {
  return {
    ...(timings.rendezvousRequestTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: timings.rendezvousRequestTimeoutMs }),
    ...(timings.retryBackoff === undefined ? {} : { backoff: timings.retryBackoff }),
    ...(timings.rendezvousRateLimit === undefined ? {} : { rateLimit: timings.rendezvousRateLimit }),
  };
}
