// The authorization server metadata (RFC 8414) a Matrix homeserver hands out, as the OAuth client uses it: the
// fields it reads, checked for type and transport (every endpoint https, or http on loopback when allowed), in
// camelCase, plus which discovery path answered. `toAuthorizationServer` gives oauth4webapi its view of it.
import type * as oauth from "oauth4webapi";
import { z } from "zod";
import { transportProblem } from "../http";
import { isAbsoluteHttpUrl } from "../protocol";
import { OAuthError } from "./errors";
import { preferredFamily, type ScopeFamily } from "./scopes";

/** RFC 8628's grant type, which MAS lists in `grant_types_supported` when the device grant is on. */
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** Which discovery path answered: Matrix v1.15, MSC2965's unstable path, or `auth_issuer` + OpenID discovery. */
export type AuthMetadataSource = "v1" | "unstable" | "legacy";

export interface AuthMetadata {
  readonly source: AuthMetadataSource;
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly authorizationEndpoint?: string;
  readonly registrationEndpoint?: string;
  readonly deviceAuthorizationEndpoint?: string;
  readonly revocationEndpoint?: string;
  /** Where the user manages the account and its devices (Matrix v1.15). */
  readonly accountManagementUri?: string;
  readonly grantTypesSupported?: readonly string[];
  readonly scopesSupported?: readonly string[];
  readonly responseTypesSupported?: readonly string[];
  readonly codeChallengeMethodsSupported?: readonly string[];
  /** RFC 9207: the authorization response carries `iss`, which oauth4webapi then checks. */
  readonly authorizationResponseIssParameterSupported?: boolean;
}

const strings = z.array(z.string());

const MetadataSchema = z.object({
  issuer: z.string(),
  token_endpoint: z.string(),
  authorization_endpoint: z.string().optional(),
  registration_endpoint: z.string().optional(),
  device_authorization_endpoint: z.string().optional(),
  revocation_endpoint: z.string().optional(),
  account_management_uri: z.string().optional(),
  grant_types_supported: strings.optional(),
  scopes_supported: strings.optional(),
  response_types_supported: strings.optional(),
  code_challenge_methods_supported: strings.optional(),
  authorization_response_iss_parameter_supported: z.boolean().optional(),
});

const URL_FIELDS = [
  "issuer",
  "token_endpoint",
  "authorization_endpoint",
  "registration_endpoint",
  "device_authorization_endpoint",
  "revocation_endpoint",
  "account_management_uri",
] as const;

/**
 * Checks a metadata document (a JSON object whose `issuer` oauth4webapi has already compared with the expected
 * one where there was one) and returns the fields the client uses.
 */
export function readAuthMetadata(
  document: Record<string, unknown>,
  source: AuthMetadataSource,
  allowInsecureHttp: boolean,
): AuthMetadata {
  const parsed = MetadataSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? "" : ` at ${issue.path.join(".") || "the top"}`;
    throw new OAuthError("invalid_response", `auth metadata: wrong or missing field${where}`, {
      reason: "invalid_metadata",
    });
  }
  const raw = parsed.data;
  for (const field of URL_FIELDS) {
    const value = raw[field];
    if (value === undefined) continue;
    if (!isAbsoluteHttpUrl(value)) {
      throw new OAuthError("invalid_response", `auth metadata: ${field} is not an absolute http(s) URL`, {
        reason: "invalid_metadata",
      });
    }
    const problem = transportProblem(new URL(value), allowInsecureHttp);
    if (problem !== undefined) {
      throw new OAuthError("insecure_transport", `auth metadata: ${field}: ${problem}`, {
        reason: field === "issuer" ? "insecure_issuer" : "insecure_endpoint",
      });
    }
  }
  return {
    source,
    issuer: raw.issuer,
    tokenEndpoint: raw.token_endpoint,
    ...optional("authorizationEndpoint", raw.authorization_endpoint),
    ...optional("registrationEndpoint", raw.registration_endpoint),
    ...optional("deviceAuthorizationEndpoint", raw.device_authorization_endpoint),
    ...optional("revocationEndpoint", raw.revocation_endpoint),
    ...optional("accountManagementUri", raw.account_management_uri),
    ...optional("grantTypesSupported", raw.grant_types_supported),
    ...optional("scopesSupported", raw.scopes_supported),
    ...optional("responseTypesSupported", raw.response_types_supported),
    ...optional("codeChallengeMethodsSupported", raw.code_challenge_methods_supported),
    ...optional(
      "authorizationResponseIssParameterSupported",
      raw.authorization_response_iss_parameter_supported,
    ),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * Whether the server offers the device authorization grant: it names the endpoint (Matrix v1.18) and lists the
 * grant type (what matrix-js-sdk and the rust-sdk check; RFC 8414's default list does not include it).
 */
export function supportsDeviceGrant(metadata: AuthMetadata): boolean {
  return (
    metadata.deviceAuthorizationEndpoint !== undefined &&
    (metadata.grantTypesSupported ?? []).includes(DEVICE_CODE_GRANT)
  );
}

/** The scope family to ask in first (stable unless the server lists only the unstable API scope). */
export function scopeFamily(metadata: AuthMetadata): ScopeFamily {
  return preferredFamily(metadata.scopesSupported);
}

/** oauth4webapi's view of the metadata. */
export function toAuthorizationServer(metadata: AuthMetadata): oauth.AuthorizationServer {
  return {
    issuer: metadata.issuer,
    token_endpoint: metadata.tokenEndpoint,
    ...optional("authorization_endpoint", metadata.authorizationEndpoint),
    ...optional("registration_endpoint", metadata.registrationEndpoint),
    ...optional("device_authorization_endpoint", metadata.deviceAuthorizationEndpoint),
    ...optional("revocation_endpoint", metadata.revocationEndpoint),
    ...optional(
      "authorization_response_iss_parameter_supported",
      metadata.authorizationResponseIssParameterSupported,
    ),
  };
}
