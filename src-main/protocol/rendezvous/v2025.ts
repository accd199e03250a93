// The MSC4388 rendezvous client (the v2025 wire version; docs/protocol.md §2 and §3.3): a JSON cell under the
// homeserver's base URL, versioned by opaque sequence tokens. Discover `GET {base}`, create `POST {base}`, read
// `GET {base}/{id}`, write `PUT {base}/{id}` (or `PUT {base}/{id}/{txnId}`, newest MSC text), cancel
// `DELETE {base}/{id}`. Every answer is 200; a reader sees new data by a changed token (there is no 304).
//
// Tokens are never parsed: they are compared, echoed, and handed to the channel for its AAD.
import type { QrPrefix } from "../qr/types";
import type { RendezvousAad } from "../types";
import { toHex, utf8 } from "../bytes";
import { isOpaqueId } from "../grammar";
import { RendezvousError, isTransient, proxyInterference } from "./errors";
import { OperationGuard, deleteSession, pollUntil, sessionStatusError } from "./session-base";
import {
  Transport,
  commonStatusError,
  errcodeOf,
  expiryAfter,
  jsonObjectOf,
  jsonObjectOrUndefined,
  msUntilServerTime,
  transientStatusError,
  unexpectedStatus,
  type HttpResponse,
  type RendezvousClientOptions,
  type RequestDeadline,
  type ValidatorsOf,
} from "./transport";
import type {
  CancelOptions,
  ReceiveOptions,
  ReceivedMessage,
  RendezvousApi,
  SealMessage,
  SignalOption,
  V2025RendezvousSession,
} from "./types";
import { urlPath } from "../url-path";
import { apiUrl } from "./urls";

export const V2025_UNSTABLE_PATH = "/_matrix/client/unstable/io.element.msc4388/rendezvous";
export const V2025_STABLE_PATH = "/_matrix/client/v1/rendezvous";

/** The AAD carries the token behind a one-byte length (docs/protocol.md §3). */
const MAX_TOKEN_BYTES = 255;
/** 409 errcodes: MSC4388's unstable prefix, and the stable code. */
const CONCURRENT_WRITE_ERRCODES: readonly string[] = [
  "IO_ELEMENT_MSC4388_CONCURRENT_WRITE",
  "M_CONCURRENT_WRITE",
];
const JSON_HEADERS = { "Content-Type": "application/json" } as const;
/** Bytes of randomness in a transaction ID. */
const TXN_ID_BYTES = 16;

/** MSC4388 "Unstable prefix": the QR's prefix says which base path the session lives under. */
export function rendezvousApiForQrPrefix(prefix: QrPrefix): RendezvousApi {
  return prefix === "MATRIX" ? "stable" : "unstable";
}

/** The other way round: the prefix G's QR code must carry for a session under `api`. */
export function qrPrefixForRendezvousApi(api: RendezvousApi): QrPrefix {
  return api === "stable" ? "MATRIX" : "IO_ELEMENT_MSC4388";
}

export function v2025ApiPath(api: RendezvousApi): string {
  return api === "stable" ? V2025_STABLE_PATH : V2025_UNSTABLE_PATH;
}

interface V2025Target {
  /** The homeserver's client-server API base URL, exactly as it goes into the QR code. */
  readonly baseUrl: string;
  /** Default `unstable`, the only path deployed servers serve. */
  readonly api?: RendezvousApi;
}

export interface DiscoverV2025Options extends RendezvousClientOptions, SignalOption, V2025Target {
  /** Sent when we have one: servers in authenticated mode answer discovery only with it. */
  readonly accessToken?: string;
}

/** `served: false` is the API switched off (404 `M_UNRECOGNIZED`), an answer rather than an error. */
export type V2025Discovery =
  { readonly served: false } | { readonly served: true; readonly createAvailable: boolean };

export interface CreateV2025Options extends RendezvousClientOptions, SignalOption, V2025Target {
  /** Needed where the server creates sessions only for signed-in users. */
  readonly accessToken?: string;
  /** The first content of the cell; default empty. */
  readonly initialData?: string;
}

export interface JoinV2025Options extends RendezvousClientOptions, SignalOption, V2025Target {
  /** The rendezvous ID from the QR code. */
  readonly id: string;
}

interface CellState {
  readonly token: string;
  readonly data: string;
}

const sequenceTokenOf: ValidatorsOf = (response) => {
  const token = jsonObjectOrUndefined(response.body)?.sequence_token;
  return typeof token === "string" ? { sequenceToken: token } : {};
};

function authorization(accessToken: string | undefined): Record<string, string> {
  return accessToken === undefined ? {} : { Authorization: `Bearer ${accessToken}` };
}

function tokenFrom(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "" || utf8(value).length > MAX_TOKEN_BYTES) {
    throw new RendezvousError("invalid_response", `${what}: no usable sequence_token`);
  }
  return value;
}

/**
 * The session's end on our clock: `expires_in_ms` from the moment the answer arrived. Drafts before 2026-01-21
 * sent an absolute `expires_ts` instead, read against the response's `Date` so that clock skew cancels out.
 */
function expiryFrom(body: Record<string, unknown>, response: HttpResponse, what: string): number {
  const relative = body.expires_in_ms;
  if (typeof relative === "number" && Number.isFinite(relative) && relative >= 0) {
    return expiryAfter(response, relative);
  }
  const absolute = body.expires_ts;
  if (typeof absolute === "number" && Number.isFinite(absolute)) {
    return expiryAfter(response, msUntilServerTime(absolute, response));
  }
  throw new RendezvousError("invalid_response", `${what}: no usable expires_in_ms`);
}

function notServed(response: HttpResponse): boolean {
  return response.status === 405 || (response.status === 404 && errcodeOf(response) === "M_UNRECOGNIZED");
}

function notSupported(response: HttpResponse, what: string): RendezvousError {
  return new RendezvousError(
    "not_supported",
    `${what}: the homeserver does not serve MSC4388 rendezvous here (${response.status})`,
    { status: response.status },
  );
}

/**
 * MSC4388 discovery. Off (404 `M_UNRECOGNIZED`, or 404/405 from anything in front of the server) is
 * `{served: false}`; 401 throws `unauthorized` (needs sign-in), 403 `forbidden` (refused).
 */
export async function discoverV2025Rendezvous(options: DiscoverV2025Options): Promise<V2025Discovery> {
  const transport = new Transport(options, sequenceTokenOf);
  const deadline = transport.now() + transport.retryWindowMs;
  const response = await transport.request(
    {
      method: "GET",
      url: apiUrl(options.baseUrl, v2025ApiPath(options.api ?? "unstable")),
      headers: authorization(options.accessToken),
    },
    options.signal,
    () => ({ at: deadline, sessionEnds: false }),
  );
  if (response.status === 404 || response.status === 405) return { served: false };
  if (response.status !== 200) {
    throw commonStatusError(response, "discover") ?? unexpectedStatus(response, "discover");
  }
  const createAvailable = jsonObjectOf(response, "discover").create_available;
  if (typeof createAvailable !== "boolean") {
    throw new RendezvousError("invalid_response", "discover: no create_available");
  }
  return { served: true, createAvailable };
}

/** Creates a session (G, the device that shows the QR code). */
export async function createV2025Rendezvous(options: CreateV2025Options): Promise<V2025RendezvousSession> {
  const transport = new Transport(options, sequenceTokenOf);
  const api = options.api ?? "unstable";
  const deadline = transport.now() + transport.retryWindowMs;
  const data = options.initialData ?? "";
  const base = apiUrl(options.baseUrl, v2025ApiPath(api));
  const response = await transport.request(
    {
      method: "POST",
      url: base,
      headers: { ...JSON_HEADERS, ...authorization(options.accessToken) },
      body: utf8(JSON.stringify({ data })),
    },
    options.signal,
    () => ({ at: deadline, sessionEnds: false }),
  );
  // Synapse answers 200; 201 is what a create would usually be, so take either.
  if (response.status === 200 || response.status === 201) {
    const body = jsonObjectOf(response, "create");
    const id = body.id;
    if (typeof id !== "string" || !isOpaqueId(id)) {
      throw new RendezvousError("invalid_response", "create: the session id is missing or not an opaque id");
    }
    return new V2025Session(
      transport,
      { baseUrl: options.baseUrl, api, id },
      { token: tokenFrom(body.sequence_token, "create"), data },
      expiryFrom(body, response, "create"),
      true,
    );
  }
  if (notServed(response)) throw notSupported(response, "create");
  throw commonStatusError(response, "create") ?? unexpectedStatus(response, "create");
}

/** Joins the session named by a QR code (S, the device that scans), reading its current token. */
export async function joinV2025Rendezvous(options: JoinV2025Options): Promise<V2025RendezvousSession> {
  if (!isOpaqueId(options.id)) throw new TypeError("not a rendezvous id (the QR codec checks it)");
  const transport = new Transport(options, sequenceTokenOf);
  const session = new V2025Session(
    transport,
    { baseUrl: options.baseUrl, api: options.api ?? "unstable", id: options.id },
    { token: "", data: "" },
    // Until the first answer says when the session ends, the join is bounded by the retry window.
    transport.now() + transport.retryWindowMs,
    false,
  );
  await session.refresh(options.signal);
  return session;
}

class V2025Session implements V2025RendezvousSession {
  readonly version = "v2025";
  readonly baseUrl: string;
  readonly api: RendezvousApi;
  readonly id: string;
  expiresAt: number;
  private state: CellState;
  /** `PUT {id}` until the server says it has no such route, then `PUT {id}/{txnId}` for the rest of the session. */
  private putShape: "plain" | "txn" = "plain";
  private readonly url: string;
  private readonly guard: OperationGuard;

  constructor(
    private readonly transport: Transport,
    where: { readonly baseUrl: string; readonly api: RendezvousApi; readonly id: string },
    state: CellState,
    expiresAt: number,
    /** Whether `expiresAt` is the server's word, not only a retry window. */
    private expiryKnown: boolean,
  ) {
    this.baseUrl = where.baseUrl;
    this.api = where.api;
    this.id = where.id;
    this.state = state;
    this.expiresAt = expiresAt;
    this.guard = new OperationGuard(() => transport.now());
    // The ID comes from a QR code: one path segment whatever it holds (an opaque ID may be "." or "..").
    this.url = urlPath(apiUrl(where.baseUrl, v2025ApiPath(where.api)), where.id);
  }

  get sequenceToken(): string {
    return this.state.token;
  }

  async refresh(signal: AbortSignal): Promise<void> {
    this.state = await this.read(signal);
  }

  send(seal: SealMessage, { signal }: SignalOption): Promise<void> {
    return this.guard.run("send", async () => {
      // MSC4388 AAD: the sender seals against the token its PUT carries as the precondition.
      const sealedAgainst = this.state.token;
      const data = await seal(this.aad(sealedAgainst));
      signal.throwIfAborted();
      const body = utf8(JSON.stringify({ sequence_token: sealedAgainst, data }));
      // One per message, reused for its resends, so the server answers a resend with the first outcome.
      const txnId = toHex(this.transport.runtime.random(TXN_ID_BYTES));
      // Set once an attempt may have been applied without our learning its new token: its answer was a 5xx
      // (a proxy or a server failing after the commit) or never came.
      let mayHaveLanded = false;
      let failures = 0;
      for (;;) {
        const url = this.putShape === "plain" ? this.url : urlPath(this.url, txnId);
        let response: HttpResponse;
        try {
          response = await this.transport.exchange(
            { method: "PUT", url, headers: JSON_HEADERS, body },
            signal,
            this.deadline(),
          );
        } catch (error) {
          if (!isTransient(error)) throw error;
          // An identical resend is safe: a write that landed is answered with the current token, not repeated.
          mayHaveLanded = true;
          await this.transport.waitBeforeRetry(error, failures++, this.expiresAt, signal);
          continue;
        }
        if (response.status === 200) {
          const token = tokenFrom(jsonObjectOf(response, "PUT").sequence_token, "PUT");
          this.state = { token, data };
          return;
        }
        if (response.status === 409 && CONCURRENT_WRITE_ERRCODES.includes(errcodeOf(response) ?? "")) {
          await this.resolveConflict(data, mayHaveLanded, signal);
          return;
        }
        if (notServed(response)) {
          if (this.putShape === "txn") throw notSupported(response, "PUT");
          this.putShape = "txn";
          continue;
        }
        const transient = transientStatusError(response);
        if (transient === undefined) throw this.statusError(response, "PUT");
        if (transient.code === "server_error") mayHaveLanded = true;
        await this.transport.waitBeforeRetry(transient, failures++, this.expiresAt, signal);
      }
    });
  }

  receive({ signal, schedule }: ReceiveOptions): Promise<ReceivedMessage & { readonly aad: RendezvousAad }> {
    return this.guard.run("receive", () =>
      pollUntil(
        this.transport,
        schedule,
        signal,
        () => this.expiresAt,
        this.guard.lastTurn,
        async () => {
          // MSC4388 AAD: the receiver opens against the token it held before the GET that brought the message.
          const held = this.state;
          const seen = await this.read(signal);
          if (seen.token === held.token) {
            if (seen.data !== held.data) {
              // Every write changes the token, so other data under the token we hold was not what was written:
              // something between us and the server altered our write or this answer.
              throw proxyInterference(
                "data_changed_without_token",
                "GET: the data changed under the same token",
              );
            }
            return undefined;
          }
          // Every peer message is a fresh ciphertext, so unchanged data means no write happened.
          if (seen.data === held.data) {
            throw proxyInterference(
              "token_changed_without_write",
              "the sequence token changed but the data did not",
            );
          }
          this.state = seen;
          return { data: seen.data, aad: this.aad(held.token) };
        },
      ),
    );
  }

  async cancel(options: CancelOptions = {}): Promise<void> {
    this.guard.markCancelled();
    await deleteSession(this.transport, this.url, this.expiresAt, options);
  }

  /** Every request of the session ends by the session's end (or the join's retry window, before it is known). */
  private deadline(): RequestDeadline {
    return { at: this.expiresAt, sessionEnds: this.expiryKnown };
  }

  private aad(sequenceToken: string): RendezvousAad {
    return { baseUrl: this.baseUrl, rendezvousId: this.id, sequenceToken };
  }

  private statusError(response: HttpResponse, what: string): RendezvousError {
    return notServed(response) ? notSupported(response, what) : sessionStatusError(response, what);
  }

  /** GET of the current state, retrying transient failures until the session expires. */
  private async read(signal: AbortSignal): Promise<CellState> {
    const response = await this.transport.request({ method: "GET", url: this.url }, signal, () =>
      this.deadline(),
    );
    if (response.status !== 200) throw this.statusError(response, "GET");
    const body = jsonObjectOf(response, "GET");
    const data = body.data;
    if (typeof data !== "string") throw new RendezvousError("invalid_response", "GET: no data");
    const token = tokenFrom(body.sequence_token, "GET");
    this.expiresAt = expiryFrom(body, response, "GET");
    this.expiryKnown = true;
    return { token, data };
  }

  /** A 409: our earlier attempt landed, the peer wrote first, or a token was altered on the way. */
  private async resolveConflict(data: string, mayHaveLanded: boolean, signal: AbortSignal): Promise<void> {
    const seen = await this.read(signal);
    if (seen.data === data) {
      this.state = seen;
      return;
    }
    if (seen.data === this.state.data) {
      throw proxyInterference(
        "token_rewritten",
        "PUT was refused (409) though the data is still the one our sequence token was given for",
      );
    }
    if (mayHaveLanded) {
      // The peer read our write and answered it, sealed against the token our lost answer carried: that token
      // is gone with the answer, so the peer's message can never be opened (a txnId server avoids this).
      throw new RendezvousError(
        "network",
        "the answer to our write was lost and the peer answered before we could recover its sequence token",
        { reason: "write_answer_lost" },
      );
    }
    throw new RendezvousError("concurrent_write", "the session was written by someone else first (409)", {
      status: 409,
    });
  }
}
