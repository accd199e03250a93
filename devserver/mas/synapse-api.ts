// Synapse's side of the MAS integration, `/_synapse/mas/*` (Synapse 1.160, synapse/rest/synapse/mas/), called the
// way MAS calls it (MAS crates/matrix-synapse/src/modern.rs): JSON bodies, `Authorization: Bearer <shared secret>`.
//   POST provision_user {localpart}            201 {} when created, 200 {} when it existed
//   GET  query_user?localpart=…                200 {user_id, display_name, avatar_url, is_suspended, is_deactivated}
//   POST upsert_device {localpart, device_id}  201 {} when created, 200 {} when it existed; 404 for an unknown user
//   POST delete_device {localpart, device_id}  204; 404 for an unknown user
// A wrong secret is 403 "This endpoint must only be called by MAS". Without `matrix_authentication_service`
// enabled, Synapse does not serve these paths at all (404 M_UNRECOGNIZED).
import type { HomeserverProvisioner } from "../accounts";

/** A call to the homeserver failed; the message says which call, what came back, and what to check. */
export class HomeserverRequestError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or undefined when no answer came (connection refused, timeout). */
    readonly status: number | undefined,
    readonly errcode: string | undefined,
  ) {
    super(message);
    this.name = "HomeserverRequestError";
  }

  /** No answer, or a gateway saying the homeserver is not there yet: worth trying again while it starts. */
  get unreachable(): boolean {
    return this.status === undefined || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

export interface SynapseMasApiOptions {
  /** The homeserver's client-server base URL, no trailing slash. */
  readonly homeserverUrl: string;
  readonly secret: string;
  readonly fetch?: typeof fetch;
  /** Per request; default 10 s, so that a homeserver that hangs fails a token request instead of stalling it. */
  readonly requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

function hintFor(status: number, errcode: string | undefined): string {
  if (status === 403)
    return " (check the shared secret: it must equal Synapse's matrix_authentication_service.secret)";
  if (status === 404 && errcode === "M_UNRECOGNIZED") {
    return " (is matrix_authentication_service enabled on this homeserver?)";
  }
  return "";
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Node's fetch reports "fetch failed" and keeps the socket error (ECONNREFUSED, …) as its cause.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

export class SynapseMasApi implements HomeserverProvisioner {
  private readonly base: string;
  private readonly secret: string;
  private readonly fetch: typeof fetch;
  private readonly requestTimeoutMs: number;

  constructor(options: SynapseMasApiOptions) {
    this.base = `${options.homeserverUrl}/_synapse/mas/`;
    this.secret = options.secret;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** Creates the user if it does not exist (MAS does this when a user registers or is synced). */
  async provisionUser(localpart: string): Promise<void> {
    await this.call(`provision_user for "${localpart}"`, "POST", "provision_user", { localpart });
  }

  /** The user's full Matrix ID; how MAS mode learns the homeserver's server name. */
  async queryUserId(localpart: string): Promise<string> {
    const body = await this.call(
      `query_user for "${localpart}"`,
      "GET",
      `query_user?localpart=${encodeURIComponent(localpart)}`,
    );
    const userId = (body as { user_id?: unknown } | undefined)?.user_id;
    if (typeof userId !== "string") {
      throw new HomeserverRequestError(
        `query_user for "${localpart}": the answer has no user_id`,
        200,
        undefined,
      );
    }
    return userId;
  }

  async upsertDevice(localpart: string, deviceId: string): Promise<void> {
    await this.call(`upsert_device ${deviceId} for "${localpart}"`, "POST", "upsert_device", {
      localpart,
      device_id: deviceId,
    });
  }

  async deleteDevice(localpart: string, deviceId: string): Promise<void> {
    await this.call(`delete_device ${deviceId} for "${localpart}"`, "POST", "delete_device", {
      localpart,
      device_id: deviceId,
    });
  }

  /** The JSON body of a 2xx answer (undefined when empty), or a `HomeserverRequestError`. */
  private async call(
    operation: string,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<unknown> {
    const url = `${this.base}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.secret}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new HomeserverRequestError(
        `${operation}: no answer from the homeserver at ${url}: ${describeCause(error)}`,
        undefined,
        undefined,
      );
    }
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok) return json;
    const error = json as { errcode?: unknown; error?: unknown } | undefined;
    const errcode = typeof error?.errcode === "string" ? error.errcode : undefined;
    const detail =
      errcode === undefined
        ? JSON.stringify(text.slice(0, 200))
        : `${errcode} ${typeof error?.error === "string" ? JSON.stringify(error.error) : ""}`.trim();
    throw new HomeserverRequestError(
      `${operation}: the homeserver answered ${response.status} ${detail}${hintFor(response.status, errcode)}`,
      response.status,
      errcode,
    );
  }
}
