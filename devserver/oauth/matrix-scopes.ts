// The Matrix OAuth 2.0 scopes (Matrix spec "OAuth 2.0 API" scopes; MSC2967 for the unstable names) and the rules
// MAS applies to them (policies/authorization_grant.rego, docs/protocol.md §6). Every token this server issues names
// exactly one device, so a request must carry the API scope and exactly one device scope, from one family.

export type ScopeFamily = "stable" | "unstable";

const FAMILY_PREFIX: Readonly<Record<ScopeFamily, string>> = {
  stable: "urn:matrix:client:",
  unstable: "urn:matrix:org.matrix.msc2967.client:",
};

/** The full-access API scope of each family. */
export const API_SCOPE: Readonly<Record<ScopeFamily, string>> = {
  stable: `${FAMILY_PREFIX.stable}api:*`,
  unstable: `${FAMILY_PREFIX.unstable}api:*`,
};

const DEVICE_PREFIX: Readonly<Record<ScopeFamily, string>> = {
  stable: `${FAMILY_PREFIX.stable}device:`,
  unstable: `${FAMILY_PREFIX.unstable}device:`,
};

/**
 * MAS's device ID policy: at least 10 characters from RFC 3986 unreserved and sub-delims plus `:@/`. MAS's docs say
 * `[A-Za-z0-9-]`, but the policy is what runs; it admits Element X's unpadded base64 identity keys (`+`, `/`).
 *
 * The client-side rule is the protocol core's `DEVICE_ID` (src-main/protocol/grammar.ts): the same characters, but
 * 10 to 255 of them. They differ on purpose. This server mirrors MAS, which sets no maximum, so that tests see what
 * a real deployment accepts; the client caps what a peer's `m.login.protocol` may make it carry, show, log or put
 * into a URL. A device ID over 255 characters is therefore one this server grants and our client refuses.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._~!$&'()*+,;=:@/-]{10,}$/;

/** Scopes a client may add beside the Matrix ones. */
const OTHER_ALLOWED_SCOPES: ReadonlySet<string> = new Set(["openid"]);

export interface MatrixScopeGrant {
  readonly family: ScopeFamily;
  readonly deviceId: string;
  /** The API scope and the device scope, in that order. */
  readonly matrixScopes: readonly [string, string];
  readonly openid: boolean;
}

export type MatrixScopeCheck =
  ({ readonly ok: true } & MatrixScopeGrant) | { readonly ok: false; readonly reason: string };

interface ClassifiedScope {
  readonly family: ScopeFamily;
  readonly kind: "api" | "device";
  readonly deviceId?: string;
}

function classify(scope: string): ClassifiedScope | undefined {
  for (const family of ["stable", "unstable"] as const) {
    if (scope === API_SCOPE[family]) return { family, kind: "api" };
    if (scope.startsWith(DEVICE_PREFIX[family])) {
      return { family, kind: "device", deviceId: scope.slice(DEVICE_PREFIX[family].length) };
    }
  }
  return undefined;
}

function refuse(reason: string): MatrixScopeCheck {
  return { ok: false, reason };
}

/** The device scope for `deviceId` in `family`. */
export function deviceScope(family: ScopeFamily, deviceId: string): string {
  return `${DEVICE_PREFIX[family]}${deviceId}`;
}

/** Checks a space-separated OAuth `scope` value against the Matrix rules; the reason names the broken rule. */
export function checkMatrixScopes(scope: string | undefined): MatrixScopeCheck {
  const requested = new Set((scope ?? "").split(" ").filter((part) => part !== ""));
  const families = new Set<ScopeFamily>();
  const deviceIds = new Set<string>();
  let hasApi = false;
  for (const part of requested) {
    if (OTHER_ALLOWED_SCOPES.has(part)) continue;
    const classified = classify(part);
    if (classified === undefined) return refuse(`scope "${part}" is not supported by this server`);
    families.add(classified.family);
    if (classified.kind === "api") hasApi = true;
    else deviceIds.add(classified.deviceId ?? "");
  }
  if (families.size > 1) {
    return refuse(
      `stable (${FAMILY_PREFIX.stable}*) and unstable (${FAMILY_PREFIX.unstable}*) scopes must not be mixed`,
    );
  }
  if (deviceIds.size === 0) return refuse("exactly one device scope (…:device:<device ID>) is required");
  if (deviceIds.size > 1) return refuse("only one device scope is allowed per request");
  const [deviceId] = [...deviceIds];
  const [family] = [...families];
  if (deviceId === undefined || family === undefined) return refuse("exactly one device scope is required");
  if (!DEVICE_ID_PATTERN.test(deviceId)) {
    return refuse(
      `device ID "${deviceId}" must be at least 10 characters from A-Z a-z 0-9 and ._~!$&'()*+,;=:@/-`,
    );
  }
  if (!hasApi) return refuse(`a device scope requires the ${API_SCOPE[family]} scope`);
  return {
    ok: true,
    family,
    deviceId,
    matrixScopes: [API_SCOPE[family], deviceScope(family, deviceId)],
    openid: requested.has("openid"),
  };
}
