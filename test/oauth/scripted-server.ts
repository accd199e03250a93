// A server that answers what each test scripts, for the answers no real server gives on demand: HTML where JSON
// belongs, wrong types, redirect loops, 10 MB bodies, a body that stops half way. Every request is recorded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** `127.0.0.1:<port>`: a loopback server name. */
  readonly host: string;
  /** `METHOD /path` of every request, in order. */
  readonly requests: string[];
  /** Sets (or replaces) the handler of a path. */
  on(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
}

export function html(status: number, text = "<html><body><h1>Bad Gateway</h1></body></html>"): Handler {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "text/html" });
    res.end(text);
  };
}

export function redirect(location: string, status = 302): Handler {
  return (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };
}

export async function startScriptedServer(routes: Record<string, Handler> = {}): Promise<ScriptedServer> {
  const handlers = new Map(Object.entries(routes));
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://scripted.invalid");
    requests.push(`${req.method ?? "?"} ${url.pathname}`);
    // Read the request body first, as any server does.
    req.resume();
    req.on("end", () => {
      const handler = handlers.get(url.pathname);
      if (handler === undefined) {
        json(404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" })(req, res, url);
        return;
      }
      handler(req, res, url);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    on: (path, handler) => {
      handlers.set(path, handler);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Registers an `afterEach` closing every scripted server the returned starter started during the test. */
export function useScriptedServers(): (routes?: Record<string, Handler>) => Promise<ScriptedServer> {
  const started: ScriptedServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.close()));
  });
  return async (routes) => {
    const server = await startScriptedServer(routes);
    started.push(server);
    return server;
  };
}
