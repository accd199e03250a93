// The one check the existing device runs before it opens the new device's `verification_uri` or
// `verification_uri_complete` (MSC4108 `m.login.protocol`, RFC 8628 §3.2) in a browser. The URL comes from the
// peer, and the browser it opens in is where the user is signed in to their account and about to approve a
// login: a peer (or anyone who scanned or forged a QR code) must not be able to send the user to a page of its
// choosing, dressed up as the consent step. So only the account's own OAuth server may be opened: the origin of
// its issuer or of its device authorization endpoint (MAS: `{issuer}link`; Tuwunel: `{issuer}/_tuwunel/oidc/
// device`; docs/protocol.md §6), over https.
import { httpUrlProblem, isLoopbackHostname } from "../grammar";

/** Why a verification URI must not be opened. */
export type VerificationUriProblem =
  /** Not an absolute http(s) URL as a serialiser would write it, or one with credentials. */
  | "not_a_url"
  /** Plain http: allowed only to a loopback host with `allowInsecureLoopback` (a local development server). */
  | "insecure_scheme"
  /** Not the origin of the account's OAuth issuer nor of its device authorization endpoint. */
  | "foreign_origin";

export type VerificationUriCheck =
  | { readonly ok: true; readonly url: string }
  | { readonly ok: false; readonly reason: VerificationUriProblem };

export interface VerificationUriContext {
  /** The account's OAuth issuer (auth metadata `issuer`). */
  readonly issuer: string;
  /** The account's `device_authorization_endpoint` (auth metadata). */
  readonly deviceAuthorizationEndpoint: string;
  /** Accept `http:` to 127.0.0.0/8, [::1] and localhost (the devserver). Default false. */
  readonly allowInsecureLoopback?: boolean;
}

/**
 * Whether `uri` from the peer may be opened in a browser; on success `url` is its serialised form, which is
 * what was checked and what the caller must open.
 */
export function checkVerificationUri(uri: string, context: VerificationUriContext): VerificationUriCheck {
  if (httpUrlProblem(uri) !== undefined) return { ok: false, reason: "not_a_url" };
  const url = new URL(uri);
  if (
    url.protocol !== "https:" &&
    !(context.allowInsecureLoopback === true && isLoopbackHostname(url.hostname))
  ) {
    return { ok: false, reason: "insecure_scheme" };
  }
  const allowed = [context.issuer, context.deviceAuthorizationEndpoint].flatMap(originOf);
  if (!allowed.includes(url.origin)) return { ok: false, reason: "foreign_origin" };
  return { ok: true, url: url.href };
}

function originOf(text: string): string[] {
  try {
    return [new URL(text).origin];
  } catch {
    return [];
  }
}
