// The local homeserver stand-in (DESIGN.md §6). This first cut only answers /versions; the rendezvous APIs,
// the OAuth server and the client-server API slice are mounted here by later work.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface DevserverOptions {
  port?: number;
  host?: string;
}

export interface Devserver {
  readonly baseUrl: string;
  readonly serverName: string;
  close(): Promise<void>;
}

export async function startDevserver(options: DevserverOptions = {}): Promise<Devserver> {
  const host = options.host ?? "127.0.0.1";
  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/_matrix/client/versions") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ versions: ["v1.15"], unstable_features: {} }));
      return;
    }
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://${host}:${port}`,
    serverName: `localhost:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
