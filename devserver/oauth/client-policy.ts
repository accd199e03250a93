// Dynamic client registration rules (RFC 7591) as a Matrix homeserver with MAS applies them: the Matrix spec's
// client metadata (`oauth2-client-metadata`) and MAS's policy (policies/client_registration, oauth2-types
// registration checks), docs/protocol.md §6. Pure: it reads the submitted JSON and either refuses it, naming the rule,
// or returns the grant and response types the client gets (MAS's defaults filled in).

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** The grants a public Matrix client can register for (MAS refuses client_credentials without a secret). */
const SUPPORTED_GRANTS: ReadonlySet<string> = new Set([
  "authorization_code",
  "refresh_token",
  DEVICE_CODE_GRANT,
]);

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

export type ClientPolicyResult =
  | {
      readonly ok: true;
      readonly grantTypes: readonly string[];
      readonly responseTypes: readonly string[];
      readonly applicationType: "web" | "native";
    }
  | {
      readonly ok: false;
      /** `invalid_redirect_uri` for the redirect URI rules, else `invalid_client_metadata` (RFC 7591 §3.2.2). */
      readonly error: "invalid_client_metadata" | "invalid_redirect_uri";
      readonly description: string;
    };

function refuseMetadata(description: string): ClientPolicyResult {
  return { ok: false, error: "invalid_client_metadata", description };
}

function refuseRedirect(description: string): ClientPolicyResult {
  return { ok: false, error: "invalid_redirect_uri", description };
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/** `candidate` is `base` or one of its subdomains (MAS `is_subdomain`). */
function isSameOrSubdomain(base: string, candidate: string): boolean {
  return candidate === base || candidate.endsWith(`.${base}`);
}

/**
 * A URL the spec calls secure: https, no user info, and not a loopback host (MAS `secure_url`; the Matrix spec
 * requires https for client_uri and the URIs that share its host).
 */
function secureUrl(value: string): URL | undefined {
  const url = URL.parse(value);
  if (url?.protocol !== "https:" || url.username !== "" || url.password !== "") return undefined;
  if (LOOPBACK_HOSTS.has(url.hostname) || url.hostname === "0.0.0.0") return undefined;
  return url;
}

/** A private-use scheme that is the reverse of the client_uri host or a subdomain of it (`com.example.app:`). */
function reverseDomainMatches(scheme: string, clientHost: string): boolean {
  const reversedHost = clientHost.split(".").reverse();
  const labels = scheme.split(".");
  return (
    labels.length >= reversedHost.length && reversedHost.every((label, index) => labels[index] === label)
  );
}

function checkRedirectUri(
  uri: string,
  applicationType: "web" | "native",
  clientHost: string,
): string | undefined {
  const url = URL.parse(uri);
  if (url === null) return `redirect_uris: "${uri}" is not an absolute URI`;
  if (uri.includes("#")) return `redirect_uris: "${uri}" must not contain a fragment`;
  const https = secureUrl(uri);
  if (https !== undefined && isSameOrSubdomain(clientHost, https.hostname)) return undefined;
  if (applicationType === "web") {
    return `redirect_uris: "${uri}" must use https on the client_uri host (${clientHost}) or a subdomain of it`;
  }
  // RFC 8252 §7.3: loopback redirects over plain http, on any port.
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  // RFC 8252 §7.1: a private-use scheme named after a domain the client controls, with no authority part.
  const scheme = url.protocol.slice(0, -1);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    if (uri.startsWith(`${scheme}://`)) {
      return `redirect_uris: "${uri}" must have no authority: write ${scheme}:/path (RFC 8252 §7.1)`;
    }
    if (reverseDomainMatches(scheme, clientHost)) return undefined;
    return `redirect_uris: the scheme of "${uri}" must be the client_uri host reversed (e.g. ${clientHost
      .split(".")
      .reverse()
      .join(".")}:/callback)`;
  }
  return `redirect_uris: "${uri}" must be http on a loopback address, a private-use scheme, or https on the client_uri host`;
}

/** Checks a registration request body; `body` is the parsed JSON object. */
export function checkClientMetadata(body: Readonly<Record<string, unknown>>): ClientPolicyResult {
  const clientUri = body.client_uri;
  if (clientUri === undefined) return refuseMetadata("client_uri is required");
  if (typeof clientUri !== "string") return refuseMetadata("client_uri must be a string");
  const client = secureUrl(clientUri);
  if (client === undefined) {
    return refuseMetadata("client_uri must be an https URL on a public host, without user info");
  }
  const clientHost = client.hostname;

  for (const field of ["logo_uri", "tos_uri", "policy_uri"] as const) {
    const value = body[field];
    if (value === undefined) continue;
    const url = typeof value === "string" ? secureUrl(value) : undefined;
    if (url === undefined) return refuseMetadata(`${field} must be an https URL`);
    if (!isSameOrSubdomain(clientHost, url.hostname)) {
      return refuseMetadata(`${field} must be on the client_uri host (${clientHost}) or a subdomain of it`);
    }
  }

  if (body.token_endpoint_auth_method !== "none") {
    return refuseMetadata(
      'token_endpoint_auth_method must be "none": this server registers public clients only',
    );
  }

  const applicationType = body.application_type ?? "web";
  if (applicationType !== "web" && applicationType !== "native") {
    return refuseMetadata('application_type must be "web" or "native"');
  }

  // MAS's default when grant_types is omitted is authorization_code alone (not RFC 7591's "plus implicit").
  const grantTypes = body.grant_types ?? ["authorization_code"];
  if (!isStringArray(grantTypes)) return refuseMetadata("grant_types must be an array of strings");
  const unsupported = grantTypes.find((grant) => !SUPPORTED_GRANTS.has(grant));
  if (unsupported !== undefined) {
    return refuseMetadata(
      `grant_types: "${unsupported}" is not supported (use authorization_code, refresh_token, ${DEVICE_CODE_GRANT})`,
    );
  }
  const authorizationCode = grantTypes.includes("authorization_code");

  // Derived from the grants when omitted: MAS accepts [] for a device-code-only client.
  const responseTypes = body.response_types ?? (authorizationCode ? ["code"] : []);
  if (!isStringArray(responseTypes)) return refuseMetadata("response_types must be an array of strings");
  const badResponseType = responseTypes.find((type) => type !== "code");
  if (badResponseType !== undefined) {
    return refuseMetadata(`response_types: "${badResponseType}" is not supported (only "code")`);
  }
  if (responseTypes.includes("code") !== authorizationCode) {
    return refuseMetadata(
      'response_types must contain "code" exactly when grant_types contains "authorization_code"',
    );
  }

  const redirectUris = body.redirect_uris;
  if (redirectUris !== undefined && !isStringArray(redirectUris)) {
    return refuseRedirect("redirect_uris must be an array of strings");
  }
  if (authorizationCode && (redirectUris === undefined || redirectUris.length === 0)) {
    return refuseRedirect("redirect_uris is required when grant_types contains authorization_code");
  }
  for (const uri of redirectUris ?? []) {
    const problem = checkRedirectUri(uri, applicationType, clientHost);
    if (problem !== undefined) return refuseRedirect(problem);
  }

  return { ok: true, grantTypes, responseTypes, applicationType };
}
