// How login messages name a homeserver. v2024 `m.login.protocols.homeserver` is a "server name" in the MSC
// but an absolute URL from rust-sdk/Element X (`https://…/`) and a server name from matrix-js-sdk
// (`matrix.org`); v2025 `base_url` is always an absolute http(s) URL (docs/protocol.md §1.1, §4). The grammars
// themselves live in ../grammar.ts.
import { isAbsoluteHttpUrl } from "../grammar";

export type HomeserverLocator =
  | { readonly kind: "base_url"; readonly baseUrl: string }
  | { readonly kind: "server_name"; readonly serverName: string };

/**
 * Tells the flow how to reach the homeserver named in `m.login.protocols`: use a URL as the base URL, resolve a
 * server name through `.well-known` (what Element Web's `resolveServerURLs` does with the same field).
 */
export function classifyHomeserver(homeserver: string): HomeserverLocator {
  return isAbsoluteHttpUrl(homeserver)
    ? { kind: "base_url", baseUrl: homeserver }
    : { kind: "server_name", serverName: homeserver };
}
