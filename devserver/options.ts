// The devserver's options, their defaults (what Synapse 1.160 serves, docs/protocol.md §2) and their validation.
import type { MasModeOptions } from "./mas/options";
import type { OAuthOptions } from "./oauth/options";

export type V2025PutShape = "plain" | "txn" | "both";
export type Msc4388Mode = "open" | "authenticated" | "off";

/** Answers whether an access token is valid. The OAuth part of the devserver supplies it. */
export type Authenticate = (token: string) => Promise<{ userId: string } | null>;

export interface RendezvousOptions {
  /** v2024 session lifetime, counted from creation and never extended (Synapse: 60 s). */
  ttlV2024S?: number;
  /** v2025 session lifetime, counted from creation and never extended (Synapse: 120 s). */
  ttlV2025S?: number;
  /**
   * Sessions kept per API. As Synapse: reaching twice this many drops the oldest down to `capacity` at once, and
   * a sweep every 60 s drops expired sessions and the oldest beyond `capacity`.
   */
  capacity?: number;
  /** v2024: largest body (`Content-Length`); v2025: largest `data` in UTF-8 bytes. */
  maxBytes?: number;
  /**
   * Which v2025 send shapes are served: `plain` = `PUT {base}/{id}` only (Synapse 1.160), `txn` =
   * `PUT {base}/{id}/{txnId}` only (newest MSC4388 text), `both`.
   */
  v2025Put?: V2025PutShape;
  /** Also serve MSC4388 at the stable `/_matrix/client/v1/rendezvous` (Synapse 1.160 does not: 404). */
  v2025Stable?: boolean;
  /** MSC4388: `open` (no token needed), `authenticated` (discover and create need one), `off` (not served). */
  msc4388Mode?: Msc4388Mode;
  /** Serve the v2024 (MSC4108) rendezvous API and advertise `org.matrix.msc4108` in /versions. */
  msc4108?: boolean;
}

/** The OAuth server's options (`users`, `masQuirks`, `deviceCode`, `accessTokenTtlS`) are in oauth/options.ts. */
export interface DevserverOptions extends OAuthOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Base URL the server hands out in URLs (Synapse's `public_baseurl`); default: the listening address. */
  publicBaseUrl?: string;
  /** The Matrix server name; default `localhost:<port>`. */
  serverName?: string;
  /** Serve the `/_devserver/*` test-control paths (otherwise they are 404 like any unknown path). */
  testHooks?: boolean;
  rendezvous?: RendezvousOptions;
  /**
   * Checks access tokens where the server needs one (MSC4388 `authenticated` mode). Default: the devserver's own
   * account store, which knows the tokens its OAuth server and test hooks issued.
   */
  authenticate?: Authenticate;
  /** Time source in Unix milliseconds (default `Date.now`); `hooks.clock.advance` adds to it. */
  now?: () => number;
  /**
   * MAS mode: play MAS for this homeserver (devserver/mas/). Only the OAuth side is served; the server name is the
   * homeserver's, and at least one user is needed (it is provisioned there at start).
   */
  mas?: MasModeOptions;
}

export type ResolvedRendezvousOptions = Required<RendezvousOptions>;

export const DEFAULT_RENDEZVOUS_OPTIONS: ResolvedRendezvousOptions = {
  ttlV2024S: 60,
  ttlV2025S: 120,
  capacity: 100,
  maxBytes: 4096,
  v2025Put: "plain",
  v2025Stable: false,
  msc4388Mode: "open",
  msc4108: true,
};

const V2025_PUT_SHAPES: readonly string[] = ["plain", "txn", "both"];
const MSC4388_MODES: readonly string[] = ["open", "authenticated", "off"];

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export function resolveRendezvousOptions(options: RendezvousOptions = {}): ResolvedRendezvousOptions {
  const merged = { ...DEFAULT_RENDEZVOUS_OPTIONS, ...options };
  if (!V2025_PUT_SHAPES.includes(merged.v2025Put)) {
    throw new TypeError(`v2025Put must be one of ${V2025_PUT_SHAPES.join(", ")}, got ${merged.v2025Put}`);
  }
  if (!MSC4388_MODES.includes(merged.msc4388Mode)) {
    throw new TypeError(`msc4388Mode must be one of ${MSC4388_MODES.join(", ")}, got ${merged.msc4388Mode}`);
  }
  return {
    ...merged,
    ttlV2024S: positive("ttlV2024S", merged.ttlV2024S),
    ttlV2025S: positive("ttlV2025S", merged.ttlV2025S),
    capacity: positiveInteger("capacity", merged.capacity),
    maxBytes: positiveInteger("maxBytes", merged.maxBytes),
  };
}
