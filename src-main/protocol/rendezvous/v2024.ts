// The MSC4108 2024 rendezvous client (docs/protocol.md §2): a text/plain cell at an absolute URL, versioned by
// ETags. Create answers 201 `{url}` (after following any 307 delegation); GET with If-None-Match answers 200 or
// 304; PUT with If-Match answers 202 with the new ETag or 412 on a conflict; DELETE answers 204.
//
// Validators are taken exactly as the server sends them and echoed back unchanged. Servers send strong ETags
// (Synapse hashes the content only, so equal content has an equal ETag); anything else we see is evidence that a
// proxy rewrites them, which would otherwise end in a 412 loop (docs/ux.md `proxy_interference`).
import { outsideText } from "../../../src-shared/errors";
import { utf8 } from "../bytes";
import { RendezvousError, isTransient, proxyInterference } from "./errors";
import { OperationGuard, deleteSession, pollUntil, sessionStatusError } from "./session-base";
import {
  Transport,
  commonStatusError,
  expiryFromHeaders,
  jsonObjectOf,
  textOf,
  transientStatusError,
  unexpectedStatus,
  type HttpResponse,
  type RendezvousClientOptions,
  type RequestDeadline,
} from "./transport";
import type {
  CancelOptions,
  ReceiveOptions,
  ReceivedMessage,
  SealMessage,
  SignalOption,
  V2024RendezvousSession,
} from "./types";
import { apiUrl, checkAbsoluteHttpUrl, serverUrl } from "./urls";

export const V2024_CREATE_PATH = "/_matrix/client/unstable/org.matrix.msc4108/rendezvous";

/** Exactly this: Synapse compares the media type and refuses a `charset` parameter (docs/protocol.md §2). */
const TEXT_PLAIN = { "Content-Type": "text/plain" } as const;
/** MSC4108 allows delegation by 307 only; a chain longer than this is a loop. */
const MAX_REDIRECTS = 5;
/** Synapse's lifetime, assumed only when a server sends no usable `Expires`. */
const ASSUMED_TTL_MS = 60_000;

export interface CreateV2024Options extends RendezvousClientOptions, SignalOption {
  /** The homeserver's client-server API base URL. */
  readonly homeserverUrl: string;
  /** The first content of the cell; clients send none. */
  readonly initialData?: string;
}

export interface JoinV2024Options extends RendezvousClientOptions, SignalOption {
  /** The absolute session URL from the QR code. */
  readonly url: string;
}

interface CellState {
  readonly etag: string;
  readonly content: string;
}

function etagOf(response: Pick<HttpResponse, "headers">): { etag?: string } {
  const etag = response.headers.get("etag");
  return etag === null ? {} : { etag };
}

function isWeak(etag: string): boolean {
  return /^\s*W\//i.test(etag);
}

/** The ETag a response must carry, refusing the forms only a rewriting proxy produces. */
function strongEtagOf(response: HttpResponse, what: string): string {
  const etag = response.headers.get("etag");
  if (etag === null) {
    throw proxyInterference("etag_missing", `${what} answered ${response.status} without an ETag`);
  }
  if (isWeak(etag)) {
    throw proxyInterference("weak_etag", `${what} answered the weak ETag ${outsideText(etag, 100)}`);
  }
  return etag;
}

/** Creates a session on the homeserver (G, the device that shows the QR code). */
export async function createV2024Rendezvous(options: CreateV2024Options): Promise<V2024RendezvousSession> {
  const { signal } = options;
  const transport = new Transport(options, etagOf);
  const deadline = transport.now() + transport.retryWindowMs;
  const content = options.initialData ?? "";
  const body = utf8(content);
  let url = apiUrl(options.homeserverUrl, V2024_CREATE_PATH);
  for (let hops = 0; ; hops++) {
    const response = await transport.request(
      { method: "POST", url, headers: TEXT_PLAIN, body },
      signal,
      () => ({ at: deadline, sessionEnds: false }),
    );
    if (response.status === 307 || response.status === 308) {
      // Delegation (MSC4108 "307 only"): the same POST, body and all, at the Location.
      if (hops >= MAX_REDIRECTS) throw new RendezvousError("invalid_response", "create: too many redirects");
      const location = response.headers.get("location");
      if (location === null) {
        throw new RendezvousError("invalid_response", `create: ${response.status} without a Location`);
      }
      url = serverUrl(location, url, "create: the redirect Location");
      continue;
    }
    if (response.status === 201 || response.status === 200) {
      const sessionUrl = jsonObjectOf(response, "create").url;
      if (typeof sessionUrl !== "string") {
        throw new RendezvousError("invalid_response", "create: the answer has no session url");
      }
      const resolved = serverUrl(sessionUrl, url, "create: the session url");
      // The QR code will carry this URL, and with an ETag on the 201 no request of ours goes to it first (which
      // the transport would refuse): an https homeserver must not hand out an http session.
      transport.requireSecureTransport(resolved);
      const session = new V2024Session(
        transport,
        resolved,
        expiryFromHeaders(response) ?? response.receivedAt + ASSUMED_TTL_MS,
        true,
      );
      // Servers put the session's ETag on the 201; without one, read it before anyone can write.
      if (response.headers.get("etag") === null) await session.refresh(signal);
      else session.adopt({ etag: strongEtagOf(response, "create"), content });
      return session;
    }
    if (response.status === 404 || response.status === 405) {
      throw new RendezvousError(
        "not_supported",
        `the homeserver does not serve MSC4108 rendezvous (${response.status})`,
        { status: response.status },
      );
    }
    throw commonStatusError(response, "create") ?? unexpectedStatus(response, "create");
  }
}

/** Joins the session named by a QR code (S, the device that scans), reading its current state. */
export async function joinV2024Rendezvous(options: JoinV2024Options): Promise<V2024RendezvousSession> {
  const transport = new Transport(options, etagOf);
  const url = checkAbsoluteHttpUrl(options.url);
  // Until the first answer says when the session ends, the join is bounded by the retry window.
  const session = new V2024Session(transport, url, transport.now() + transport.retryWindowMs, false);
  await session.refresh(options.signal, ASSUMED_TTL_MS);
  return session;
}

class V2024Session implements V2024RendezvousSession {
  readonly version = "v2024";
  expiresAt: number;
  private state: CellState = { etag: "", content: "" };
  /** A peer message that arrived while we recovered a lost write: what the next `receive()` returns. */
  private pending: string | undefined;
  private readonly guard: OperationGuard;

  constructor(
    private readonly transport: Transport,
    readonly url: string,
    expiresAt: number,
    /** Whether `expiresAt` is the server's word (or the lifetime assumed for it), not only a retry window. */
    private expiryKnown: boolean,
  ) {
    this.expiresAt = expiresAt;
    this.guard = new OperationGuard(() => transport.now());
  }

  get etag(): string {
    return this.state.etag;
  }

  adopt(state: CellState): void {
    this.state = state;
  }

  /** Reads the current content as what we have seen (join, or create without an ETag). */
  async refresh(signal: AbortSignal, assumedTtlMs?: number): Promise<void> {
    this.state = await this.read(signal, assumedTtlMs);
  }

  send(seal: SealMessage, { signal }: SignalOption): Promise<void> {
    return this.guard.run("send", async () => {
      // Strict ping-pong (docs/protocol.md §4): a write now would overwrite the peer's reply before anyone read it.
      if (this.pending !== undefined) {
        throw new TypeError("rendezvous send while the peer's reply is unread: receive() it first");
      }
      const data = await seal(undefined);
      signal.throwIfAborted();
      const body = utf8(data);
      // Set once an attempt may have been applied without our learning so: its answer was a 5xx (a proxy or a
      // server failing after the commit) or never came. From then on the cell may hold our write, or the
      // peer's answer to it.
      let mayHaveLanded = false;
      for (let failures = 0; ; failures++) {
        const ifMatch = this.state.etag;
        let response: HttpResponse;
        try {
          response = await this.transport.exchange(
            { method: "PUT", url: this.url, headers: { ...TEXT_PLAIN, "If-Match": ifMatch }, body },
            signal,
            this.deadline(),
          );
        } catch (error) {
          if (!isTransient(error)) throw error;
          mayHaveLanded = true;
          // The PUT may have been applied and only its answer lost: the content tells (MSC4108 has no txn IDs).
          if (await this.recoverLostWrite(data, signal)) return;
          await this.transport.waitBeforeRetry(error, failures, this.expiresAt, signal);
          continue;
        }
        this.updateExpiry(response);
        if (response.status === 202) {
          this.state = { etag: strongEtagOf(response, "PUT"), content: data };
          return;
        }
        if (response.status === 412) {
          await this.resolveConflict(response, ifMatch, data, mayHaveLanded, signal);
          return;
        }
        const transient = transientStatusError(response);
        if (transient === undefined) throw sessionStatusError(response, "PUT");
        if (transient.code === "server_error") mayHaveLanded = true;
        await this.transport.waitBeforeRetry(transient, failures, this.expiresAt, signal);
      }
    });
  }

  receive({ signal, schedule }: ReceiveOptions): Promise<ReceivedMessage & { readonly aad: undefined }> {
    return this.guard.run("receive", async () => {
      const pending = this.pending;
      if (pending !== undefined) {
        this.pending = undefined;
        return { data: pending, aad: undefined };
      }
      return pollUntil(
        this.transport,
        schedule,
        signal,
        () => this.expiresAt,
        this.guard.lastTurn,
        async () => {
          const held = this.state;
          const response = await this.transport.request(
            { method: "GET", url: this.url, headers: { "If-None-Match": held.etag } },
            signal,
            () => this.deadline(),
          );
          this.updateExpiry(response);
          if (response.status === 304) return undefined;
          if (response.status !== 200) throw sessionStatusError(response, "GET");
          const etag = strongEtagOf(response, "GET");
          const content = textOf(response, "GET");
          if (etag === held.etag) {
            throw proxyInterference(
              "validator_ignored",
              "GET answered in full for the ETag we sent as If-None-Match, as if it were not the server's",
            );
          }
          // Every peer message is a fresh ciphertext, so unchanged content means no write happened.
          if (content === held.content) {
            throw proxyInterference("etag_changed_without_write", "the ETag changed but the content did not");
          }
          this.state = { etag, content };
          return { data: content, aad: undefined };
        },
      );
    });
  }

  async cancel(options: CancelOptions = {}): Promise<void> {
    this.guard.markCancelled();
    await deleteSession(this.transport, this.url, this.expiresAt, options);
  }

  /** Every request of the session ends by the session's end (or the join's retry window, before it is known). */
  private deadline(): RequestDeadline {
    return { at: this.expiresAt, sessionEnds: this.expiryKnown };
  }

  private updateExpiry(response: HttpResponse, assumedTtlMs?: number): void {
    const expiry = expiryFromHeaders(response);
    if (expiry !== undefined) {
      this.expiresAt = expiry;
      this.expiryKnown = true;
    } else if (assumedTtlMs !== undefined) {
      this.expiresAt = response.receivedAt + assumedTtlMs;
      this.expiryKnown = true;
    }
  }

  /** An unconditional GET of the current content, retrying transient failures until the session expires. */
  private async read(signal: AbortSignal, assumedTtlMs?: number): Promise<CellState> {
    const response = await this.transport.request({ method: "GET", url: this.url }, signal, () =>
      this.deadline(),
    );
    if (response.status !== 200) throw sessionStatusError(response, "GET");
    this.updateExpiry(response, assumedTtlMs);
    return { etag: strongEtagOf(response, "GET"), content: textOf(response, "GET") };
  }

  /** After a PUT whose answer never came: true when the write is settled, false when it must be sent again. */
  private async recoverLostWrite(data: string, signal: AbortSignal): Promise<boolean> {
    const seen = await this.read(signal);
    if (seen.content === data) {
      this.state = seen;
      return true;
    }
    if (seen.content === this.state.content) return false;
    // Neither ours nor what was there before: the peer read our message and already answered (strict
    // ping-pong, docs/protocol.md §4), so that answer is the next message we receive.
    this.state = seen;
    this.pending = seen.content;
    return true;
  }

  /** A 412: our earlier attempt landed, the peer wrote first, or a proxy altered the ETag. */
  private async resolveConflict(
    response: HttpResponse,
    ifMatch: string,
    data: string,
    mayHaveLanded: boolean,
    signal: AbortSignal,
  ): Promise<void> {
    if (response.headers.get("etag") === ifMatch) {
      throw proxyInterference(
        "precondition_loop",
        "PUT was refused (412) although the server reports the ETag we sent as current",
      );
    }
    const seen = await this.read(signal);
    if (seen.content === data) {
      this.state = seen;
      return;
    }
    if (seen.content === this.state.content) {
      throw proxyInterference(
        seen.etag === ifMatch ? "precondition_loop" : "etag_rewritten",
        "PUT was refused (412) though the content is still the one our ETag was given for",
      );
    }
    this.state = seen;
    if (mayHaveLanded) {
      // Neither ours nor what was there before, after an attempt that may have landed: the peer read our
      // message and already answered (strict ping-pong, docs/protocol.md §4), as in recoverLostWrite. Were it
      // someone else's write, the channel would refuse it when it is opened.
      this.pending = seen.content;
      return;
    }
    throw new RendezvousError("concurrent_write", "the session was written by someone else first (412)", {
      status: 412,
    });
  }
}
