// The browser host's server for one profile: the renderer's build on 127.0.0.1 (a port of the system's choosing),
// and the contract bridged over one WebSocket path. The page is a secure context (loopback is potentially
// trustworthy), so the camera and crypto.subtle work as in Electron, with the same CSP.
//
// Who may talk to it: a request whose Host header is not exactly 127.0.0.1:<port> is refused, so a DNS name
// rebound to 127.0.0.1 gets nothing, page or socket. The WebSocket also needs the page's own Origin (another site
// open in the same browser can open a socket to 127.0.0.1 but cannot fake its Origin) and the per-launch token,
// which the page has from its address's fragment (never sent to a server, never in a query string or a log) and
// offers as a WebSocket subprotocol. Frames are read by the contract's rules (src-shared/contract.ts): anything
// malformed, unknown or oversize is answered with a typed refusal, never passed on.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import {
  BRIDGE_PATH,
  BRIDGE_SUBPROTOCOL,
  MAX_FRAME_CHARS,
  readEvent,
  readInvokeFrame,
  tokenFromSubprotocols,
  type CommandName,
  type CommandOutcome,
  type ContractError,
  type HostFrame,
} from "../../../src-shared/contract";
import { toFlowError } from "../../../src-shared/errors";
import type { EngineEvent, EngineHost } from "../../engine/host";
import type { OpenUrlResult } from "../../flows/host";
import { RENDERER_CSP } from "../csp";
import { checkExternalUrl } from "../external-url";
import { rendererFile } from "../renderer-files";

export interface BrowserHostOptions {
  /** The renderer's build (out/renderer). */
  readonly rendererDir: string;
  readonly engine: EngineHost;
  /** 32 random bytes, base64url; a fresh one by default. */
  readonly token?: string;
}

export interface BrowserHost {
  /** `http://127.0.0.1:<port>/#token=<token>`: what the user opens. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`: the page's origin. */
  readonly origin: string;
  readonly port: number;
  /**
   * Asks every open page to offer a button that opens `url` (a page may open a window only from the user's click):
   * the `app.openRequest` event. `url` was checked by the caller.
   */
  askToOpen(url: string, host: string): void;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  "Content-Security-Policy": RENDERER_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

export function newBridgeToken(): string {
  return randomBytes(32).toString("base64url");
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function refuseUpgrade(socket: Duplex, status: 400 | 403 | 404, reason: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n`,
  );
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const token = options.token ?? newBridgeToken();
  const { engine, rendererDir } = options;
  const sockets = new Set<WebSocket>();
  // Frames above MAX_FRAME_CHARS get a typed refusal; far larger ones end the connection (code 1009).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 4 * MAX_FRAME_CHARS,
    handleProtocols: (offered) => (offered.has(BRIDGE_SUBPROTOCOL) ? BRIDGE_SUBPROTOCOL : false),
  });
  let port = 0;
  const expectedHost = () => `127.0.0.1:${port}`;
  const origin = () => `http://127.0.0.1:${port}`;

  const server = createServer((request, response) => {
    void serveFile(request, response);
  });

  async function serveFile(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.headers.host !== expectedHost()) {
      response.writeHead(403, { ...SECURITY_HEADERS, "Content-Type": "text/plain" }).end("wrong Host\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { ...SECURITY_HEADERS, Allow: "GET, HEAD" }).end();
      return;
    }
    const rawPath = (request.url ?? "/").split(/[?#]/, 1)[0] ?? "/";
    const found = rendererFile(rendererDir, rawPath);
    let body: Buffer | undefined;
    if (found !== undefined) body = await readFile(found.file).catch(() => undefined);
    if (found === undefined || body === undefined) {
      response.writeHead(404, SECURITY_HEADERS).end();
      return;
    }
    response.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": found.contentType });
    response.end(request.method === "HEAD" ? undefined : body);
  }

  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (request.headers.host !== expectedHost()) {
      refuseUpgrade(socket, 403, "Forbidden");
      return;
    }
    if ((request.url ?? "").split("?", 1)[0] !== BRIDGE_PATH) {
      refuseUpgrade(socket, 404, "Not Found");
      return;
    }
    if (request.headers.origin !== origin()) {
      refuseUpgrade(socket, 403, "Forbidden");
      return;
    }
    const offered = (request.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((protocol) => protocol.trim())
      .filter((protocol) => protocol !== "");
    const presented = tokenFromSubprotocols(offered);
    if (presented === undefined || !sameSecret(presented, token) || !offered.includes(BRIDGE_SUBPROTOCOL)) {
      refuseUpgrade(socket, 403, "Forbidden");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on("close", () => sockets.delete(ws));
      ws.on("message", (data, isBinary) => {
        const bytes = Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.isBuffer(data)
            ? data
            : Buffer.from(data);
        void answer(ws, isBinary ? undefined : bytes.toString("utf8"));
      });
    });
  });

  function send(ws: WebSocket, frame: HostFrame): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  async function answer(ws: WebSocket, text: string | undefined): Promise<void> {
    if (text === undefined) {
      send(ws, { type: "refused", error: { code: "invalid_request", message: "frames are JSON text" } });
      return;
    }
    const read = readInvokeFrame(text);
    if (!read.ok) {
      const refusal: ContractError = read.error;
      send(
        ws,
        read.id === undefined
          ? { type: "refused", error: refusal }
          : { type: "result", id: read.id, outcome: { ok: false, contractError: refusal } },
      );
      return;
    }
    let outcome: CommandOutcome<CommandName>;
    try {
      outcome = await engine.invoke(read.name, read.request);
    } catch (error) {
      outcome = { ok: false, error: toFlowError(error) };
    }
    send(ws, { type: "result", id: read.id, outcome });
  }

  function broadcast(event: EngineEvent): void {
    const checked = readEvent(event.name, event.payload);
    if (!checked.ok) {
      console.error(`dropped a ${event.name} event that breaks the contract: ${checked.error.message}`);
      return;
    }
    for (const ws of sockets) send(ws, { type: "event", name: event.name, payload: checked.value });
  }

  const unsubscribe = engine.subscribe(broadcast);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the browser host has no port");
  port = address.port;

  return {
    url: `${origin()}/#token=${token}`,
    origin: origin(),
    port,
    askToOpen(url, host) {
      broadcast({ name: "app.openRequest", payload: { url, host } });
    },
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

/**
 * The engine's `openUrl` on the browser host: a web page may open a window only from the user's own click, so the
 * URL, once checked, goes to the pages as an `app.openRequest` (they offer a button naming its host) and the flow
 * hears `needs_user`.
 */
export function openUrlThroughPage(
  host: () => BrowserHost | undefined,
  allowLoopbackHttp: boolean,
): (url: string) => Promise<OpenUrlResult> {
  return (url) => {
    const checked = checkExternalUrl(url, { allowLoopbackHttp });
    if (!checked.ok) return Promise.reject(new TypeError(`refused to open a URL (${checked.reason})`));
    host()?.askToOpen(checked.url, checked.host);
    return Promise.resolve("needs_user");
  };
}
