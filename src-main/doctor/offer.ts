// What a homeserver offers for the rendezvous, per wire version (docs/protocol.md §2, §8): v2024 when `GET
// /_matrix/client/versions` lists `org.matrix.msc4108` in `unstable_features`, v2025 by MSC4388 discovery (`GET
// {base}`: 200 with `create_available`, 404 switched off, 401 only for a signed-in user, 403 refused). The flows'
// version choice (src-main/flows/preflight.ts) and the doctor both read it from here.
import { createBoundedFetch } from "../http";
import { discoverV2025Rendezvous, isRendezvousError, type Runtime } from "../protocol";

/** What `GET /_matrix/client/versions` says, as far as the sign-in needs it. */
export interface ServerVersions {
  readonly versions: readonly string[];
  /** `unstable_features["org.matrix.msc4108"] === true`: the v2024 rendezvous is served. */
  readonly msc4108: boolean;
}

export interface VersionsAnswer {
  /** The HTTP status. */
  readonly status: number;
  /** The parsed answer; undefined when the status is not 200 or the body is not a Matrix versions document. */
  readonly versions?: ServerVersions;
}

export interface OfferOptions {
  readonly baseUrl: string;
  readonly signal: AbortSignal;
  readonly allowInsecureHttp?: boolean;
  /** Time for one request, on the runtime's clock. Default 20 s. */
  readonly requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/** `/versions` is a few hundred bytes; Synapse's with every unstable feature about 3 KiB. */
const MAX_VERSIONS_BYTES = 64 * 1024;

function parseVersions(text: string): ServerVersions | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const { versions, unstable_features: features } = body as Record<string, unknown>;
  if (!Array.isArray(versions) || !versions.every((version) => typeof version === "string")) return undefined;
  const msc4108 =
    typeof features === "object" &&
    features !== null &&
    (features as Record<string, unknown>)["org.matrix.msc4108"] === true;
  return { versions, msc4108 };
}

/**
 * `GET /_matrix/client/versions` (transcript layer `matrix`). A network failure or a refused transport throws
 * (HttpTransportError); any answer is returned, with `versions` only for a 200 Matrix versions document.
 */
export async function fetchServerVersions(runtime: Runtime, options: OfferOptions): Promise<VersionsAnswer> {
  const fetch = createBoundedFetch({
    runtime,
    layer: "matrix",
    signal: options.signal,
    timeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxResponseBytes: MAX_VERSIONS_BYTES,
    allowInsecureHttp: options.allowInsecureHttp === true,
  });
  const response = await fetch(`${options.baseUrl.replace(/\/+$/, "")}/_matrix/client/versions`, {
    method: "GET",
    headers: { accept: "application/json" },
    redirect: "error",
    cache: "no-store",
  });
  const text = await response.text();
  if (response.status !== 200) return { status: response.status };
  const versions = parseVersions(text);
  return versions === undefined ? { status: 200 } : { status: 200, versions };
}

/** MSC4388 discovery, read: what a device that wants to show a v2025 QR code can do on this server. */
export type V2025Availability =
  | { readonly kind: "available" }
  /** Served, but `create_available: false`. */
  | { readonly kind: "create_unavailable" }
  /** Not served (404 `M_UNRECOGNIZED`, or 404/405 from something in front of the server). */
  | { readonly kind: "off" }
  /** 401: only for a signed-in user (Synapse's `authenticated` mode), and we had no token, or it was refused. */
  | { readonly kind: "needs_sign_in"; readonly tokenRefused: boolean }
  /** 403: refused (Tuwunel's default without a token, or a policy). */
  | { readonly kind: "forbidden" };

export interface V2025AvailabilityOptions extends OfferOptions {
  /** How long discovery keeps retrying network failures, 429 and 5xx. Default 20 s (DEFAULT_RETRY_WINDOW_MS). */
  readonly retryWindowMs?: number;
  /** Asked for only when the server answers 401 without one; undefined when there is none after all. */
  readonly accessToken?: (signal: AbortSignal) => Promise<string | undefined>;
}

/** MSC4388 discovery, without a token first. Network failures and malformed answers throw (RendezvousError). */
export async function v2025Availability(
  runtime: Runtime,
  options: V2025AvailabilityOptions,
): Promise<V2025Availability> {
  const discover = async (accessToken?: string): Promise<V2025Availability> => {
    try {
      const found = await discoverV2025Rendezvous({
        runtime,
        signal: options.signal,
        baseUrl: options.baseUrl,
        allowInsecureHttp: options.allowInsecureHttp === true,
        ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
        ...(options.retryWindowMs === undefined ? {} : { retryWindowMs: options.retryWindowMs }),
        ...(accessToken === undefined ? {} : { accessToken }),
      });
      if (!found.served) return { kind: "off" };
      return { kind: found.createAvailable ? "available" : "create_unavailable" };
    } catch (error) {
      if (isRendezvousError(error, "unauthorized")) {
        return { kind: "needs_sign_in", tokenRefused: accessToken !== undefined };
      }
      if (isRendezvousError(error, "forbidden")) return { kind: "forbidden" };
      if (isRendezvousError(error, "not_supported")) return { kind: "off" };
      throw error;
    }
  };
  const first = await discover();
  if (first.kind !== "needs_sign_in" || options.accessToken === undefined) return first;
  const token = await options.accessToken(options.signal);
  return token === undefined ? first : discover(token);
}

export interface VersionOffer {
  readonly v2024: boolean;
  /** `needs_sign_in`: served, but only for a signed-in user and we had no token. */
  readonly v2025: boolean | "needs_sign_in";
}

/**
 * What the homeserver at `baseUrl` offers. Network failures throw; "not offered" is an answer (a `/versions` that
 * fails or is not a versions document offers no v2024).
 */
export async function rendezvousOffer(
  runtime: Runtime,
  options: V2025AvailabilityOptions,
): Promise<VersionOffer> {
  const [versions, v2025] = await Promise.all([
    fetchServerVersions(runtime, options),
    v2025Availability(runtime, options),
  ]);
  return {
    v2024: versions.versions?.msc4108 === true,
    v2025: v2025.kind === "available" ? true : v2025.kind === "needs_sign_in" ? "needs_sign_in" : false,
  };
}
