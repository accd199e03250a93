// A stand-in homeserver for MAS mode: answers `/_synapse/mas/*` the way Synapse 1.160 does
// (synapse/rest/synapse/mas/), records every call, and can be told to fail, to be slow, or to start late. The real
// Synapse runs the same flows in the Synapse lane (test/synapse/); this is for what a real one will not do on demand.
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const STAND_IN_SECRET = "stand-in-shared-secret";
export const STAND_IN_SERVER_NAME = "stand-in.example";

export interface Call {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

export interface StandInOptions {
  /** The secret it accepts; a request with another gets Synapse's 403. */
  readonly secret?: string;
  /** Status for upsert_device instead of success. */
  readonly upsertStatus?: number;
  /** Held before upsert_device answers. */
  readonly upsertDelayMs?: number;
  /** Listen on this port (to start after the devserver). */
  readonly port?: number;
}

export interface StandIn {
  readonly url: string;
  readonly calls: Call[];
  /** What happened, in order: "upsert_device answered", and whatever the test adds. */
  readonly events: string[];
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}

/** Synapse's answers: 201 on the first provision/upsert, 200 after; users and devices kept in memory. */
export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const calls: Call[] = [];
  const events: string[] = [];
  const users = new Set<string>();
  const devices = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://stand-in");
        const text = Buffer.concat(chunks).toString("utf8");
        const body = text === "" ? undefined : (JSON.parse(text) as Record<string, string>);
        calls.push({
          method: req.method ?? "",
          path: `${url.pathname}${url.search}`,
          authorization: req.headers.authorization,
          contentType: req.headers["content-type"],
          body,
        });
        if (req.headers.authorization !== `Bearer ${options.secret ?? STAND_IN_SECRET}`) {
          json(res, 403, { errcode: "M_UNKNOWN", error: "This endpoint must only be called by MAS" });
          return;
        }
        const localpart = body?.localpart ?? url.searchParams.get("localpart") ?? "";
        switch (url.pathname) {
          case "/_synapse/mas/provision_user": {
            const created = !users.has(localpart);
            users.add(localpart);
            json(res, created ? 201 : 200, {});
            return;
          }
          case "/_synapse/mas/query_user":
            if (!users.has(localpart)) json(res, 404, { errcode: "M_NOT_FOUND", error: "User not found" });
            else json(res, 200, { user_id: `@${localpart}:${STAND_IN_SERVER_NAME}`, is_deactivated: false });
            return;
          case "/_synapse/mas/upsert_device": {
            await new Promise((resolve) => setTimeout(resolve, options.upsertDelayMs ?? 0));
            if (options.upsertStatus !== undefined) {
              json(res, options.upsertStatus, { errcode: "M_UNKNOWN", error: "Internal server error" });
              return;
            }
            const key = `${localpart}|${body?.device_id ?? ""}`;
            const created = !devices.has(key);
            devices.add(key);
            events.push("upsert_device answered");
            json(res, created ? 201 : 200, {});
            return;
          }
          case "/_synapse/mas/delete_device":
            devices.delete(`${localpart}|${body?.device_id ?? ""}`);
            res.statusCode = 204;
            res.end();
            return;
          default:
            json(res, 404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A loopback port nothing listens on (just released by the kernel). */
export async function closedPort(): Promise<number> {
  const probe = await startStandIn();
  await probe.close();
  return Number(new URL(probe.url).port);
}
