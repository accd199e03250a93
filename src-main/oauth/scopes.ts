// The Matrix OAuth 2.0 scopes (Matrix spec "OAuth 2.0 API", scopes; MSC2967 for the unstable names): full access to
// the client-server API plus exactly one device scope, both from one family. MAS refuses a request that mixes the
// families or names two devices (docs/protocol.md §6). Element X still sends the unstable pair, matrix-js-sdk the
// stable one; we send the stable pair unless the server lists only the unstable API scope.

export type ScopeFamily = "stable" | "unstable";

export const API_SCOPE: Readonly<Record<ScopeFamily, string>> = {
  stable: "urn:matrix:client:api:*",
  unstable: "urn:matrix:org.matrix.msc2967.client:api:*",
};

const DEVICE_SCOPE_PREFIX: Readonly<Record<ScopeFamily, string>> = {
  stable: "urn:matrix:client:device:",
  unstable: "urn:matrix:org.matrix.msc2967.client:device:",
};

export function deviceScope(family: ScopeFamily, deviceId: string): string {
  return `${DEVICE_SCOPE_PREFIX[family]}${deviceId}`;
}

/** The `scope` parameter: the API scope and the one device scope, space-separated. */
export function matrixScope(family: ScopeFamily, deviceId: string): string {
  return `${API_SCOPE[family]} ${deviceScope(family, deviceId)}`;
}

export function otherFamily(family: ScopeFamily): ScopeFamily {
  return family === "stable" ? "unstable" : "stable";
}

/** The family to ask in: stable, unless `scopes_supported` lists the unstable API scope and not the stable one. */
export function preferredFamily(scopesSupported: readonly string[] | undefined): ScopeFamily {
  if (scopesSupported === undefined) return "stable";
  return scopesSupported.includes(API_SCOPE.unstable) && !scopesSupported.includes(API_SCOPE.stable)
    ? "unstable"
    : "stable";
}
