// The OAuth server's options (part of DevserverOptions), their defaults and validation.
import { parseUserSpec, type UserCredentials } from "../accounts";
import type { ScopeFamily } from "./matrix-scopes";

export interface DeviceCodeOptions {
  /** Device code lifetime (`expires_in`). Default 600 s, or MAS's 1200 s with `masQuirks`. */
  ttlS?: number;
  /**
   * The polling `interval` the device authorization response announces and `slow_down` enforces. Default 5 s.
   * A fraction of a second is allowed (RFC 8628 §3.2 makes it a JSON number): tests that run hundreds of device
   * grants pass one, real servers announce whole seconds.
   */
  intervalS?: number;
  /**
   * Answer a pending poll that comes sooner than the interval with `slow_down` and lengthen the interval by 5 s
   * (RFC 8628 §3.5). Default true, false with `masQuirks`: MAS does not send it yet. On with `masQuirks` it is MAS
   * once it has added it (with HTTP 403, as its other polling errors).
   */
  slowDown?: boolean;
}

export interface OAuthOptions {
  /**
   * Who can sign in on the login page, as `localpart:password` (e.g. `alice:secret` signs in `@alice:<serverName>`).
   * Default: nobody (test hooks can still mint tokens and approve codes for provisioned users).
   */
  users?: readonly string[];
  /**
   * Behave like MAS where it departs from RFC 8628 (docs/protocol.md §6): device-grant polling errors with HTTP
   * 403 instead of 400, no `verification_uri_complete`, no `slow_down`, device codes 1200 s / interval 5 s
   * (explicit `deviceCode` values still win).
   */
  masQuirks?: boolean;
  deviceCode?: DeviceCodeOptions;
  /** Access token lifetime; default 300 s (MAS's default). Refresh tokens live 30 days. */
  accessTokenTtlS?: number;
  /**
   * Accept the Matrix scopes of this family only (`invalid_scope` for the other) and list only its API scope in
   * `scopes_supported`, as a server that knows one family does. Default: both, as MAS today.
   */
  scopeFamily?: ScopeFamily;
  /**
   * Serve the OAuth API's discovery: the Matrix auth metadata (both paths), MSC2965's `auth_issuer`, and the
   * authentication section of `.well-known/matrix/client`. Off, every one of them answers 404 `M_UNRECOGNIZED`, as
   * a homeserver without an OAuth API does (Synapse without MAS). Default true.
   */
  authMetadata?: boolean;
  /**
   * MAS's `oauth.device_code_grant_enabled`. Off, the device authorization endpoint answers 400 `invalid_request`
   * before it looks at the client, and registration drops the device-code grant from the grants a client asks
   * for, as MAS's handlers do. The metadata still names the endpoint and the grant: MAS's discovery handler lists
   * them whatever the switch, and a homeserver may serve MAS's metadata from a cache. Default true.
   */
  deviceCodeGrantEnabled?: boolean;
  /** Refuse every client registration, 400 `invalid_client_metadata`, as MAS's registration policy refuses one. */
  refuseRegistration?: boolean;
}

export interface ResolvedOAuthOptions {
  readonly users: readonly UserCredentials[];
  readonly masQuirks: boolean;
  readonly deviceCodeTtlS: number;
  readonly deviceCodeIntervalS: number;
  readonly deviceCodeSlowDown: boolean;
  readonly accessTokenTtlS: number;
  readonly scopeFamilies: readonly ScopeFamily[];
  readonly authMetadata: boolean;
  readonly deviceCodeGrantEnabled: boolean;
  readonly refuseRegistration: boolean;
}

const DEFAULT_DEVICE_CODE_TTL_S = 600;
const MAS_DEVICE_CODE_TTL_S = 1200;
const DEFAULT_INTERVAL_S = 5;
const DEFAULT_ACCESS_TOKEN_TTL_S = 300;

// oidc-provider takes lifetimes as whole seconds, and RFC 8628's `interval` is in seconds.
function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive whole number of seconds, got ${value}`);
  }
  return value;
}

// The polling interval only goes into our own answers and our own `slow_down` check, never into oidc-provider.
function positiveSeconds(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number of seconds, got ${value}`);
  }
  return value;
}

function scopeFamilies(only: ScopeFamily | undefined): readonly ScopeFamily[] {
  return only === undefined ? ["stable", "unstable"] : [only];
}

export function resolveOAuthOptions(options: OAuthOptions): ResolvedOAuthOptions {
  const masQuirks = options.masQuirks === true;
  return {
    users: (options.users ?? []).map(parseUserSpec),
    masQuirks,
    deviceCodeTtlS: positiveInteger(
      "deviceCode.ttlS",
      options.deviceCode?.ttlS ?? (masQuirks ? MAS_DEVICE_CODE_TTL_S : DEFAULT_DEVICE_CODE_TTL_S),
    ),
    deviceCodeIntervalS: positiveSeconds(
      "deviceCode.intervalS",
      options.deviceCode?.intervalS ?? DEFAULT_INTERVAL_S,
    ),
    deviceCodeSlowDown: options.deviceCode?.slowDown ?? !masQuirks,
    accessTokenTtlS: positiveInteger(
      "accessTokenTtlS",
      options.accessTokenTtlS ?? DEFAULT_ACCESS_TOKEN_TTL_S,
    ),
    scopeFamilies: scopeFamilies(options.scopeFamily),
    authMetadata: options.authMetadata !== false,
    deviceCodeGrantEnabled: options.deviceCodeGrantEnabled !== false,
    refuseRegistration: options.refuseRegistration === true,
  };
}
