// The one face both rendezvous clients show the flows (one module per wire version behind one state machine,
// docs/ARCHITECTURE.md). The session is a single cell the two devices take turns writing (docs/protocol.md §2:
// strict ping-pong).
//
// The v2025 channel binds every message to the sequence token it was sealed against (MSC4388 AAD, docs/protocol.md
// §3), and the rule for which token that is differs between the sender and the receiver. So the flows never
// pick a token: `send()` hands its sealing callback the AAD of the token the PUT will carry, and `receive()`
// returns each message with the AAD of the token held before the GET that returned it. v2024 has no AAD, and
// both are `undefined` there, so the flows call `send((aad) => channel.seal(text, aad), ...)` and
// `channel.open(message.data, message.aad)` for either version.
import type { RendezvousAad, WireVersion } from "../types";
import type { PollSchedule } from "./timing";

export interface SignalOption {
  readonly signal: AbortSignal;
}

export interface ReceiveOptions extends SignalOption {
  /**
   * How often to look, counted from the session's last turn: `MACHINE_REPLY_DUE`, `PERSON_ACTING`, or the caller's
   * own (the session's rate ceiling bounds any schedule: a burst of 8, then 4 requests/s).
   */
  readonly schedule: PollSchedule;
}

/**
 * Produces the wire string of one message. Called exactly once per `send()`, with the AAD the message must be
 * bound to (v2025) or `undefined` (v2024); resends of the same message reuse its result.
 */
export type SealMessage = (aad: RendezvousAad | undefined) => Promise<string> | string;

export interface ReceivedMessage {
  /** The peer's wire string, exactly as stored in the session. */
  readonly data: string;
  /** v2025: what the peer sealed this message against; v2024: undefined. */
  readonly aad: RendezvousAad | undefined;
}

export interface RendezvousSession {
  readonly version: WireVersion;
  /**
   * When the server forgets the session, on the client's clock (`now`), refreshed by every response that says.
   * Computed from the server's relative lifetime, so clock skew does not move it.
   */
  readonly expiresAt: number;
  /**
   * Writes one message. Transient failures are retried until `expiresAt`; a lost response is recovered. Throws
   * RendezvousError `expired`, `concurrent_write`, `proxy_interference`, `too_large`, `insecure_transport`, or
   * the transient code once the deadline has passed (`network` with reason `write_answer_lost` when a v2025
   * write may have landed and the peer's answer to it can no longer be opened). Sending while a peer message
   * that arrived during a recovered write is still unread breaks strict ping-pong: a TypeError.
   */
  send(seal: SealMessage, options: SignalOption): Promise<void>;
  /**
   * Polls until the peer's next message arrives and returns it at once. Throws RendezvousError `expired` when
   * the session ends first (a 404, or its lifetime running out on our clock, whatever the server still answers),
   * and, like `send`, the transient code once the session's end leaves no time to retry.
   */
  receive(options: ReceiveOptions): Promise<ReceivedMessage>;
  /**
   * Deletes the session (already gone counts as done); afterwards `send` and `receive` are programming errors.
   * Runs under a timeout of its own, never the flow's signal: that has usually aborted already, which is why the
   * flow cancels. Throws RendezvousError `network` when the DELETE has not finished within the timeout.
   */
  cancel(options?: CancelOptions): Promise<void>;
}

export interface CancelOptions {
  /** How long the DELETE may take, retries included. Default `DEFAULT_CANCEL_TIMEOUT_MS` (5 s). */
  readonly timeoutMs?: number;
}

/** MSC4108 2024: the session is an absolute URL, the cell's version an ETag. */
export interface V2024RendezvousSession extends RendezvousSession {
  readonly version: "v2024";
  /** The absolute session URL, for the QR code. */
  readonly url: string;
  /** The ETag of the content we last saw or wrote, exactly as the server sent it. */
  readonly etag: string;
  receive(options: ReceiveOptions): Promise<ReceivedMessage & { readonly aad: undefined }>;
}

/** Which MSC4388 base path: chosen from the QR prefix (`IO_ELEMENT_MSC4388` unstable, `MATRIX` stable). */
export type RendezvousApi = "unstable" | "stable";

/** MSC4388: the session is an ID under the homeserver's base URL, the cell's version a sequence token. */
export interface V2025RendezvousSession extends RendezvousSession {
  readonly version: "v2025";
  /** The homeserver base URL exactly as given (it goes into the QR code and the AAD unchanged). */
  readonly baseUrl: string;
  readonly id: string;
  readonly api: RendezvousApi;
  /** The current sequence token: what the next `send()` seals against. Opaque. */
  readonly sequenceToken: string;
  receive(options: ReceiveOptions): Promise<ReceivedMessage & { readonly aad: RendezvousAad }>;
}
