// The devserver's own behaviour beyond the conformance suite: exact lifetimes on a frozen clock, options, token
// checking in authenticated mode, its documented choices where Synapse was not measured, and shutdown.
import { Agent, request } from "node:http";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { startDevserver, type Devserver } from "../../devserver/index";
import { useDevservers } from "../helpers/devservers";

const V2024_CREATE = "/_matrix/client/unstable/org.matrix.msc4108/rendezvous";
const V2025_BASE = "/_matrix/client/unstable/io.element.msc4388/rendezvous";
const FROZEN_NOW = Date.parse("2026-11-27T12:00:00Z");

const start = useDevservers({ now: () => FROZEN_NOW });

async function createV2024(server: Devserver): Promise<{ url: string; res: Response }> {
  const res = await fetch(`${server.baseUrl}${V2024_CREATE}`, {
    method: "POST",
    headers: { "Content-Type": "text/plain" },
    body: new Uint8Array(0),
  });
  expect(res.status).toBe(201);
  return { url: ((await res.clone().json()) as { url: string }).url, res };
}

async function createV2025(
  server: Devserver,
  data = "",
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.baseUrl}${V2025_BASE}`, { method: "POST", headers, body: JSON.stringify({ data }) });
}

async function errcodeOf(res: Response): Promise<string> {
  return ((await res.json()) as { errcode: string }).errcode;
}

describe("lifetimes on a frozen clock", () => {
  it("a v2024 session with ttlV2024S 5 lives until exactly 5 s after creation", async () => {
    const server = await start({ rendezvous: { ttlV2024S: 5 } });
    const { url, res } = await createV2024(server);
    expect(res.headers.get("expires")).toBe(new Date(FROZEN_NOW + 5000).toUTCString());
    expect(res.headers.get("last-modified")).toBe(new Date(FROZEN_NOW).toUTCString());
    server.hooks.clock.advance(4999);
    expect((await fetch(url)).status).toBe(200);
    server.hooks.clock.advance(1);
    expect((await fetch(url)).status).toBe(404);
  });

  it("a v2025 session with ttlV2025S 7 reports expires_in_ms to the millisecond and is gone at 7 s", async () => {
    const server = await start({ rendezvous: { ttlV2025S: 7 } });
    const created = (await (await createV2025(server)).json()) as { id: string; expires_in_ms: number };
    expect(created.expires_in_ms).toBe(7000);
    server.hooks.clock.advance(6999);
    const read = await fetch(`${server.baseUrl}${V2025_BASE}/${created.id}`);
    expect(((await read.json()) as { expires_in_ms: number }).expires_in_ms).toBe(1);
    server.hooks.clock.advance(1);
    expect((await fetch(`${server.baseUrl}${V2025_BASE}/${created.id}`)).status).toBe(404);
  });

  it("v2025 writes in the same millisecond with the same data still get a new token each time", async () => {
    const server = await start();
    const created = (await (await createV2025(server, "same")).json()) as {
      id: string;
      sequence_token: string;
    };
    let token = created.sequence_token;
    const seen = new Set([token]);
    for (let write = 0; write < 3; write += 1) {
      const res = await fetch(`${server.baseUrl}${V2025_BASE}/${created.id}`, {
        method: "PUT",
        body: JSON.stringify({ sequence_token: token, data: "same" }),
      });
      token = ((await res.json()) as { sequence_token: string }).sequence_token;
      seen.add(token);
    }
    expect(seen.size).toBe(4);
  });
});

describe("capacity", () => {
  it("by default (100) the 201st v2025 create drops the 100 oldest sessions", async () => {
    const server = await start();
    const ids: string[] = [];
    for (let index = 0; index < 201; index += 1) {
      ids.push(((await (await createV2025(server)).json()) as { id: string }).id);
    }
    const statuses = await Promise.all(
      ids.map(async (id) => (await fetch(`${server.baseUrl}${V2025_BASE}/${id}`)).status),
    );
    expect(statuses.slice(0, 100).every((status) => status === 404)).toBe(true);
    expect(statuses.slice(100).every((status) => status === 200)).toBe(true);
  });
});

describe("authenticated mode", () => {
  it("without an authenticate function every token is refused with 401 M_UNKNOWN_TOKEN", async () => {
    const server = await start({ rendezvous: { msc4388Mode: "authenticated" } });
    const res = await fetch(`${server.baseUrl}${V2025_BASE}`, {
      headers: { Authorization: "Bearer anything" },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      errcode: "M_UNKNOWN_TOKEN",
      error: "Token is not active",
      soft_logout: false,
    });
  });

  it("the token reaches authenticate from a Bearer Authorization header or the access_token query parameter", async () => {
    const seen: string[] = [];
    const server = await start({
      rendezvous: { msc4388Mode: "authenticated" },
      authenticate: (token) => {
        seen.push(token);
        return Promise.resolve(token.startsWith("good") ? { userId: "@alice:localhost" } : null);
      },
    });
    expect((await createV2025(server, "", { Authorization: "Bearer good-1" })).status).toBe(200);
    expect((await fetch(`${server.baseUrl}${V2025_BASE}?access_token=good-2`)).status).toBe(200);
    expect(await errcodeOf(await createV2025(server, "", { Authorization: "Bearer bad" }))).toBe(
      "M_UNKNOWN_TOKEN",
    );
    // As Synapse: another scheme, or a header and the query parameter together, count as no token at all.
    expect(await errcodeOf(await createV2025(server, "", { Authorization: "Basic Zm9vOmJhcg==" }))).toBe(
      "M_MISSING_TOKEN",
    );
    const both = await fetch(`${server.baseUrl}${V2025_BASE}?access_token=good-3`, {
      headers: { Authorization: "Bearer good-4" },
    });
    expect([both.status, await errcodeOf(both)]).toEqual([401, "M_MISSING_TOKEN"]);
    expect(seen).toEqual(["good-1", "good-2", "bad"]);
  });
});

describe("documented choices where Synapse 1.160 was not measured", () => {
  it("a v2025 txnId outside the opaque-identifier grammar is 400 M_INVALID_PARAM", async () => {
    const server = await start({ rendezvous: { v2025Put: "txn" } });
    const { id, sequence_token } = (await (await createV2025(server)).json()) as {
      id: string;
      sequence_token: string;
    };
    const res = await fetch(`${server.baseUrl}${V2025_BASE}/${id}/bad%20txn`, {
      method: "PUT",
      body: JSON.stringify({ sequence_token, data: "x" }),
    });
    expect(res.status).toBe(400);
    expect(await errcodeOf(res)).toBe("M_INVALID_PARAM");
  });

  it("a known path with a method it lacks is 405 M_UNRECOGNIZED; an unknown path is 404 M_UNRECOGNIZED", async () => {
    const server = await start();
    const patch = await fetch(`${server.baseUrl}/_matrix/client/versions`, { method: "PATCH" });
    expect([patch.status, await errcodeOf(patch)]).toEqual([405, "M_UNRECOGNIZED"]);
    const unknown = await fetch(`${server.baseUrl}/_matrix/client/v3/nothing-here`);
    expect(unknown.headers.get("content-type")).toBe("application/json");
    expect([unknown.status, await errcodeOf(unknown)]).toEqual([404, "M_UNRECOGNIZED"]);
  });

  it("the v2024 session ID is matched case-insensitively, as a ULID parser does", async () => {
    const server = await start();
    const { url } = await createV2024(server);
    const lower = url.replace(/[^/]+$/, (id) => id.toLowerCase());
    expect((await fetch(lower)).status).toBe(200);
  });
});

describe("options", () => {
  it("rejects values that cannot work", async () => {
    await expect(startDevserver({ rendezvous: { capacity: 0 } })).rejects.toThrow(/capacity/);
    await expect(startDevserver({ rendezvous: { ttlV2025S: -1 } })).rejects.toThrow(/ttlV2025S/);
    await expect(startDevserver({ rendezvous: { v2025Put: "sometimes" as never } })).rejects.toThrow(
      /v2025Put/,
    );
  });

  it("serverName defaults to localhost:<port> and can be set", async () => {
    const server = await start();
    expect(server.serverName).toBe(`localhost:${new URL(server.baseUrl).port}`);
    expect((await start({ serverName: "example.test" })).serverName).toBe("example.test");
  });
});

describe("close()", () => {
  it("closes idle keep-alive connections, so it resolves while a client still holds one", async () => {
    const server = await startDevserver();
    const agent = new Agent({ keepAlive: true });
    const socket = await new Promise<Socket>((resolve, reject) => {
      const req = request(`${server.baseUrl}/_matrix/client/versions`, { agent }, (res) => {
        res.resume();
        res.on("end", () => {
          resolve(req.socket as Socket);
        });
      });
      req.on("error", reject);
      req.end();
    });
    const socketClosed = new Promise<void>((resolve) =>
      socket.once("close", () => {
        resolve();
      }),
    );
    await server.close();
    await socketClosed;
    expect(socket.destroyed).toBe(true);
    agent.destroy();
  });
});
