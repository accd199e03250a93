// The homeserver doctor: every preflight check of docs/ux.md against one homeserver, each with the real cause of a
// failure, and whether a QR sign-in can work there at all (and if not, the one missing piece to name). Plain Node,
// a pure function over a Runtime: it changes nothing a user would notice. It registers a client with the app's own
// metadata (MAS returns the same client for identical metadata), starts a device authorization for a throwaway
// device ID and abandons it (the device code expires unused), and runs a rendezvous round trip per wire version.
//
// Checks, in report order (ids are stable; the renderer labels them):
//   well_known            the homeserver's base URL from `.well-known/matrix/client` (a URL given is used as is)
//   versions              `GET /_matrix/client/versions` answers as a Matrix homeserver
//   oauth_metadata        the OAuth 2.0 server metadata (Matrix v1.15, MSC2965), else `no_oauth_api`
//   device_grant          the metadata offers the device authorization grant, else `no_device_grant`
//   registration          dynamic client registration with the app's metadata, else `registration_refused`
//   device_authorization  the grant's endpoint hands out a device code, else `device_grant_disabled`
//   rendezvous_v2024      `org.matrix.msc4108` in `/versions`
//   round_trip_v2024      a v2024 session, end to end
//   rendezvous_v2025      MSC4388 discovery (`needs_sign_in` on 401, `no_rendezvous` when off)
//   round_trip_v2025      a v2025 session, end to end
import type { DoctorCheckId, DoctorReport } from "../../src-shared/contract";
import { isHttpTransportError } from "../http";
import {
  createMemoryClientRegistrationStore,
  discoverAuthMetadata,
  isOAuthError,
  registerClient,
  resolveHomeserver,
  startDeviceAuthorization,
  supportsDeviceGrant,
  DEVICE_CODE_GRANT,
  type AuthMetadata,
} from "../oauth";
import { isRendezvousError, type Runtime, type WireVersion } from "../protocol";
import { fetchServerVersions, v2025Availability, type ServerVersions, type V2025Availability } from "./offer";
import { rendezvousRoundTrip, type RoundTripResult } from "./round-trip";

export type { DoctorCheckId };

export type DoctorCheck = DoctorReport["checks"][number] & { readonly id: DoctorCheckId };

export interface DoctorTimeouts {
  /** One HTTP request. Default 10 s. */
  readonly requestTimeoutMs: number;
  /** How long a rendezvous discovery, create or join keeps retrying transient failures. Default 5 s. */
  readonly retryWindowMs: number;
  /** One rendezvous round trip, create to delete. Default 20 s. */
  readonly roundTripMs: number;
}

export const DEFAULT_DOCTOR_TIMEOUTS: DoctorTimeouts = {
  requestTimeoutMs: 10_000,
  retryWindowMs: 5_000,
  roundTripMs: 20_000,
};

export interface RunDoctorOptions {
  readonly runtime: Runtime;
  /** Ends the run; it then rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /** Admit plain http to loopback hosts (the devserver). Default false. */
  readonly allowInsecureHttp?: boolean;
  /**
   * A signed-in user's access token, for a server that offers MSC4388 only to signed-in users (discovery and
   * create). Without one such a server is reported `needs_sign_in`.
   */
  readonly accessToken?: string;
  /**
   * A signed-in profile: its access token is asked for only when the homeserver checked is the profile's own
   * (the same base URL once resolved) and MSC4388 discovery needs a signed-in user. It answers undefined when it
   * has no usable token after all.
   */
  readonly signedIn?: {
    readonly homeserver: string;
    accessToken(signal: AbortSignal): Promise<string | undefined>;
  };
  readonly timeouts?: Partial<DoctorTimeouts>;
}

/** Longest detail the report carries (src-shared/contract.ts). */
const MAX_DETAIL = 400;

function capped(detail: string): string {
  return detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail;
}

function ok(id: DoctorCheckId, detail?: string): DoctorCheck {
  return { id, status: "ok", ...(detail === undefined ? {} : { detail: capped(detail) }) };
}

function failed(id: DoctorCheckId, cause: string, detail: string): DoctorCheck {
  return { id, status: "failed", cause, detail: capped(detail) };
}

/** A check that could not run because `blocker` failed: it carries the blocker's cause. */
function skipped(id: DoctorCheckId, blocker: DoctorCheck, detail?: string): DoctorCheck {
  return {
    id,
    status: "skipped",
    ...(blocker.cause === undefined ? {} : { cause: blocker.cause }),
    detail: capped(detail ?? `not checked: ${blocker.id} failed`),
  };
}

/**
 * The cause of an error from the OAuth client, the HTTP layer or a rendezvous client, in the doctor's words; our
 * own bugs (anything else) are rethrown.
 */
function causeOf(error: unknown, signal: AbortSignal): { cause: string; detail: string } {
  if (signal.aborted) throw signal.reason;
  if (isOAuthError(error)) {
    const cause =
      error.code === "network" || error.code === "timeout"
        ? "unreachable"
        : error.code === "invalid_homeserver"
          ? (error.reason ?? "invalid_homeserver")
          : error.code;
    return { cause, detail: error.message };
  }
  if (isHttpTransportError(error)) {
    const cause = error.code === "insecure_transport" ? "insecure_transport" : "unreachable";
    return { cause, detail: error.message };
  }
  if (isRendezvousError(error)) {
    const cause =
      error.code === "network"
        ? "unreachable"
        : error.code === "proxy_interference"
          ? (error.reason ?? error.code)
          : error.code;
    return { cause, detail: error.message };
  }
  throw error;
}

async function attempt<T>(
  signal: AbortSignal,
  work: () => Promise<T>,
): Promise<{ readonly value: T } | { readonly cause: string; readonly detail: string }> {
  try {
    return { value: await work() };
  } catch (error) {
    return causeOf(error, signal);
  }
}

interface Context {
  readonly runtime: Runtime;
  readonly signal: AbortSignal;
  readonly allowInsecureHttp: boolean;
  /** A signed-in user's access token, asked for only when MSC4388 discovery needs one. */
  readonly accessToken?: (signal: AbortSignal) => Promise<string | undefined>;
  readonly timeouts: DoctorTimeouts;
  readonly baseUrl: string;
}

/** oauth_metadata, device_grant, registration, device_authorization. */
async function oauthChecks(context: Context): Promise<DoctorCheck[]> {
  const { runtime, signal, allowInsecureHttp, timeouts, baseUrl } = context;
  const call = { runtime, signal, allowInsecureHttp, requestTimeoutMs: timeouts.requestTimeoutMs };
  const discovered = await attempt(signal, () => discoverAuthMetadata(baseUrl, call));
  if (!("value" in discovered)) {
    const metadata = failed("oauth_metadata", discovered.cause, discovered.detail);
    return [
      metadata,
      skipped("device_grant", metadata),
      skipped("registration", metadata),
      skipped("device_authorization", metadata),
    ];
  }
  const metadata: AuthMetadata = discovered.value;
  const checks: DoctorCheck[] = [ok("oauth_metadata", `issuer ${metadata.issuer} (${metadata.source} path)`)];

  const grant = supportsDeviceGrant(metadata)
    ? ok("device_grant", `device authorization endpoint ${metadata.deviceAuthorizationEndpoint ?? ""}`)
    : failed(
        "device_grant",
        "no_device_grant",
        metadata.deviceAuthorizationEndpoint === undefined
          ? "the metadata names no device_authorization_endpoint"
          : `grant_types_supported does not list ${DEVICE_CODE_GRANT}`,
      );
  checks.push(grant);

  const registered = await attempt(signal, () =>
    registerClient(metadata, { ...call, store: createMemoryClientRegistrationStore(), forceNew: true }),
  );
  const registration =
    "value" in registered
      ? ok("registration", "a public client registered with the app's metadata")
      : failed("registration", registered.cause, registered.detail);
  checks.push(registration);

  if (grant.status !== "ok") {
    checks.push(skipped("device_authorization", grant));
  } else if (!("value" in registered)) {
    checks.push(skipped("device_authorization", registration));
  } else {
    // A device ID no real device has; the code it gets is never shown to anyone and expires unused.
    const deviceId = `DOCTOR${[...runtime.random(8)].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
    const started = await attempt(signal, () =>
      startDeviceAuthorization({ ...call, metadata, clientId: registered.value.clientId, deviceId }),
    );
    checks.push(
      "value" in started
        ? ok("device_authorization", "the server handed out a device code (abandoned; it expires unused)")
        : failed("device_authorization", started.cause, started.detail),
    );
  }
  return checks;
}

function roundTripCheck(id: DoctorCheckId, result: RoundTripResult): DoctorCheck {
  return result.ok ? ok(id, result.detail) : failed(id, result.cause, result.detail);
}

function roundTrip(context: Context, version: WireVersion, accessToken?: string): Promise<RoundTripResult> {
  return rendezvousRoundTrip(version, {
    runtime: context.runtime,
    signal: context.signal,
    baseUrl: context.baseUrl,
    allowInsecureHttp: context.allowInsecureHttp,
    ...(accessToken === undefined ? {} : { accessToken }),
    requestTimeoutMs: context.timeouts.requestTimeoutMs,
    retryWindowMs: context.timeouts.retryWindowMs,
    timeoutMs: context.timeouts.roundTripMs,
  });
}

/** rendezvous_v2024 and round_trip_v2024, from what `/versions` said (`versions` failed: both skipped). */
async function v2024Checks(context: Context, versions: ServerVersions | DoctorCheck): Promise<DoctorCheck[]> {
  if ("id" in versions) return [skipped("rendezvous_v2024", versions), skipped("round_trip_v2024", versions)];
  if (!versions.msc4108) {
    const offered = failed(
      "rendezvous_v2024",
      "no_rendezvous",
      "/_matrix/client/versions does not list org.matrix.msc4108 (Synapse: experimental_features.msc4108_enabled)",
    );
    return [offered, skipped("round_trip_v2024", offered)];
  }
  return [
    ok("rendezvous_v2024", "org.matrix.msc4108 in /_matrix/client/versions"),
    roundTripCheck("round_trip_v2024", await roundTrip(context, "v2024")),
  ];
}

function v2025Offered(availability: V2025Availability): DoctorCheck {
  switch (availability.kind) {
    case "available":
      return ok("rendezvous_v2025", "MSC4388 discovery: create_available");
    case "create_unavailable":
      return failed("rendezvous_v2025", "no_rendezvous", "MSC4388 discovery: create_available is false");
    case "off":
      return failed("rendezvous_v2025", "no_rendezvous", "MSC4388 discovery: not served (404)");
    case "needs_sign_in":
      return failed(
        "rendezvous_v2025",
        "needs_sign_in",
        availability.tokenRefused
          ? "MSC4388 discovery: 401 even with the access token given"
          : "MSC4388 discovery: 401, only for signed-in users (Synapse's msc4388_mode: authenticated); run again signed in",
      );
    case "forbidden":
      return failed("rendezvous_v2025", "forbidden", "MSC4388 discovery: refused (403)");
  }
}

/** rendezvous_v2025 and round_trip_v2025. */
async function v2025Checks(context: Context): Promise<DoctorCheck[]> {
  const source = context.accessToken;
  // The create goes with the token exactly when discovery needed it (a signed-in user's create).
  let token: string | undefined;
  const found = await attempt(context.signal, () =>
    v2025Availability(context.runtime, {
      baseUrl: context.baseUrl,
      signal: context.signal,
      allowInsecureHttp: context.allowInsecureHttp,
      requestTimeoutMs: context.timeouts.requestTimeoutMs,
      retryWindowMs: context.timeouts.retryWindowMs,
      ...(source === undefined ? {} : { accessToken: async (signal) => (token = await source(signal)) }),
    }),
  );
  if (!("value" in found)) {
    const offered = failed("rendezvous_v2025", found.cause, found.detail);
    return [offered, skipped("round_trip_v2025", offered)];
  }
  const offered = v2025Offered(found.value);
  if (offered.status !== "ok") return [offered, skipped("round_trip_v2025", offered)];
  return [offered, roundTripCheck("round_trip_v2025", await roundTrip(context, "v2025", token))];
}

/** versions, then both versions' rendezvous checks. */
async function rendezvousChecks(context: Context): Promise<DoctorCheck[]> {
  const answer = await attempt(context.signal, () =>
    fetchServerVersions(context.runtime, {
      baseUrl: context.baseUrl,
      signal: context.signal,
      allowInsecureHttp: context.allowInsecureHttp,
      requestTimeoutMs: context.timeouts.requestTimeoutMs,
    }),
  );
  let versions: ServerVersions | DoctorCheck;
  let versionsCheck: DoctorCheck;
  if (!("value" in answer)) {
    versionsCheck = failed("versions", answer.cause, answer.detail);
    versions = versionsCheck;
  } else if (answer.value.versions === undefined) {
    versionsCheck = failed(
      "versions",
      "not_a_homeserver",
      `GET /_matrix/client/versions answered ${answer.value.status} without a Matrix versions document`,
    );
    versions = versionsCheck;
  } else {
    const newest = answer.value.versions.versions.at(-1);
    versionsCheck = ok("versions", `spec versions up to ${newest ?? "none"}`);
    versions = answer.value.versions;
  }
  const [v2024, v2025] = await Promise.all([v2024Checks(context, versions), v2025Checks(context)]);
  return [versionsCheck, ...v2024, ...v2025];
}

const OAUTH_PIECES: readonly DoctorCheckId[] = [
  "oauth_metadata",
  "device_grant",
  "registration",
  "device_authorization",
];

/**
 * The one piece to name when a QR sign-in cannot work: the homeserver itself, then the OAuth side in the order a
 * sign-in meets it, then the rendezvous (a version offered but broken says more than one not offered, and "sign in
 * first" more than "not offered").
 */
function missingPiece(checks: readonly DoctorCheck[]): string | undefined {
  const byId = new Map(checks.map((check) => [check.id, check]));
  for (const id of ["well_known", "versions", ...OAUTH_PIECES] as const) {
    const check = byId.get(id);
    if (check !== undefined && check.status !== "ok" && check.status !== "skipped") return check.cause;
    if (check?.status === "skipped" && check.cause !== "not_needed") return check.cause;
  }
  const trips = [byId.get("round_trip_v2024"), byId.get("round_trip_v2025")];
  if (trips.some((trip) => trip?.status === "ok")) return undefined;
  const broken = trips.find((trip) => trip?.status === "failed");
  if (broken !== undefined) return broken.cause;
  const offers = [byId.get("rendezvous_v2024"), byId.get("rendezvous_v2025")];
  const telling = offers.find((offer) => offer?.cause !== undefined && offer.cause !== "no_rendezvous");
  return telling?.cause ?? "no_rendezvous";
}

/** Two client-server API base URLs name the same server (origin and path, a trailing slash aside). */
function sameBaseUrl(a: string, b: string): boolean {
  const normal = (url: string): string | undefined => {
    try {
      const parsed = new URL(url);
      return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
    } catch {
      return undefined;
    }
  };
  const left = normal(a);
  return left !== undefined && left === normal(b);
}

/** Runs every check against `homeserver` (a server name or a base URL). Rejects only when `signal` aborts. */
export async function runDoctor(homeserver: string, options: RunDoctorOptions): Promise<DoctorReport> {
  const { runtime, signal } = options;
  const allowInsecureHttp = options.allowInsecureHttp === true;
  const timeouts: DoctorTimeouts = { ...DEFAULT_DOCTOR_TIMEOUTS, ...options.timeouts };
  const resolved = await attempt(signal, () =>
    resolveHomeserver(homeserver, {
      runtime,
      signal,
      allowInsecureHttp,
      requestTimeoutMs: timeouts.requestTimeoutMs,
    }),
  );
  if (!("value" in resolved)) {
    const wellKnown = failed("well_known", resolved.cause, resolved.detail);
    const rest: DoctorCheckId[] = [
      "versions",
      ...OAUTH_PIECES,
      "rendezvous_v2024",
      "round_trip_v2024",
      "rendezvous_v2025",
      "round_trip_v2025",
    ];
    const checks = [wellKnown, ...rest.map((id) => skipped(id, wellKnown))];
    return { homeserver, checks, ok: false, missing: resolved.cause };
  }
  const { baseUrl, serverName } = resolved.value;
  const wellKnown =
    serverName === undefined
      ? {
          id: "well_known" as const,
          status: "skipped" as const,
          cause: "not_needed",
          detail: "a base URL was given",
        }
      : ok("well_known", `${serverName} → ${baseUrl}`);
  const given = options.accessToken;
  const signedIn = options.signedIn;
  // A profile's token goes to its own homeserver only.
  const accessToken =
    given !== undefined
      ? () => Promise.resolve(given)
      : signedIn !== undefined && sameBaseUrl(signedIn.homeserver, baseUrl)
        ? (s: AbortSignal) => signedIn.accessToken(s)
        : undefined;
  const context: Context = {
    runtime,
    signal,
    allowInsecureHttp,
    timeouts,
    baseUrl,
    ...(accessToken === undefined ? {} : { accessToken }),
  };
  const [oauth, rendezvous] = await Promise.all([oauthChecks(context), rendezvousChecks(context)]);
  const [versions, ...byVersion] = rendezvous;
  const checks = [wellKnown, ...(versions === undefined ? [] : [versions]), ...oauth, ...byVersion];
  const missing = missingPiece(checks);
  return {
    homeserver,
    baseUrl,
    checks,
    ok: missing === undefined,
    ...(missing === undefined ? {} : { missing }),
  };
}
