// A small method + path router that behaves like Synapse's servlet dispatch: a path no route knows is left to the
// next handler (and ends as 404 `M_UNRECOGNIZED`), a known path asked with a method it lacks is 405
// `M_UNRECOGNIZED`, and HEAD is served by the GET route (Node drops the body).
import type { IncomingMessage, ServerResponse } from "node:http";
import { unrecognized, type RequestHandler } from "./http";

export interface RouteRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** Path parameters, already percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
}

export interface Route {
  readonly method: string;
  /** A path template: literal segments and `{name}` for one non-empty segment, e.g. `/rendezvous/{id}`. */
  readonly path: string;
  readonly handle: (request: RouteRequest) => Promise<void> | void;
}

interface CompiledRoute extends Route {
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

/** `text` as a regular expression that matches exactly it. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split("/")
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1] === undefined) return escapeRegExp(segment);
      names.push(param[1]);
      return "([^/]+)";
    })
    .join("/");
  return { ...route, pattern: new RegExp(`^${source}$`), names };
}

function match(route: CompiledRoute, pathname: string): Record<string, string> | undefined {
  const found = route.pattern.exec(pathname);
  if (found === null) return undefined;
  const params: Record<string, string> = {};
  for (const [index, name] of route.names.entries()) {
    try {
      params[name] = decodeURIComponent(found[index + 1] ?? "");
    } catch {
      return undefined;
    }
  }
  return params;
}

export function createRouter(routes: readonly Route[]): RequestHandler {
  const compiled = routes.map(compile);
  return async (req, res, url) => {
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
    let pathKnown = false;
    for (const route of compiled) {
      const params = match(route, url.pathname);
      if (params === undefined) continue;
      pathKnown = true;
      if (route.method !== method) continue;
      await route.handle({ req, res, url, params });
      return true;
    }
    if (pathKnown) throw unrecognized(405);
    return false;
  };
}
