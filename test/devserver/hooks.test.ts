// Test hooks: fault injection (each kind), the rendezvous log (which never holds a body or a token), the clock,
// and that none of the /_devserver paths exist unless asked for.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startDevserver,
  type Devserver,
  type FaultSpec,
  type RendezvousLogEntry,
} from "../../devserver/index";

const V2024_CREATE = "/_matrix/client/unstable/org.matrix.msc4108/rendezvous";
const V2025_BASE = "/_matrix/client/unstable/io.element.msc4388/rendezvous";
const FROZEN_NOW = Date.parse("2026-11-27T12:00:00Z");

let server: Devserver;

beforeAll(async () => {
  server = await startDevserver({ testHooks: true, now: () => FROZEN_NOW });
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await fetch(`${server.baseUrl}/_devserver/faults`, { method: "DELETE" });
  await fetch(`${server.baseUrl}/_devserver/rendezvous-log`, { method: "DELETE" });
});

function addFault(fault: FaultSpec): Promise<Response> {
  return fetch(`${server.baseUrl}/_devserver/faults`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(fault),
  });
}

/** Posts each fault description; every one is refused with 400 M_INVALID_PARAM. */
async function expectFaultsRefused(faults: readonly unknown[]): Promise<void> {
  for (const fault of faults) {
    const res = await fetch(`${server.baseUrl}/_devserver/faults`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(fault),
    });
    expect(res.status, JSON.stringify(fault)).toBe(400);
    expect(((await res.json()) as { errcode: string }).errcode).toBe("M_INVALID_PARAM");
  }
}

async function createV2024(body = ""): Promise<{ url: string; etag: string }> {
  const res = await fetch(`${server.baseUrl}${V2024_CREATE}`, {
    method: "POST",
    headers: { "Content-Type": "text/plain" },
    body: new TextEncoder().encode(body),
  });
  expect(res.status).toBe(201);
  const { url } = (await res.json()) as { url: string };
  return { url, etag: res.headers.get("etag") ?? "" };
}

function putV2024(url: string, body: string, ifMatch: string): Promise<Response> {
  return fetch(url, {
    method: "PUT",
    headers: { "Content-Type": "text/plain", "If-Match": ifMatch },
    body: new TextEncoder().encode(body),
  });
}

async function createV2025(data: string): Promise<{ id: string; token: string }> {
  const res = await fetch(`${server.baseUrl}${V2025_BASE}`, {
    method: "POST",
    body: JSON.stringify({ data }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { id: string; sequence_token: string };
  return { id: body.id, token: body.sequence_token };
}

function putV2025(id: string, sequenceToken: string, data: string): Promise<Response> {
  return fetch(`${server.baseUrl}${V2025_BASE}/${id}`, {
    method: "PUT",
    body: JSON.stringify({ sequence_token: sequenceToken, data }),
  });
}

async function readV2025(id: string): Promise<{ data: string; sequence_token: string }> {
  const res = await fetch(`${server.baseUrl}${V2025_BASE}/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { data: string; sequence_token: string };
}

async function readLog(): Promise<RendezvousLogEntry[]> {
  const res = await fetch(`${server.baseUrl}/_devserver/rendezvous-log`);
  expect(res.status).toBe(200);
  return (await res.json()) as RendezvousLogEntry[];
}

describe("fault injection: status", () => {
  it("a 429 fault answers M_LIMIT_EXCEEDED with retry_after_ms and Retry-After, applies nothing, then stops", async () => {
    const session = await createV2025("one");
    expect(
      (
        await addFault({
          method: "PUT",
          pathPattern: `^${V2025_BASE}/`,
          count: 1,
          status: 429,
          retryAfterMs: 2500,
        })
      ).status,
    ).toBe(200);
    const limited = await putV2025(session.id, session.token, "two");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(await limited.json()).toEqual({
      errcode: "M_LIMIT_EXCEEDED",
      error: "Too Many Requests",
      retry_after_ms: 2500,
    });
    expect((await readV2025(session.id)).data).toBe("one");
    expect((await putV2025(session.id, session.token, "two")).status).toBe(200);
  });

  it("a 503 fault answers a Matrix error; requests of another method or path are untouched", async () => {
    await addFault({ method: "post", pathPattern: "org\\.matrix\\.msc4108", count: 1, status: 503 });
    const untouched = await fetch(`${server.baseUrl}${V2025_BASE}`);
    expect(untouched.status).toBe(200);
    const failed = await fetch(`${server.baseUrl}${V2024_CREATE}`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: new Uint8Array(0),
    });
    expect(failed.status).toBe(503);
    expect(failed.headers.get("content-type")).toBe("application/json");
    expect(((await failed.json()) as { errcode: string }).errcode).toBe("M_UNKNOWN");
  });

  it("count is honoured: the fault hits exactly that many matching requests, and the pending list counts down", async () => {
    await addFault({ method: "*", pathPattern: "^/_matrix/client/versions$", count: 2, status: 500 });
    expect((await fetch(`${server.baseUrl}/_matrix/client/versions`)).status).toBe(500);
    expect(server.hooks.pendingFaults()).toEqual([
      expect.objectContaining({ pathPattern: "^/_matrix/client/versions$", remaining: 1 }),
    ]);
    expect((await fetch(`${server.baseUrl}/_matrix/client/versions`)).status).toBe(500);
    expect((await fetch(`${server.baseUrl}/_matrix/client/versions`)).status).toBe(200);
    const listed = (await (await fetch(`${server.baseUrl}/_devserver/faults`)).json()) as {
      faults: unknown[];
    };
    expect(listed.faults).toEqual([]);
  });

  it("DELETE /_devserver/faults clears pending faults, even one matching every path", async () => {
    await addFault({ method: "*", pathPattern: ".*", count: 5, status: 500 });
    expect((await fetch(`${server.baseUrl}/_devserver/faults`, { method: "DELETE" })).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/_matrix/client/versions`)).status).toBe(200);
  });

  it("an invalid fault is refused with 400 M_INVALID_PARAM", async () => {
    const cases: unknown[] = [
      { method: "GET", pathPattern: "(", count: 1, status: 500 },
      { method: "GET", pathPattern: ".*", count: 0, status: 500 },
      { method: "GET", pathPattern: ".*", count: 1 },
      { method: "GET", pathPattern: ".*", count: 1, status: 500, rewriteEtag: "weak" },
      { method: "GET", pathPattern: ".*", count: 1, status: 200 },
      { method: "GET", pathPattern: ".*", count: 1, status: 500, retryAfterMs: 10 },
      { method: "GET", pathPattern: ".*", count: 1, rewriteEtag: "strip" },
    ];
    await expectFaultsRefused(cases);
    expect(server.hooks.pendingFaults()).toEqual([]);
  });
});

describe("fault injection: dropResponseAfterCommit", () => {
  it("v2024 PUT: the write is applied, the connection dies without a response, the log says dropped", async () => {
    const session = await createV2024("one");
    await addFault({
      method: "PUT",
      pathPattern: "^/_synapse/client/rendezvous/",
      count: 1,
      dropResponseAfterCommit: true,
    });
    await expect(putV2024(session.url, "two", session.etag)).rejects.toThrow();
    const read = await fetch(session.url);
    expect(await read.text()).toBe("two");
    const log = await readLog();
    expect(log.find((entry) => entry.method === "PUT")).toMatchObject({
      status: 202,
      dropped: true,
      bodyBytes: 3,
    });
  });

  it("v2025 PUT: the write is applied though the client saw no answer, and its retry is answered with the new token", async () => {
    const session = await createV2025("one");
    await addFault({
      method: "PUT",
      pathPattern: `^${V2025_BASE}/`,
      count: 1,
      dropResponseAfterCommit: true,
    });
    await expect(putV2025(session.id, session.token, "two")).rejects.toThrow();
    const after = await readV2025(session.id);
    expect(after.data).toBe("two");
    expect(after.sequence_token).not.toBe(session.token);
    const retry = await putV2025(session.id, session.token, "two");
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ sequence_token: after.sequence_token });
  });
});

describe("fault injection: statusAfterCommit", () => {
  it("v2024 PUT: the write is applied, the client sees the gateway's 502 without the origin's headers, the log says 502", async () => {
    const session = await createV2024("one");
    await addFault({
      method: "PUT",
      pathPattern: "^/_synapse/client/rendezvous/",
      count: 1,
      statusAfterCommit: 502,
    });
    const failed = await putV2024(session.url, "two", session.etag);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toEqual({ errcode: "M_UNKNOWN", error: "Injected fault: HTTP 502" });
    // The origin's 202 would have carried these; the gateway's page does not. What came before the origin stays.
    expect(failed.headers.get("etag")).toBeNull();
    expect(failed.headers.get("expires")).toBeNull();
    expect(failed.headers.get("access-control-allow-origin")).toBe("*");

    const read = await fetch(session.url);
    expect(await read.text()).toBe("two");
    // The write landed: resending it on the old ETag is refused, and the server names the new one.
    const resent = await putV2024(session.url, "two", session.etag);
    expect(resent.status).toBe(412);
    expect(resent.headers.get("etag")).toBe(read.headers.get("etag"));
    const puts = (await readLog()).filter((entry) => entry.method === "PUT");
    expect(puts).toEqual([
      expect.objectContaining({ status: 502, bodyBytes: 3 }),
      expect.objectContaining({ status: 412 }),
    ]);
    expect(puts[0]).not.toHaveProperty("dropped");
  });

  it("v2025 PUT (in-process hook): the write is applied behind a 504, and the identical resend gets 200 with the new token", async () => {
    const session = await createV2025("one");
    server.hooks.addFault({
      method: "PUT",
      pathPattern: `^${V2025_BASE}/`,
      count: 1,
      statusAfterCommit: 504,
    });
    const failed = await putV2025(session.id, session.token, "two");
    expect(failed.status).toBe(504);
    expect(((await failed.json()) as { errcode: string }).errcode).toBe("M_UNKNOWN");
    const after = await readV2025(session.id);
    expect(after.data).toBe("two");
    expect(after.sequence_token).not.toBe(session.token);

    const resent = await putV2025(session.id, session.token, "two");
    expect(resent.status).toBe(200);
    expect(await resent.json()).toEqual({ sequence_token: after.sequence_token });
    expect(server.hooks.pendingFaults()).toEqual([]);
  });

  it("a refused write stays refused behind the gateway's status: nothing is applied", async () => {
    const session = await createV2025("one");
    await addFault({ method: "PUT", pathPattern: `^${V2025_BASE}/`, count: 1, statusAfterCommit: 502 });
    const failed = await putV2025(session.id, "not-the-token", "two");
    expect(failed.status).toBe(502);
    expect(await readV2025(session.id)).toEqual(
      expect.objectContaining({ data: "one", sequence_token: session.token }),
    );
  });

  it("is listed as pending, and refuses a status outside 500-599 or alongside another kind", async () => {
    const cases: unknown[] = [
      { method: "PUT", pathPattern: ".*", count: 1, statusAfterCommit: 429 },
      { method: "PUT", pathPattern: ".*", count: 1, statusAfterCommit: 600 },
      { method: "PUT", pathPattern: ".*", count: 1, statusAfterCommit: "502" },
      { method: "PUT", pathPattern: ".*", count: 1, statusAfterCommit: 502.5 },
      { method: "PUT", pathPattern: ".*", count: 1, statusAfterCommit: 502, status: 502 },
      { method: "PUT", pathPattern: ".*", count: 1, statusAfterCommit: 502, dropResponseAfterCommit: true },
      { method: "PUT", pathPattern: ".*", count: 1, statusAfterCommit: 503, retryAfterMs: 10 },
    ];
    await expectFaultsRefused(cases);
    expect(() => {
      server.hooks.addFault({ method: "PUT", pathPattern: ".*", count: 1, statusAfterCommit: 400 });
    }).toThrow(/statusAfterCommit/);

    expect(
      (await addFault({ method: "PUT", pathPattern: "^/x$", count: 2, statusAfterCommit: 503 })).status,
    ).toBe(200);
    const listed = (await (await fetch(`${server.baseUrl}/_devserver/faults`)).json()) as {
      faults: unknown[];
    };
    expect(listed.faults).toEqual([
      { method: "PUT", pathPattern: "^/x$", count: 2, statusAfterCommit: 503, remaining: 2 },
    ]);
  });
});

describe("fault injection: rewriteEtag", () => {
  it('weak (nginx gzip): the ETag becomes W/"…", and a PUT echoing it gets 412 with the server\'s strong ETag', async () => {
    await addFault({ method: "POST", pathPattern: "org\\.matrix\\.msc4108", count: 1, rewriteEtag: "weak" });
    const session = await createV2024("one");
    expect(session.etag).toMatch(/^W\/"[A-Za-z0-9_-]{43}"$/);
    const rejected = await putV2024(session.url, "two", session.etag);
    expect(rejected.status).toBe(412);
    expect(rejected.headers.get("etag")).toBe(session.etag.slice(2));
    expect((await putV2024(session.url, "two", session.etag.slice(2))).status).toBe(202);
  });

  it('suffix (Apache mod_deflate): "x" becomes "x-gzip" on a GET, which no longer matches on PUT', async () => {
    const session = await createV2024("one");
    await addFault({
      method: "GET",
      pathPattern: "^/_synapse/client/rendezvous/",
      count: 1,
      rewriteEtag: "suffix",
    });
    const read = await fetch(session.url);
    expect(await read.text()).toBe("one");
    expect(read.headers.get("etag")).toBe(`${session.etag.slice(0, -1)}-gzip"`);
    expect((await putV2024(session.url, "two", read.headers.get("etag") ?? "")).status).toBe(412);
    // Only the next GET was altered.
    expect((await fetch(session.url)).headers.get("etag")).toBe(session.etag);
  });

  it("v2025: a rewritten sequence_token is refused with 409, and the body is otherwise intact", async () => {
    const session = await createV2025("one");
    await addFault({ method: "GET", pathPattern: `^${V2025_BASE}/`, count: 1, rewriteEtag: "suffix" });
    const altered = await readV2025(session.id);
    expect(altered).toMatchObject({ data: "one", sequence_token: `${session.token}-gzip` });
    const res = await putV2025(session.id, altered.sequence_token, "two");
    expect(res.status).toBe(409);
    expect(((await res.json()) as { errcode: string }).errcode).toBe("IO_ELEMENT_MSC4388_CONCURRENT_WRITE");
  });
});

describe("rendezvous log", () => {
  it("records time, method, path, status and body size of every rendezvous request, and nothing else", async () => {
    const marker = "SECRET-PAYLOAD-d41d8cd9";
    const v2024 = await createV2024(marker);
    await putV2024(v2024.url, `${marker}-2`, v2024.etag);
    await fetch(v2024.url);
    const v2025 = await createV2025(marker);
    await putV2025(v2025.id, v2025.token, `${marker}-3`);
    await fetch(`${server.baseUrl}${V2025_BASE}?access_token=SECRET-TOKEN-0f1e`, {
      headers: { Authorization: "Bearer SECRET-TOKEN-2c3d" },
    });
    await fetch(`${server.baseUrl}/_matrix/client/versions`);

    const log = await readLog();
    const v2024Path = new URL(v2024.url).pathname;
    expect(log.map(({ method, path, status }) => [method, path, status])).toEqual([
      ["POST", V2024_CREATE, 201],
      ["PUT", v2024Path, 202],
      ["GET", v2024Path, 200],
      ["POST", V2025_BASE, 200],
      ["PUT", `${V2025_BASE}/${v2025.id}`, 200],
      ["GET", V2025_BASE, 200],
    ]);
    expect(log.map((entry) => entry.bodyBytes)).toEqual([
      marker.length,
      marker.length + 2,
      0,
      JSON.stringify({ data: marker }).length,
      JSON.stringify({ sequence_token: v2025.token, data: `${marker}-3` }).length,
      0,
    ]);
    expect(log.every((entry) => entry.time === FROZEN_NOW)).toBe(true);
    for (const entry of log)
      expect(Object.keys(entry).sort()).toEqual(["bodyBytes", "method", "path", "status", "time"]);

    const text = JSON.stringify(log);
    for (const secret of [marker, "SECRET-TOKEN", v2025.token, v2024.etag.slice(1, -1)]) {
      expect(text).not.toContain(secret);
    }
  });

  it("the same entries are available in-process, and DELETE clears them", async () => {
    await createV2025("x");
    expect(server.hooks.rendezvousLog()).toEqual(await readLog());
    expect(server.hooks.rendezvousLog()).toHaveLength(1);
    expect((await fetch(`${server.baseUrl}/_devserver/rendezvous-log`, { method: "DELETE" })).status).toBe(
      200,
    );
    expect(await readLog()).toEqual([]);
    await createV2025("y");
    server.hooks.clearRendezvousLog();
    expect(await readLog()).toEqual([]);
  });

  it("records requests answered by a fault", async () => {
    await addFault({ method: "GET", pathPattern: `^${V2025_BASE}$`, count: 1, status: 429 });
    await fetch(`${server.baseUrl}${V2025_BASE}`);
    expect(await readLog()).toEqual([
      { time: FROZEN_NOW, method: "GET", path: V2025_BASE, status: 429, bodyBytes: 0 },
    ]);
  });
});

describe("clock hook", () => {
  it("POST /_devserver/clock moves the clock: a v2025 session expires without waiting", async () => {
    const session = await createV2025("x");
    const before = ((await (await fetch(`${server.baseUrl}/_devserver/clock`)).json()) as { now: number })
      .now;
    const moved = await fetch(`${server.baseUrl}/_devserver/clock`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ advanceMs: 120_000 }),
    });
    expect(await moved.json()).toEqual({ now: before + 120_000 });
    expect((await fetch(`${server.baseUrl}${V2025_BASE}/${session.id}`)).status).toBe(404);
    const refused = await fetch(`${server.baseUrl}/_devserver/clock`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ advanceMs: -1 }),
    });
    expect(refused.status).toBe(400);
  });
});

describe("without testHooks", () => {
  let plain: Devserver;
  beforeAll(async () => {
    plain = await startDevserver();
  });
  afterAll(async () => {
    await plain.close();
  });

  it("every /_devserver path is 404 M_UNRECOGNIZED and no fault can be added over HTTP", async () => {
    for (const [method, path] of [
      ["POST", "/_devserver/faults"],
      ["DELETE", "/_devserver/faults"],
      ["GET", "/_devserver/rendezvous-log"],
      ["DELETE", "/_devserver/rendezvous-log"],
      ["POST", "/_devserver/clock"],
    ] as const) {
      const res = await fetch(`${plain.baseUrl}${path}`, {
        method,
        ...(method === "POST"
          ? { body: JSON.stringify({ method: "*", pathPattern: ".*", count: 1, status: 500 }) }
          : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(((await res.json()) as { errcode: string }).errcode).toBe("M_UNRECOGNIZED");
    }
    expect(plain.hooks.pendingFaults()).toEqual([]);
    expect((await fetch(`${plain.baseUrl}/_matrix/client/versions`)).status).toBe(200);
  });
});

// Adversarial review finding 5: the hooks answered CORS `*` and read JSON whatever the Content-Type, so any web
// page in the developer's browser could use them. (hooks-browser.test.ts proves it in Chromium.)
describe("who may use the test hooks", () => {
  const FOREIGN = "http://evil.example";
  const FAULT = { method: "*", pathPattern: ".*", count: 1, status: 500 };

  it("a request from a foreign Origin is refused 403, whatever the path, method or body", async () => {
    for (const [method, path] of [
      ["GET", "/_devserver/rendezvous-log"],
      ["POST", "/_devserver/faults"],
      ["POST", "/_devserver/token"],
      ["POST", "/_devserver/approve"],
      ["POST", "/_devserver/clock"],
      ["DELETE", "/_devserver/faults"],
      ["OPTIONS", "/_devserver/rendezvous-log"],
    ] as const) {
      const res = await fetch(`${server.baseUrl}${path}`, {
        method,
        headers: { Origin: FOREIGN, "Content-Type": "application/json" },
        ...(method === "POST" ? { body: JSON.stringify(FAULT) } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.headers.get("access-control-allow-origin"), `${method} ${path}`).toBeNull();
    }
    expect(server.hooks.pendingFaults()).toEqual([]);
  });

  it("the devserver's own origin, and no Origin at all (Node, curl, the CLI), are let through", async () => {
    const own = new URL(server.baseUrl).origin;
    expect(
      (await fetch(`${server.baseUrl}/_devserver/rendezvous-log`, { headers: { Origin: own } })).status,
    ).toBe(200);
    expect((await fetch(`${server.baseUrl}/_devserver/rendezvous-log`)).status).toBe(200);
  });

  it("a body that is not application/json is refused 415 and never read", async () => {
    for (const contentType of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const res = await fetch(`${server.baseUrl}/_devserver/faults`, {
        method: "POST",
        headers: { "Content-Type": contentType },
        body: JSON.stringify(FAULT),
      });
      expect(res.status, contentType).toBe(415);
    }
    const untyped = await fetch(`${server.baseUrl}/_devserver/faults`, {
      method: "POST",
      body: new TextEncoder().encode(JSON.stringify(FAULT)),
    });
    expect(untyped.status).toBe(415);
    expect(server.hooks.pendingFaults()).toEqual([]);
    const json = await fetch(`${server.baseUrl}/_devserver/faults`, {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: JSON.stringify(FAULT),
    });
    expect(json.status).toBe(200);
  });

  it("the hooks carry no CORS headers; the Matrix API keeps Synapse's", async () => {
    const hook = await fetch(`${server.baseUrl}/_devserver/rendezvous-log`);
    for (const name of [
      "access-control-allow-origin",
      "access-control-allow-methods",
      "access-control-allow-headers",
    ]) {
      expect(hook.headers.get(name), name).toBeNull();
    }
    const api = await fetch(`${server.baseUrl}/_matrix/client/versions`, { headers: { Origin: FOREIGN } });
    expect(api.headers.get("access-control-allow-origin")).toBe("*");
  });
});
