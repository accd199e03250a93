// The one check before any host opens a URL outside the app (the consent page, the account page, a link): https
// to any host, plain http only to this machine and only where the host allows it (development against the local
// devserver). `javascript:`, `file:`, custom schemes, and URLs with a user name or password (which can make
// `https://bank.example@evil.example` look like the bank's) are refused. The host it names is what the user is
// shown before anything opens.

export type ExternalUrlCheck =
  | { readonly ok: true; readonly url: string; readonly host: string }
  | { readonly ok: false; readonly reason: "not_a_url" | "scheme" | "credentials" | "insecure_http" };

export interface ExternalUrlOptions {
  /** Plain http to a loopback address (127.0.0.0/8, [::1], localhost). */
  readonly allowLoopbackHttp: boolean;
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

export function checkExternalUrl(value: string, options: ExternalUrlOptions): ExternalUrlCheck {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: "not_a_url" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "scheme" };
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "credentials" };
  if (url.protocol === "http:" && !(options.allowLoopbackHttp && isLoopbackHost(url.hostname))) {
    return { ok: false, reason: "insecure_http" };
  }
  return { ok: true, url: url.href, host: url.host };
}
