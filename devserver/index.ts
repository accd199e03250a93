// The local homeserver stand-in (docs/ARCHITECTURE.md §6): plain `node:http` and an ordered chain of handlers.
//
// Every request goes down `handlers` in order; each is `(req, res, url) => Promise<boolean>` and returns true
// once it has answered. Observers (the rendezvous log, CORS, fault injection) come first and mostly return
// false; then one handler per concern. A `MatrixError` thrown anywhere becomes its Matrix error response, and a
// request nobody answers is 404 `M_UNRECOGNIZED`, as on Synapse. To mount something new (the OAuth server's
// `provider.callback()` for its paths, the client-server API slice), write a handler in its own module and add
// one line to the list in `startDevserver`.
//
// Test control: `hooks` (in-process) and, with `testHooks: true`, the `/_devserver/*` paths (test-hooks.ts).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { AccountStore } from "./accounts";
import { createClientApiHandler } from "./client-api";
import { createClock, type Clock } from "./clock";
import { createCsApi } from "./csapi/index";
import { FaultInjector, type FaultSpec, type PendingFault } from "./faults";
import { RequestHolds, type Hold, type HoldSpec } from "./holds";
import { connectToHomeserver } from "./mas/index";
import { MatrixError, corsHandler, sendMatrixError, unrecognized, type RequestHandler } from "./http";
import { createOAuthServer, resolveOAuthOptions } from "./oauth/index";
import { resolveRendezvousOptions, type DevserverOptions } from "./options";
import { RendezvousLog, createLogObserver, type RendezvousLogEntry } from "./rendezvous/log";
import { RequestLog, isClientApiPath, type RequestLogEntry } from "./request-log";
import { createV2024Handler } from "./rendezvous/v2024";
import { createV2025Handler } from "./rendezvous/v2025";
import { createTestHooksGate, createTestHooksHandler } from "./test-hooks";
import { createVersionsHandler } from "./versions";

export type { DevserverOptions, RendezvousOptions, Authenticate } from "./options";
export type { FaultSpec, PendingFault, EtagRewrite } from "./faults";
export type { RendezvousLogEntry } from "./rendezvous/log";
export type { RequestLogEntry } from "./request-log";
export type { Hold, HoldSpec, HeldRequest, HoldStatus } from "./holds";
export type { Clock } from "./clock";
export type { RequestHandler } from "./http";
export type { OAuthOptions, DeviceCodeOptions } from "./oauth/index";
export type { AccountStore, AccessSession, Device, HomeserverProvisioner } from "./accounts";
export type { MasModeOptions } from "./mas/index";

/** In-process test control; always available to the code that started the server. */
export interface DevserverHooks {
  /** The clock every lifetime reads; `advance(ms)` moves it forward. */
  readonly clock: Clock;
  rendezvousLog(): readonly RendezvousLogEntry[];
  clearRendezvousLog(): void;
  addFault(fault: FaultSpec): void;
  pendingFaults(): readonly PendingFault[];
  clearFaults(): void;
  /** Every `/_matrix/client/` request (method, path, status, body size; never a body or a token). */
  clientApiLog(): readonly RequestLogEntry[];
  clearClientApiLog(): void;
  /** Holds the next matching requests, unanswered and not applied, until released (holds.ts). */
  holdRequests(spec: HoldSpec): Hold;
  /** Answers a device code as the consent page would, signed in as `user` (localpart or user ID). */
  answerDeviceCode(userCode: string, user: string, approve: boolean): Promise<void>;
  /** Changes the rendezvous lifetimes of sessions created from now on (a demo's "Synapse timing" switch). */
  setRendezvousLifetimes(lifetimes: { readonly v2024S?: number; readonly v2025S?: number }): void;
  /** The rendezvous lifetimes in force. */
  rendezvousLifetimes(): { readonly v2024S: number; readonly v2025S: number };
}

export interface Devserver {
  /** Where the server listens, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  readonly baseUrl: string;
  /** The base URL the server hands out in URLs (`publicBaseUrl`, else `baseUrl`), no trailing slash. */
  readonly publicBaseUrl: string;
  readonly serverName: string;
  /** The OAuth issuer, `{publicBaseUrl}/` (MAS's layout: endpoints under `oauth2/`, code entry at `link`). */
  readonly issuer: string;
  /** Users, devices and access tokens: what the client-server API sees. */
  readonly accounts: AccountStore;
  readonly hooks: DevserverHooks;
  /** Stops listening and closes every connection, idle keep-alive sockets included. */
  close(): Promise<void>;
}

/** How long `close()` lets requests in flight finish before cutting their connections. */
const CLOSE_GRACE_MS = 2000;

function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? "/";
  // Origin-form targets are appended to a fixed origin (so `//x` stays a path); absolute-form is parsed as is.
  return target.startsWith("/") ? new URL(`http://devserver.invalid${target}`) : new URL(target);
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

async function dispatch(
  handlers: readonly RequestHandler[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    let url: URL;
    try {
      url = requestUrl(req);
    } catch {
      throw new MatrixError(400, "M_UNRECOGNIZED", "Malformed request target");
    }
    for (const handler of handlers) {
      if (await handler(req, res, url)) return;
    }
    throw unrecognized(404);
  } catch (error) {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    if (error instanceof MatrixError) {
      sendMatrixError(res, error);
      return;
    }
    console.error("devserver: unhandled error", error);
    sendMatrixError(res, new MatrixError(500, "M_UNKNOWN", "Internal server error"));
  }
}

export async function startDevserver(options: DevserverOptions = {}): Promise<Devserver> {
  const host = options.host ?? "127.0.0.1";
  const rendezvous = resolveRendezvousOptions(options.rendezvous);
  const oauthOptions = resolveOAuthOptions(options);
  // MAS mode (devserver/mas/): the configured users are provisioned on the homeserver before this server listens.
  const mas =
    options.mas === undefined ? undefined : await connectToHomeserver(options.mas, oauthOptions.users);
  const clock = createClock(options.now);
  const log = new RendezvousLog(clock);
  const clientApiLog = new RequestLog(clock, isClientApiPath);
  const faults = new FaultInjector();
  const holds = new RequestHolds();

  const server = createServer();
  // Connections that never sent a byte: a client's pool keeps one after a request it aborted while connecting
  // (matrix-js-sdk stopping mid-sync). Node counts them as busy, so `close()` would wait its whole grace for them.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Everything below needs the port, so it is built once the server listens (and before it takes a request).
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://${urlHost(host)}:${port}`;
  const publicBaseUrl = (options.publicBaseUrl ?? baseUrl).replace(/\/+$/, "");
  const serverName = mas?.serverName ?? options.serverName ?? `localhost:${port}`;
  const accounts = new AccountStore({ serverName, users: oauthOptions.users, now: () => clock.now() });
  const oauth = createOAuthServer({
    publicBaseUrl,
    options: oauthOptions,
    accounts,
    clock,
    ...(mas === undefined ? {} : { provisioner: mas.provisionerFor(accounts) }),
  });

  const csApi = createCsApi({ accounts, clock, publicBaseUrl });
  const handlers: RequestHandler[] = [
    createLogObserver(log),
    createLogObserver(clientApiLog),
    corsHandler,
    faults.handler,
    ...(options.testHooks === true
      ? [
          createTestHooksGate([new URL(baseUrl).origin, new URL(publicBaseUrl).origin]),
          holds.handler,
          createTestHooksHandler({ faults, log, clientApiLog, holds, clock }),
          oauth.testHooks,
          csApi.testHooks,
        ]
      : []),
    // In MAS mode: introspection for the homeserver, and 404 for every homeserver path below.
    ...(mas === undefined ? [] : mas.handlers({ provider: oauth.provider, accounts })),
    createVersionsHandler({ msc4108: rendezvous.msc4108 }),
    ...(rendezvous.msc4108 ? [createV2024Handler({ options: rendezvous, clock, publicBaseUrl })] : []),
    createV2025Handler({
      options: rendezvous,
      clock,
      authenticate: options.authenticate ?? accounts.authenticate,
    }),
    createClientApiHandler({ accounts }),
    csApi.handler,
    ...oauth.handlers,
  ];
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    // Lifetimes (Expires, expires_in_ms) are on `clock`, so Date must be too: clients read `Expires - Date` to be
    // safe from clock skew, and Node's own Date (the real time) would be off by however far the clock was moved.
    res.setHeader("Date", new Date(clock.now()).toUTCString());
    void dispatch(handlers, req, res);
  });

  const hooks: DevserverHooks = {
    clock,
    rendezvousLog: () => log.list(),
    clearRendezvousLog: () => {
      log.clear();
    },
    addFault: (fault) => {
      faults.add(fault);
    },
    pendingFaults: () => faults.pending(),
    clearFaults: () => {
      faults.clear();
    },
    clientApiLog: () => clientApiLog.list(),
    clearClientApiLog: () => {
      clientApiLog.clear();
    },
    holdRequests: (spec) => holds.add(spec),
    answerDeviceCode: (userCode, user, approve) => oauth.answerDeviceCode(userCode, user, approve),
    setRendezvousLifetimes: (lifetimes) => {
      const resolved = resolveRendezvousOptions({
        ...rendezvous,
        ...(lifetimes.v2024S === undefined ? {} : { ttlV2024S: lifetimes.v2024S }),
        ...(lifetimes.v2025S === undefined ? {} : { ttlV2025S: lifetimes.v2025S }),
      });
      // The handlers hold this object and read the lifetimes at each create.
      Object.assign(rendezvous, { ttlV2024S: resolved.ttlV2024S, ttlV2025S: resolved.ttlV2025S });
    },
    rendezvousLifetimes: () => ({ v2024S: rendezvous.ttlV2024S, v2025S: rendezvous.ttlV2025S }),
  };

  let closing: Promise<void> | undefined;
  return {
    baseUrl,
    publicBaseUrl,
    serverName,
    issuer: oauth.issuer,
    accounts,
    hooks,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        const force = setTimeout(() => {
          server.closeAllConnections();
        }, CLOSE_GRACE_MS);
        force.unref();
        server.close((error) => {
          clearTimeout(force);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
        for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
      });
      return closing;
    },
  };
}
