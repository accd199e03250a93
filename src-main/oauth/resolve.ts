// From what a QR code, a login message or the user names (a server name such as `example.org`, or a base URL) to
// the homeserver's client-server API base URL (Matrix spec, client-server API "Server Discovery"): a URL is used
// as it is; a server name goes through `https://<name>/.well-known/matrix/client` (redirects followed, each hop
// checked), and without one (404) the server name itself is the host. Loopback names use `http://`, which the
// transport policy admits only with `allowInsecureHttp`. The spec's `/versions` check is left out: OAuth discovery
// follows at once and fails with a clearer reason.
import { isLoopbackAuthority, transportProblem } from "../http";
import { classifyHomeserver, httpUrlProblem, isServerName } from "../protocol";
import { OAuthError } from "./errors";
import { oauthFailure, oauthFetch, statusError, type OAuthCallOptions } from "./http";

export interface ResolvedHomeserver {
  /** The client-server API base URL, without a trailing slash. */
  readonly baseUrl: string;
  /** The server name, when one was given. */
  readonly serverName?: string;
}

export interface ResolveOptions extends OAuthCallOptions {
  /** Redirects followed for `.well-known`. Default 5. */
  readonly maxRedirects?: number;
}

const WELL_KNOWN_PATH = "/.well-known/matrix/client";
const DEFAULT_MAX_REDIRECTS = 5;

function withoutTrailingSlash(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function invalid(reason: string, message: string, status?: number): OAuthError {
  return new OAuthError("invalid_homeserver", message, {
    reason,
    ...(status === undefined ? {} : { status }),
  });
}

/** A base URL from any source (the input, `.well-known`): absolute http(s), no query, allowed by the policy. */
function checkedBaseUrl(text: string, where: string, allowInsecureHttp: boolean): string {
  const problem = httpUrlProblem(text) ?? (/[?#]/.test(text) ? "has a query or fragment" : undefined);
  if (problem !== undefined) throw invalid("invalid_base_url", `${where}: the base URL ${problem}`);
  const url = new URL(text);
  const insecure = transportProblem(url, allowInsecureHttp);
  if (insecure !== undefined) {
    throw new OAuthError("insecure_transport", `${where}: the base URL is ${insecure}`, {
      reason: "insecure_base_url",
    });
  }
  return withoutTrailingSlash(url);
}

function looksLikeHtml(response: Response, text: string): boolean {
  return /^\s*</.test(text) || /html/i.test(response.headers.get("content-type") ?? "");
}

export async function resolveHomeserver(
  serverNameOrUrl: string,
  options: ResolveOptions,
): Promise<ResolvedHomeserver> {
  const allowInsecureHttp = options.allowInsecureHttp === true;
  const located = classifyHomeserver(serverNameOrUrl);
  if (located.kind === "base_url") {
    return { baseUrl: checkedBaseUrl(located.baseUrl, "homeserver URL", allowInsecureHttp) };
  }
  const serverName = located.serverName;
  if (!isServerName(serverName)) {
    throw invalid("invalid_server_name", "the homeserver is neither a URL nor a server name");
  }
  const origin = `${isLoopbackAuthority(serverName) ? "http" : "https"}://${serverName}`;
  const fetch = oauthFetch(options);
  const what = "homeserver discovery (.well-known/matrix/client)";
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;

  let url = new URL(`${origin}${WELL_KNOWN_PATH}`);
  const seen = new Set<string>();
  let response: Response;
  try {
    for (;;) {
      if (seen.has(url.href)) throw invalid("redirect_loop", `${what}: the redirects go round in a loop`);
      if (seen.size > maxRedirects) {
        throw invalid("redirect_loop", `${what}: more than ${maxRedirects} redirects`);
      }
      if (seen.size > 0) {
        const insecure = transportProblem(url, allowInsecureHttp);
        if (insecure !== undefined) {
          throw new OAuthError("insecure_transport", `${what}: a redirect leads to ${insecure}`, {
            reason: "insecure_redirect",
          });
        }
      }
      seen.add(url.href);
      response = await fetch(url.href, {
        method: "GET",
        headers: { accept: "application/json" },
        redirect: "manual",
      });
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status <= 399 && location !== null) {
        const next = URL.parse(location, url);
        if (next === null)
          throw invalid("invalid_redirect", `${what}: a redirect to something that is not a URL`);
        url = next;
        continue;
      }
      break;
    }
  } catch (error) {
    throw oauthFailure(error, what, options.signal);
  }

  // Spec: 404 means "no .well-known": the server name is the host. Any other failure is the server's answer.
  if (response.status === 404) return { baseUrl: origin, serverName };
  if (response.status !== 200) {
    if (response.status === 429 || response.status >= 500) throw statusError(what, response.status);
    throw invalid("well_known_status", `${what}: unexpected status ${response.status}`, response.status);
  }
  const text = await response.text();
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw invalid(
      "well_known_not_json",
      looksLikeHtml(response, text)
        ? `${what}: the answer is an HTML page, not JSON`
        : `${what}: the answer is not JSON`,
      200,
    );
  }
  const homeserver =
    typeof document === "object" && document !== null && !Array.isArray(document)
      ? (document as Record<string, unknown>)["m.homeserver"]
      : undefined;
  const baseUrl =
    typeof homeserver === "object" && homeserver !== null && !Array.isArray(homeserver)
      ? (homeserver as Record<string, unknown>).base_url
      : undefined;
  if (typeof baseUrl !== "string") {
    throw invalid("well_known_invalid", `${what}: no m.homeserver.base_url string`, 200);
  }
  return {
    baseUrl: checkedBaseUrl(baseUrl, what, allowInsecureHttp),
    serverName,
  };
}
