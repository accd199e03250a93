// A fault-injecting HTTP proxy for tests: a real `node:http` server that forwards every request to one target
// (the devserver, or Synapse in the real-server lane) and misbehaves on the requests a fault plan matches, the
// way real networks and middleboxes do (docs/protocol.md §2.3): cut connections, delays, 5xx and 429 answers,
// answers lost after the server applied the write, duplicated requests, late answers, ETags and sequence tokens
// rewritten (nginx's gzip `W/`, mod_deflate's `-gzip`), bodies cut short, an answer that stops midway, a body
// that is not the API's (a captive portal's page), and redirects to another host. The faults are the plain data
// of `src-main/flows/scenarios.ts` (`NetworkFault`).
//
// A device reaches it through `route(fetch)`: requests to the target's origin go to the proxy instead, like a
// proxy configured on that device's network, so every URL the server hands out (the v2024 session URL too) goes
// through it. One proxy per faulty path: a fault on one device's path leaves the other's alone.
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { NetworkFault } from "../../src-main/flows/scenarios";

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** The fault applied to it, if any. */
  readonly fault?: string;
  /** The status the server answered (absent when the request never reached it). */
  readonly upstreamStatus?: number;
}

export interface FaultProxy {
  /** The proxy's own origin, e.g. `http://127.0.0.1:40123`. */
  readonly origin: string;
  /** The origin it forwards to. */
  readonly target: string;
  /** Another host, where the `redirect` fault points: it answers 404 to everything and counts what reaches it. */
  readonly elsewhere: { readonly origin: string; readonly requests: ProxiedRequest[] };
  readonly log: ProxiedRequest[];
  /** Replaces the fault plan (the counters start again). */
  setFaults(faults: readonly NetworkFault[]): void;
  /**
   * Shortens every session lifetime the server states to `ms` from when the proxy first saw the session, after
   * which the proxy answers 404 for it, as the server does at a session's end.
   */
  setLifetime(ms: number | undefined): void;
  /** Where `redirect` faults point instead of `elsewhere` (a real server: MSC4108 delegation). */
  setRedirectTarget(origin: string): void;
  /** A fetch that sends requests for the target's origin through this proxy. */
  route(next: Fetch): Fetch;
  /** Stops listening and cuts every open connection (a stalled answer included). */
  close(): Promise<void>;
}

interface ArmedFault {
  readonly spec: NetworkFault;
  readonly pattern: RegExp;
  seen: number;
  applied: number;
}

interface Upstream {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

/** Headers that belong to one hop; the proxy frames its own answers. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host"]);

function listen(server: ReturnType<typeof createServer>): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
    });
    req.once("end", () => {
      resolve(Buffer.concat(chunks));
    });
    req.once("error", reject);
  });
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function closeServer(server: ReturnType<typeof createServer>, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}

function rewriteEtag(etag: string, mode: "weak" | "suffix"): string {
  const strong = /^"(.*)"$/.exec(etag);
  if (strong === null) return etag;
  return mode === "weak" ? `W/${etag}` : `"${strong[1] ?? ""}-gzip"`;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const log: ProxiedRequest[] = [];
  let faults: ArmedFault[] = [];
  let lifetimeMs: number | undefined;
  let redirectTarget: string | undefined;
  /** When the proxy first saw each session (by its path), for `setLifetime`. */
  const firstSeen = new Map<string, number>();

  const elsewhereRequests: ProxiedRequest[] = [];
  const elsewhereSockets = new Set<Socket>();
  const elsewhereServer = createServer((req, res) => {
    elsewhereRequests.push({ method: req.method ?? "", path: (req.url ?? "").split("?")[0] ?? "" });
    req.resume();
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ errcode: "M_NOT_FOUND", error: "elsewhere" }));
  });
  elsewhereServer.on("connection", (socket: Socket) => {
    elsewhereSockets.add(socket);
    socket.once("close", () => elsewhereSockets.delete(socket));
  });
  const elsewhereOrigin = await listen(elsewhereServer);

  const forward = (req: IncomingMessage, body: Buffer): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      headers.host = targetUrl.host;
      if (body.length > 0 || req.method === "POST" || req.method === "PUT") {
        headers["content-length"] = String(body.length);
      }
      const upstream = request(
        { host: targetUrl.hostname, port: targetUrl.port, path: req.url, method: req.method, headers, agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.once("end", () => {
            const answer: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined && !HOP_BY_HOP.has(name)) answer[name] = value;
            }
            resolve({ status: response.statusCode ?? 502, headers: answer, body: Buffer.concat(chunks) });
          });
          response.once("error", reject);
        },
      );
      upstream.once("error", reject);
      upstream.end(body);
    });

  /** Shortens the lifetime an answer states (v2024 `Expires`, v2025 `expires_in_ms`). */
  const shorten = (path: string, answer: Upstream): Upstream => {
    if (lifetimeMs === undefined || answer.status >= 400) return answer;
    let key = path;
    let json: Record<string, unknown> | undefined;
    if (String(answer.headers["content-type"] ?? "").includes("json")) {
      try {
        json = JSON.parse(answer.body.toString("utf8")) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
    }
    // A create answer names the session: the v2024 URL's path, or the v2025 ID under the create path.
    if (typeof json?.url === "string") key = new URL(json.url).pathname;
    else if (typeof json?.id === "string") key = `${path}/${json.id}`;
    const seen = firstSeen.get(key) ?? Date.now();
    firstSeen.set(key, seen);
    const left = Math.max(0, seen + lifetimeMs - Date.now());
    const headers = { ...answer.headers };
    const expires = Date.parse(String(headers.expires ?? ""));
    const date = Date.parse(String(headers.date ?? ""));
    if (!Number.isNaN(expires) && !Number.isNaN(date) && expires - date > left) {
      headers.expires = new Date(date + left).toUTCString();
    }
    if (json !== undefined && typeof json.expires_in_ms === "number" && json.expires_in_ms > left) {
      return { ...answer, headers, body: Buffer.from(JSON.stringify({ ...json, expires_in_ms: left })) };
    }
    return { ...answer, headers };
  };

  const send = (res: ServerResponse, answer: Upstream): void => {
    res.writeHead(answer.status, { ...answer.headers, "content-length": String(answer.body.length) });
    res.end(answer.body);
  };

  const gatewayPage = (status: number, retryAfterMs?: number): Upstream => {
    if (status === 429) {
      const wait = retryAfterMs ?? 1000;
      return {
        status,
        headers: { "content-type": "application/json", "retry-after": String(Math.ceil(wait / 1000)) },
        body: Buffer.from(
          JSON.stringify({ errcode: "M_LIMIT_EXCEEDED", error: "Too Many Requests", retry_after_ms: wait }),
        ),
      };
    }
    return {
      status,
      headers: { "content-type": "text/html" },
      body: Buffer.from(`<html><body><h1>${status}</h1>fault proxy</body></html>`),
    };
  };

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      res.destroy();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  const match = (method: string, path: string): ArmedFault | undefined => {
    for (const armed of faults) {
      const { spec } = armed;
      if (spec.method !== undefined && spec.method !== method) continue;
      if (!armed.pattern.test(path)) continue;
      armed.seen += 1;
      if (armed.seen <= (spec.skip ?? 0)) continue;
      const count = spec.count ?? 1;
      if (count !== "all" && armed.applied >= count) continue;
      armed.applied += 1;
      return armed;
    }
    return undefined;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const body = await readAll(req);
    const armed = match(method, path);
    const fault = armed?.spec.fault;
    const entry = (upstreamStatus?: number): void => {
      log.push({
        method,
        path,
        ...(fault === undefined ? {} : { fault: fault.kind }),
        ...(upstreamStatus === undefined ? {} : { upstreamStatus }),
      });
    };
    const born = firstSeen.get(path);
    if (lifetimeMs !== undefined && born !== undefined && Date.now() > born + lifetimeMs) {
      if (fault === undefined || fault.kind === "delay") {
        // As far as this path knows, the server has forgotten the session, as it would at its real end.
        log.push({ method, path, fault: "session_ended" });
        send(res, {
          status: 404,
          headers: { "content-type": "application/json" },
          body: Buffer.from(JSON.stringify({ errcode: "M_NOT_FOUND", error: "session ended (fault proxy)" })),
        });
        return;
      }
    }
    switch (fault?.kind) {
      case "drop_connection":
        entry();
        req.socket.destroy();
        return;
      case "status":
        entry();
        send(res, gatewayPage(fault.status, fault.retryAfterMs));
        return;
      case "foreign_body":
        entry();
        send(res, {
          status: fault.status,
          headers: { "content-type": fault.contentType },
          body: Buffer.from(fault.body),
        });
        return;
      case "redirect":
        entry();
        res.writeHead(fault.status, {
          location: `${redirectTarget ?? elsewhereOrigin}${req.url ?? "/"}`,
          "content-length": "0",
        });
        res.end();
        return;
      case "delay":
        await wait(fault.ms);
        break;
      default:
        break;
    }
    let answer = await forward(req, body);
    if (fault?.kind === "duplicate") answer = await forward(req, body);
    entry(answer.status);
    answer = shorten(path, answer);
    switch (fault?.kind) {
      case "lost_response":
        req.socket.destroy();
        return;
      case "status_after_commit":
        send(res, gatewayPage(fault.status));
        return;
      case "late_response":
        await wait(fault.ms);
        send(res, answer);
        return;
      case "rewrite_validators": {
        const headers = { ...answer.headers };
        if (typeof headers.etag === "string") headers.etag = rewriteEtag(headers.etag, fault.mode);
        let rewritten = answer.body;
        if (String(headers["content-type"] ?? "").includes("json")) {
          try {
            const json = JSON.parse(answer.body.toString("utf8")) as Record<string, unknown>;
            if (typeof json.sequence_token === "string") {
              const token = json.sequence_token;
              json.sequence_token = fault.mode === "weak" ? `W/${token}` : `${token}-gzip`;
              rewritten = Buffer.from(JSON.stringify(json));
            }
          } catch {
            // Not JSON after all: the body goes as it came.
          }
        }
        send(res, { ...answer, headers, body: rewritten });
        return;
      }
      case "truncate_body":
      case "stall_mid_body": {
        // Promise the whole body (at least a few bytes more than comes, for a short one) and send half of it.
        const promised = Math.max(answer.body.length, 16);
        res.writeHead(answer.status, { ...answer.headers, "content-length": String(promised) });
        res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
        // Truncated: the connection closes early. Stalled: it stays open until the client gives up.
        if (fault.kind === "truncate_body") setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      default:
        send(res, answer);
    }
  }

  const origin = await listen(server);
  return {
    origin,
    target: targetUrl.origin,
    elsewhere: { origin: elsewhereOrigin, requests: elsewhereRequests },
    log,
    setFaults(plan) {
      faults = plan.map((spec) => ({ spec, pattern: new RegExp(spec.path), seen: 0, applied: 0 }));
    },
    setLifetime(ms) {
      lifetimeMs = ms;
    },
    setRedirectTarget(target) {
      redirectTarget = target;
    },
    route: (next) => (url, init) => {
      const parsed = new URL(url);
      if (parsed.origin !== targetUrl.origin) return next(url, init);
      return next(`${origin}${parsed.pathname}${parsed.search}`, init);
    },
    close: async () => {
      agent.destroy();
      await Promise.all([closeServer(server, sockets), closeServer(elsewhereServer, elsewhereSockets)]);
    },
  };
}
