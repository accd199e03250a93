// OAuth 2.0 server metadata discovery for a Matrix homeserver (docs/protocol.md §6): `GET
// /_matrix/client/v1/auth_metadata` (Matrix v1.15), then MSC2965's unstable path, then the legacy chain
// (`auth_issuer`, then the issuer's OpenID discovery document). A path counts as absent only when the server says
// it does not serve it (404, 405, or 400 `M_UNRECOGNIZED`); any other failure is the answer. Never gated on
// `/versions`: Synapse 1.160 lists only up to v1.12 and serves `auth_metadata` all the same.
import * as oauth from "oauth4webapi";
import { transportProblem } from "../http";
import { isAbsoluteHttpUrl } from "../protocol";
import { OAuthError } from "./errors";
import { libraryOptions, oauthFailure, oauthFetch, statusError, type OAuthCallOptions } from "./http";
import { readAuthMetadata, type AuthMetadata, type AuthMetadataSource } from "./metadata";

export interface DiscoverOptions extends OAuthCallOptions {
  /** The paths to try, in order. Default all three: `["v1", "unstable", "legacy"]`. */
  readonly sources?: readonly AuthMetadataSource[];
}

export const AUTH_METADATA_PATHS = {
  v1: "/_matrix/client/v1/auth_metadata",
  unstable: "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata",
} as const;

/** The legacy issuer paths: an earlier MSC2965 draft's stable name, then the unstable one Synapse serves. */
export const AUTH_ISSUER_PATHS = [
  "/_matrix/client/v1/auth_issuer",
  "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer",
] as const;

const ALL_SOURCES: readonly AuthMetadataSource[] = ["v1", "unstable", "legacy"];

/** The server does not serve this path (as opposed to failing on it). */
async function notServed(response: Response): Promise<boolean> {
  if (response.status === 404 || response.status === 405) return true;
  if (response.status !== 400) return false;
  try {
    const body: unknown = await response.clone().json();
    return (body as { errcode?: unknown } | null)?.errcode === "M_UNRECOGNIZED";
  } catch {
    return false;
  }
}

/** The `issuer` of a JSON body, checked to be a URL before oauth4webapi compares it. */
async function issuerOf(response: Response, what: string): Promise<string> {
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    throw new OAuthError("invalid_response", `${what}: the answer is not JSON`, { reason: "not_json" });
  }
  const issuer = (body as { issuer?: unknown } | null)?.issuer;
  if (typeof issuer !== "string" || !isAbsoluteHttpUrl(issuer)) {
    throw new OAuthError("invalid_response", `${what}: no issuer URL`, { reason: "invalid_metadata" });
  }
  return issuer;
}

type Attempt = { readonly found: AuthMetadata } | { readonly found: undefined };
const ABSENT: Attempt = { found: undefined };

async function fromMetadataPath(
  baseUrl: string,
  source: "v1" | "unstable",
  options: OAuthCallOptions,
): Promise<Attempt> {
  const what = `auth metadata (${AUTH_METADATA_PATHS[source]})`;
  const response = await oauthFetch(options)(`${baseUrl}${AUTH_METADATA_PATHS[source]}`, {
    method: "GET",
    headers: { accept: "application/json" },
    redirect: "manual",
  });
  if (await notServed(response)) return ABSENT;
  if (response.status !== 200) throw statusError(what, response.status);
  const issuer = await issuerOf(response, what);
  // The homeserver names the issuer itself, so oauth4webapi's comparison can only check the document's shape.
  const document = await oauth.processDiscoveryResponse(new URL(issuer), response);
  return { found: readAuthMetadata(document, source, options.allowInsecureHttp === true) };
}

async function fromIssuerPath(baseUrl: string, options: OAuthCallOptions): Promise<Attempt> {
  for (const path of AUTH_ISSUER_PATHS) {
    const what = `auth issuer (${path})`;
    const response = await oauthFetch(options)(`${baseUrl}${path}`, {
      method: "GET",
      headers: { accept: "application/json" },
      redirect: "manual",
    });
    if (await notServed(response)) continue;
    if (response.status !== 200) throw statusError(what, response.status);
    const issuer = new URL(await issuerOf(response, what));
    const insecure = transportProblem(issuer, options.allowInsecureHttp === true);
    if (insecure !== undefined) {
      throw new OAuthError("insecure_transport", `${what}: the issuer is ${insecure}`, {
        reason: "insecure_issuer",
      });
    }
    const discovery = await oauth.discoveryRequest(issuer, libraryOptions(options));
    if (discovery.status !== 200) throw statusError(`OpenID discovery of ${issuer.host}`, discovery.status);
    // Here the issuer came from the homeserver and the document must name the same one (OpenID Discovery §4.3).
    // oauth4webapi parses the document's issuer with `new URL` before comparing: one that is no URL would escape
    // as its TypeError, so it is checked first.
    await issuerOf(discovery, `OpenID discovery of ${issuer.host}`);
    const document = await oauth.processDiscoveryResponse(issuer, discovery);
    return { found: readAuthMetadata(document, "legacy", options.allowInsecureHttp === true) };
  }
  return ABSENT;
}

/** The homeserver's OAuth 2.0 server metadata, validated, with the path that answered in `source`. */
export async function discoverAuthMetadata(baseUrl: string, options: DiscoverOptions): Promise<AuthMetadata> {
  const base = baseUrl.replace(/\/+$/, "");
  if (!isAbsoluteHttpUrl(base))
    throw new TypeError("discoverAuthMetadata needs an absolute http(s) base URL");
  const sources = options.sources ?? ALL_SOURCES;
  for (const source of sources) {
    let attempt: Attempt;
    try {
      attempt =
        source === "legacy"
          ? await fromIssuerPath(base, options)
          : await fromMetadataPath(base, source, options);
    } catch (error) {
      throw oauthFailure(error, `OAuth discovery (${source})`, options.signal);
    }
    if (attempt.found !== undefined) return attempt.found;
  }
  throw new OAuthError(
    "no_oauth_api",
    `the homeserver serves no OAuth 2.0 metadata (tried ${sources.join(", ")})`,
  );
}
