// Which URLs the app may talk to: https anywhere, plain http only to this machine and only when the caller allows
// it (a local development server such as the devserver). RFC 8252 §8.3 treats loopback as the one place where
// http is acceptable; anything else over http could be read or rewritten by whoever is on the path.
import { HttpTransportError } from "./errors";

/** `localhost` (and names under it, RFC 6761 §6.3), 127.0.0.0/8 and [::1]: a hostname as `URL.hostname` gives it. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host === "[::1]") return true;
  return /^127(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(host);
}

/** Whether a server name or URL authority (`host[:port]`) names this machine. */
export function isLoopbackAuthority(authority: string): boolean {
  const parsed = URL.parse(`http://${authority}/`);
  return parsed !== null && isLoopbackHost(parsed.hostname);
}

/** What is wrong with talking to `url`, or undefined when it is allowed. */
export function transportProblem(url: URL, allowInsecureHttp: boolean): string | undefined {
  if (url.protocol === "https:") return undefined;
  if (url.protocol !== "http:") return `${url.protocol} is not http(s)`;
  if (!isLoopbackHost(url.hostname)) return `plain http to ${url.host}, which is not this machine`;
  if (!allowInsecureHttp)
    return `plain http to ${url.host} without allowInsecureHttp (for a local development server only)`;
  return undefined;
}

/** Throws HttpTransportError `insecure_transport` for a URL the policy refuses. */
export function checkTransport(url: URL, allowInsecureHttp: boolean): void {
  const problem = transportProblem(url, allowInsecureHttp);
  if (problem !== undefined) throw new HttpTransportError("insecure_transport", problem);
}
