// Rendezvous conformance suite: what a homeserver must answer on both rendezvous APIs (PROTOCOL.md §2.1, §2.2 and
// the Synapse 1.160 measurements in §3.3), seen from an HTTP client. It registers Vitest tests against a target
// and knows nothing about the devserver, so the real-Synapse lane runs this same file. Tests that need something
// only a test server offers (a clock to move, a valid access token, small limits) skip themselves with the reason
// when the target lacks it; parts a target does not serve are checked to be absent instead.
//
// Requests go through global fetch, as clients send them. Node's fetch adds `text/plain;charset=UTF-8` to a
// string body unless Content-Type is set explicitly, and always sends `Sec-Fetch-Mode: cors`, so the two tests
// that need other bytes on the wire (a navigation request) use node:http directly.
import { createHash, randomUUID } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { describe, expect, it, type TestContext } from "vitest";

/** What a target serves; fixed when tests are registered. */
export interface RendezvousCapabilities {
  /** Serves MSC4108 v2024 (and sets `org.matrix.msc4108` in /versions). */
  readonly v2024: boolean;
  readonly msc4388Mode: "open" | "authenticated" | "off";
  /** `plain`: PUT {base}/{id}; `txn`: PUT {base}/{id}/{txnId}; `both`. */
  readonly v2025Put: "plain" | "txn" | "both";
  /** Serves MSC4388 at the stable /_matrix/client/v1/rendezvous too. */
  readonly v2025Stable: boolean;
  /** v2024 body limit and v2025 `data` limit, in bytes. */
  readonly maxBytes: number;
  readonly ttlV2024S: number;
  readonly ttlV2025S: number;
  /**
   * Sessions kept per API. The eviction tests create 2×capacity+1 sessions, so give it only where that is cheap
   * (and rate limits allow it).
   */
  readonly capacity?: number;
}

/** How to reach a target; read when the tests run (after the server started). */
export interface RendezvousConnection {
  /** Where requests go: the client-server API base URL, no trailing slash. */
  readonly baseUrl: string;
  /** What the server puts in the URLs it hands out (Synapse's `public_baseurl`), no trailing slash. */
  readonly publicBaseUrl: string;
  /** A valid access token (needed to create MSC4388 sessions in authenticated mode). */
  readonly accessToken?: string;
  /** Moves the server's clock forward; only test servers have it (expiry and periodic eviction need it). */
  readonly advanceClock?: (ms: number) => Promise<void>;
}

/** Synapse 1.160.0 with `msc4108_enabled: true, msc4388_mode: open` (PROTOCOL.md §3.3). */
export const SYNAPSE_1_160_CAPABILITIES: RendezvousCapabilities = {
  v2024: true,
  msc4388Mode: "open",
  v2025Put: "plain",
  v2025Stable: false,
  maxBytes: 4096,
  ttlV2024S: 60,
  ttlV2025S: 120,
  capacity: 100,
};

const V2024_CREATE = "/_matrix/client/unstable/org.matrix.msc4108/rendezvous";
const V2024_SESSION_URL = /\/_synapse\/client\/rendezvous\/([0-9A-HJKMNP-TV-Z]{26})$/;
const V2025_UNSTABLE = "/_matrix/client/unstable/io.element.msc4388/rendezvous";
const V2025_STABLE = "/_matrix/client/v1/rendezvous";
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BASE64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;
/** Synapse's sweep interval; the periodic-eviction tests move the clock past it. */
const SWEEP_INTERVAL_MS = 60_000;

// ---------------------------------------------------------------------------------------------------------------
// Helpers

type Json = Record<string, unknown>;

const encoder = new TextEncoder();

function bytes(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

function sha256Base64Url(...parts: readonly (string | Uint8Array)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("base64url");
}

function v2024Etag(body: string): string {
  return `"${sha256Base64Url(body)}"`;
}

function u128(value: number): Uint8Array {
  const out = new Uint8Array(16);
  new DataView(out.buffer).setBigUint64(8, BigInt(value));
  return out;
}

function ulidTime(ulid: string): number {
  let time = 0;
  for (const char of ulid.slice(0, 10)) time = time * 32 + CROCKFORD.indexOf(char);
  return time;
}

async function jsonOf(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`HTTP ${res.status}: body is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
}

async function jsonObject(res: Response): Promise<Json> {
  const body = await jsonOf(res);
  expect(body, `HTTP ${res.status} body`).toBeTypeOf("object");
  expect(Array.isArray(body)).toBe(false);
  return body as Json;
}

function expectJsonContentType(res: Response): void {
  expect(res.headers.get("content-type")?.split(";")[0]?.trim()).toBe("application/json");
}

/** A Matrix error: the status, JSON content and an errcode from `errcodes`. */
async function expectError(
  res: Response,
  status: number,
  errcodes: string | readonly string[],
): Promise<Json> {
  const body = await jsonObject(res);
  expect(res.status, `body ${JSON.stringify(body)}`).toBe(status);
  expectJsonContentType(res);
  expect([errcodes].flat()).toContain(body.errcode);
  expect(body.error === undefined || typeof body.error === "string").toBe(true);
  return body;
}

async function expectOk(res: Response, status = 200): Promise<Json> {
  const body = await jsonObject(res);
  expect(res.status, `body ${JSON.stringify(body)}`).toBe(status);
  expectJsonContentType(res);
  return body;
}

function headerList(res: Response, name: string): string[] {
  return (res.headers.get(name) ?? "")
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== "");
}

function httpDate(res: Response, name: string): number {
  const value = res.headers.get(name);
  expect(value, `${name} header`).not.toBeNull();
  const time = Date.parse(value ?? "");
  expect(Number.isNaN(time), `${name}: ${value ?? ""} is an HTTP-date`).toBe(false);
  return time;
}

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A request with exactly these headers (fetch would add or override some). */
function rawRequest(url: string, method: string, headers: Record<string, string>): Promise<RawResponse> {
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function skipUnless(ctx: TestContext, condition: boolean, reason: string): void {
  if (!condition) ctx.skip(reason);
}

// ---------------------------------------------------------------------------------------------------------------
// /versions

export function describeVersionsConformance(
  capabilities: RendezvousCapabilities,
  connect: () => RendezvousConnection,
): void {
  describe("GET /_matrix/client/versions", () => {
    it(`advertises v1.15 and org.matrix.msc4108 = ${capabilities.v2024}, and no MSC4388 flag`, async () => {
      const res = await fetch(`${connect().baseUrl}/_matrix/client/versions`);
      const body = await expectOk(res);
      expect(body.versions).toContain("v1.15");
      const features = (body.unstable_features ?? {}) as Json;
      if (capabilities.v2024) expect(features["org.matrix.msc4108"]).toBe(true);
      else expect(features["org.matrix.msc4108"] ?? false).toBe(false);
      // MSC4388 is discovered through GET …/rendezvous; Synapse has no flag for it (PROTOCOL.md §3.3).
      expect(Object.keys(features).filter((key) => key.includes("4388"))).toEqual([]);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// v2024 (MSC4108 ETag API)

interface V2024Session {
  /** The session URL as handed out. */
  readonly url: string;
  /** Where to send requests for it (the handed-out URL moved onto `baseUrl`). */
  readonly requestUrl: string;
  readonly created: Response;
}

function textPlain(extra: Record<string, string> = {}): Record<string, string> {
  return { "Content-Type": "text/plain", ...extra };
}

async function createV2024(conn: RendezvousConnection, body = ""): Promise<V2024Session> {
  const created = await fetch(`${conn.baseUrl}${V2024_CREATE}`, {
    method: "POST",
    headers: textPlain(),
    body: bytes(body),
  });
  const json = await expectOk(created.clone(), 201);
  expect(json.url).toBeTypeOf("string");
  const url = json.url as string;
  expect(url.startsWith(`${conn.publicBaseUrl}/_synapse/client/rendezvous/`), url).toBe(true);
  return { url, requestUrl: `${conn.baseUrl}${url.slice(conn.publicBaseUrl.length)}`, created };
}

function putV2024(session: V2024Session, body: string, ifMatch: string | null): Promise<Response> {
  return fetch(session.requestUrl, {
    method: "PUT",
    headers: textPlain(ifMatch === null ? {} : { "If-Match": ifMatch }),
    body: bytes(body),
  });
}

/** The headers Synapse sends with 201, 200, 202, 304 and 412 (PROTOCOL.md §2.1). */
function expectV2024SessionHeaders(res: Response, etag: string): void {
  expect(res.headers.get("etag")).toBe(etag);
  httpDate(res, "expires");
  httpDate(res, "last-modified");
  expect(headerList(res, "cache-control")).toEqual(expect.arrayContaining(["no-store", "no-transform"]));
  expect(res.headers.get("pragma")).toBe("no-cache");
  expect(res.headers.get("access-control-allow-origin")).toBe("*");
  // js-sdk reads ETag from a browser, which hides it unless exposed (names compare case-insensitively).
  expect(headerList(res, "access-control-expose-headers")).toContain("etag");
}

export function describeV2024Conformance(
  capabilities: RendezvousCapabilities,
  connect: () => RendezvousConnection,
): void {
  const { maxBytes, ttlV2024S, capacity } = capabilities;

  if (!capabilities.v2024) {
    describe("v2024 rendezvous (not served)", () => {
      it("POST …/org.matrix.msc4108/rendezvous is 404 M_UNRECOGNIZED", async () => {
        const res = await fetch(`${connect().baseUrl}${V2024_CREATE}`, {
          method: "POST",
          headers: textPlain(),
          body: bytes(""),
        });
        await expectError(res, 404, "M_UNRECOGNIZED");
      });
      it("a session path is 404", async () => {
        const res = await fetch(`${connect().baseUrl}/_synapse/client/rendezvous/01HX9K00Q1H6KPD47EG4G1T3XG`);
        expect(res.status).toBe(404);
      });
    });
    return;
  }

  describe("v2024 rendezvous: create", () => {
    it("text/plain body -> 201 {url} on the public base URL, with ETag, Expires, Last-Modified and no-cache headers", async () => {
      const conn = connect();
      const { url, created } = await createV2024(conn, "initial payload");
      expect(url).toMatch(V2024_SESSION_URL);
      expect(created.headers.get("location")).toBeNull();
      expectV2024SessionHeaders(created, v2024Etag("initial payload"));
    });

    it(`Expires is creation + ${ttlV2024S} s (Expires - Last-Modified)`, async () => {
      const { created } = await createV2024(connect());
      expect(httpDate(created, "expires") - httpDate(created, "last-modified")).toBe(ttlV2024S * 1000);
    });

    it("an empty body (what clients send) -> 201, and GET returns it as an empty text/plain body", async () => {
      const session = await createV2024(connect(), "");
      const res = await fetch(session.requestUrl);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain");
      expect(await res.text()).toBe("");
    });

    it("a string body with Content-Type set explicitly to text/plain -> 201", async () => {
      const res = await fetch(`${connect().baseUrl}${V2024_CREATE}`, {
        method: "POST",
        headers: textPlain(),
        body: "string body",
      });
      await expectOk(res, 201);
      expect(res.headers.get("etag")).toBe(v2024Etag("string body"));
    });

    it("a string body without Content-Type (fetch sends text/plain;charset=UTF-8) -> 400 M_INVALID_PARAM", async () => {
      const res = await fetch(`${connect().baseUrl}${V2024_CREATE}`, { method: "POST", body: "" });
      await expectError(res, 400, "M_INVALID_PARAM");
    });

    it("Content-Type text/plain; charset=utf-8 set explicitly -> 400 M_INVALID_PARAM", async () => {
      const res = await fetch(`${connect().baseUrl}${V2024_CREATE}`, {
        method: "POST",
        headers: { "Content-Type": "text/plain; charset=utf-8" },
        body: bytes(""),
      });
      await expectError(res, 400, "M_INVALID_PARAM");
    });

    it("Content-Type application/json -> 400 M_INVALID_PARAM", async () => {
      const res = await fetch(`${connect().baseUrl}${V2024_CREATE}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: bytes("{}"),
      });
      await expectError(res, 400, "M_INVALID_PARAM");
    });

    it("no Content-Type (a byte body) -> 400 M_MISSING_PARAM", async () => {
      const res = await fetch(`${connect().baseUrl}${V2024_CREATE}`, { method: "POST", body: bytes("x") });
      await expectError(res, 400, "M_MISSING_PARAM");
    });

    it("no Content-Length (a chunked body) -> 400 M_MISSING_PARAM", async () => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes("chunked"));
          controller.close();
        },
      });
      const res = await fetch(`${connect().baseUrl}${V2024_CREATE}`, {
        method: "POST",
        headers: textPlain(),
        body,
        duplex: "half",
      } as RequestInit);
      await expectError(res, 400, "M_MISSING_PARAM");
    });

    it(`a body of exactly ${maxBytes} bytes -> 201; one byte more -> 413 M_TOO_LARGE`, async () => {
      const conn = connect();
      const fits = await fetch(`${conn.baseUrl}${V2024_CREATE}`, {
        method: "POST",
        headers: textPlain(),
        body: bytes("a".repeat(maxBytes)),
      });
      await expectOk(fits, 201);
      const tooBig = await fetch(`${conn.baseUrl}${V2024_CREATE}`, {
        method: "POST",
        headers: textPlain(),
        body: bytes("a".repeat(maxBytes + 1)),
      });
      await expectError(tooBig, 413, "M_TOO_LARGE");
    });

    it("each create gets a new ULID session", async () => {
      const conn = connect();
      const first = await createV2024(conn);
      const second = await createV2024(conn);
      expect(first.url).not.toBe(second.url);
    });
  });

  describe("v2024 rendezvous: receive, send, cancel", () => {
    it("GET -> 200 text/plain (exactly) with the payload and the session headers", async () => {
      const session = await createV2024(connect(), "hello");
      const res = await fetch(session.requestUrl);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain");
      expect(await res.text()).toBe("hello");
      expectV2024SessionHeaders(res, v2024Etag("hello"));
      expect(res.headers.get("expires")).toBe(session.created.headers.get("expires"));
    });

    it("GET with If-None-Match: the current ETag -> 304, no body, with ETag, Expires, Last-Modified", async () => {
      const session = await createV2024(connect(), "hello");
      const res = await fetch(session.requestUrl, { headers: { "If-None-Match": v2024Etag("hello") } });
      expect(res.status).toBe(304);
      expect(await res.text()).toBe("");
      expectV2024SessionHeaders(res, v2024Etag("hello"));
    });

    it("GET with If-None-Match: the weak form of the current ETag -> 304 (weak comparison)", async () => {
      const session = await createV2024(connect(), "hello");
      const res = await fetch(session.requestUrl, {
        headers: { "If-None-Match": `W/${v2024Etag("hello")}` },
      });
      expect(res.status).toBe(304);
    });

    it("GET with If-None-Match: a stale ETag -> 200 with the current payload", async () => {
      const session = await createV2024(connect(), "hello");
      const res = await fetch(session.requestUrl, { headers: { "If-None-Match": v2024Etag("older") } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("hello");
    });

    it("PUT with the current ETag -> 202, empty body, new ETag = hash of the new payload; GET returns it", async () => {
      const session = await createV2024(connect(), "one");
      const res = await putV2024(session, "two", v2024Etag("one"));
      expect(res.status).toBe(202);
      expect(await res.text()).toBe("");
      expectV2024SessionHeaders(res, v2024Etag("two"));
      const read = await fetch(session.requestUrl);
      expect(await read.text()).toBe("two");
      expect(read.headers.get("etag")).toBe(v2024Etag("two"));
    });

    it("PUT does not extend the lifetime: Expires stays at creation + TTL", async () => {
      const session = await createV2024(connect(), "one");
      const res = await putV2024(session, "two", v2024Etag("one"));
      expect(res.status).toBe(202);
      expect(res.headers.get("expires")).toBe(session.created.headers.get("expires"));
      expect(httpDate(res, "last-modified")).toBeGreaterThanOrEqual(
        httpDate(session.created, "last-modified"),
      );
    });

    it("the ETag is a hash of the content only: PUT of the same payload -> 202 with the same ETag", async () => {
      const session = await createV2024(connect(), "same");
      const res = await putV2024(session, "same", v2024Etag("same"));
      expect(res.status).toBe(202);
      expect(res.headers.get("etag")).toBe(v2024Etag("same"));
    });

    it("a string body with Content-Type set explicitly to text/plain -> 202", async () => {
      const session = await createV2024(connect(), "one");
      const res = await fetch(session.requestUrl, {
        method: "PUT",
        headers: textPlain({ "If-Match": v2024Etag("one") }),
        body: "two",
      });
      expect(res.status).toBe(202);
    });

    it("PUT with a stale ETag -> 412 M_UNKNOWN / org.matrix.msc4108.errcode M_CONCURRENT_WRITE, with the current ETag", async () => {
      const session = await createV2024(connect(), "one");
      const res = await putV2024(session, "two", v2024Etag("stale"));
      const body = await expectError(res, 412, "M_UNKNOWN");
      expect(body["org.matrix.msc4108.errcode"]).toBe("M_CONCURRENT_WRITE");
      expect(body.error).toBeTypeOf("string");
      expectV2024SessionHeaders(res, v2024Etag("one"));
      expect(await (await fetch(session.requestUrl)).text()).toBe("one");
    });

    it("PUT with If-Match: the weak form of the current ETag -> 412 (strong comparison)", async () => {
      const session = await createV2024(connect(), "one");
      const res = await putV2024(session, "two", `W/${v2024Etag("one")}`);
      await expectError(res, 412, "M_UNKNOWN");
    });

    it("PUT without If-Match -> 400 M_MISSING_PARAM", async () => {
      const session = await createV2024(connect(), "one");
      await expectError(await putV2024(session, "two", null), 400, "M_MISSING_PARAM");
    });

    it("PUT with a string body and no Content-Type (text/plain;charset=UTF-8) -> 400 M_INVALID_PARAM", async () => {
      const session = await createV2024(connect(), "one");
      const res = await fetch(session.requestUrl, {
        method: "PUT",
        headers: { "If-Match": v2024Etag("one") },
        body: "two",
      });
      await expectError(res, 400, "M_INVALID_PARAM");
    });

    it("PUT without Content-Type (a byte body) -> 400 M_MISSING_PARAM", async () => {
      const session = await createV2024(connect(), "one");
      const res = await fetch(session.requestUrl, {
        method: "PUT",
        headers: { "If-Match": v2024Etag("one") },
        body: bytes("two"),
      });
      await expectError(res, 400, "M_MISSING_PARAM");
    });

    it(`PUT of more than ${maxBytes} bytes -> 413 M_TOO_LARGE, nothing changed`, async () => {
      const session = await createV2024(connect(), "one");
      await expectError(
        await putV2024(session, "b".repeat(maxBytes + 1), v2024Etag("one")),
        413,
        "M_TOO_LARGE",
      );
      expect(await (await fetch(session.requestUrl)).text()).toBe("one");
    });

    it("DELETE -> 204; afterwards GET, PUT and DELETE -> 404 M_NOT_FOUND", async () => {
      const session = await createV2024(connect(), "one");
      const res = await fetch(session.requestUrl, { method: "DELETE" });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      await expectError(await fetch(session.requestUrl), 404, "M_NOT_FOUND");
      await expectError(await putV2024(session, "two", v2024Etag("one")), 404, "M_NOT_FOUND");
      await expectError(await fetch(session.requestUrl, { method: "DELETE" }), 404, "M_NOT_FOUND");
    });

    it("an unknown session ID -> 404 M_NOT_FOUND on GET, PUT and DELETE", async () => {
      const unknown = `${connect().baseUrl}/_synapse/client/rendezvous/01HX9K00Q1H6KPD47EG4G1T3XG`;
      await expectError(await fetch(unknown), 404, "M_NOT_FOUND");
      const put = await fetch(unknown, {
        method: "PUT",
        headers: textPlain({ "If-Match": '"x"' }),
        body: bytes(""),
      });
      await expectError(put, 404, "M_NOT_FOUND");
      await expectError(await fetch(unknown, { method: "DELETE" }), 404, "M_NOT_FOUND");
    });

    it("a session ID that is not a ULID -> 404 M_NOT_FOUND", async () => {
      await expectError(
        await fetch(`${connect().baseUrl}/_synapse/client/rendezvous/not-a-ulid`),
        404,
        "M_NOT_FOUND",
      );
    });
  });

  describe("v2024 rendezvous: CORS", () => {
    it("preflight on the create path allows Content-Type, If-Match, If-None-Match from any origin", async () => {
      const res = await fetch(`${connect().baseUrl}${V2024_CREATE}`, {
        method: "OPTIONS",
        headers: {
          Origin: "https://app.example",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type",
        },
      });
      expect([200, 204]).toContain(res.status);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(headerList(res, "access-control-allow-headers")).toEqual(
        expect.arrayContaining(["content-type", "if-match", "if-none-match"]),
      );
      expect(headerList(res, "access-control-allow-methods")).toContain("post");
    });

    it("preflight on a session path allows GET, PUT and DELETE with If-Match / If-None-Match", async () => {
      const session = await createV2024(connect());
      const res = await fetch(session.requestUrl, {
        method: "OPTIONS",
        headers: {
          Origin: "https://app.example",
          "Access-Control-Request-Method": "PUT",
          "Access-Control-Request-Headers": "content-type, if-match",
        },
      });
      expect([200, 204]).toContain(res.status);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(headerList(res, "access-control-allow-headers")).toEqual(
        expect.arrayContaining(["content-type", "if-match", "if-none-match"]),
      );
      expect(headerList(res, "access-control-allow-methods")).toEqual(
        expect.arrayContaining(["get", "put", "delete"]),
      );
    });
  });

  describe("v2024 rendezvous: lifetime and capacity", () => {
    it(`a session expires ${ttlV2024S} s after creation, even after a PUT`, async (ctx) => {
      const conn = connect();
      skipUnless(
        ctx,
        conn.advanceClock !== undefined,
        "the target has no clock to move; expiry would need a real wait",
      );
      const advance = conn.advanceClock ?? (() => Promise.resolve());
      const session = await createV2024(conn, "one");
      // A second of margin on the live side, so a clock that also runs in real time cannot make this flaky.
      await advance(ttlV2024S * 1000 - 1000);
      expect((await putV2024(session, "two", v2024Etag("one"))).status).toBe(202);
      expect((await fetch(session.requestUrl)).status).toBe(200);
      await advance(1000);
      await expectError(await fetch(session.requestUrl), 404, "M_NOT_FOUND");
      await expectError(await putV2024(session, "three", v2024Etag("two")), 404, "M_NOT_FOUND");
      await expectError(await fetch(session.requestUrl, { method: "DELETE" }), 404, "M_NOT_FOUND");
    });

    it("creating beyond twice the capacity drops the oldest sessions first, down to the capacity", async (ctx) => {
      skipUnless(
        ctx,
        capacity !== undefined,
        "the target's capacity is not given (the test creates 2×capacity+1 sessions)",
      );
      const conn = connect();
      const sessions: V2024Session[] = [];
      for (let index = 0; index <= 2 * (capacity ?? 0); index += 1) sessions.push(await createV2024(conn));
      const alive = await Promise.all(
        sessions.map(async (session) => (await fetch(session.requestUrl)).status === 200),
      );
      expectOldestEvicted(alive, capacity ?? 0);
    });

    it("the periodic sweep drops the oldest sessions beyond the capacity", async (ctx) => {
      const conn = connect();
      skipUnless(ctx, capacity !== undefined, "the target's capacity is not given");
      skipUnless(ctx, conn.advanceClock !== undefined, "the target has no clock to move past the 60 s sweep");
      skipUnless(
        ctx,
        ttlV2024S * 1000 > SWEEP_INTERVAL_MS,
        "sessions would expire before the sweep (TTL <= 60 s)",
      );
      const sessions: V2024Session[] = [];
      // Fewer than twice the capacity: nothing is evicted on create.
      for (let index = 0; index <= (capacity ?? 0); index += 1) sessions.push(await createV2024(conn));
      await (conn.advanceClock ?? (() => Promise.resolve()))(SWEEP_INTERVAL_MS);
      const alive = await Promise.all(
        sessions.map(async (session) => (await fetch(session.requestUrl)).status === 200),
      );
      expect(alive[0]).toBe(false);
      expect(alive.slice(1).every(Boolean)).toBe(true);
    });
  });
}

/**
 * Eviction drops the oldest first, keeps at least the newest `capacity`, and a burst of 2×capacity+1 creates
 * always reaches the hard limit at least once, so the first session created is gone. (Sessions left by other
 * tests only make eviction happen earlier.)
 */
function expectOldestEvicted(alive: readonly boolean[], capacity: number): void {
  const firstAlive = alive.indexOf(true);
  expect(firstAlive, "some sessions survive").toBeGreaterThan(0);
  expect(alive.slice(firstAlive).every(Boolean), "the survivors are the newest sessions").toBe(true);
  expect(alive.length - firstAlive).toBeGreaterThanOrEqual(capacity);
  expect(alive.length - firstAlive).toBeLessThanOrEqual(2 * capacity);
}

// ---------------------------------------------------------------------------------------------------------------
// v2025 (MSC4388 JSON API)

interface V2025Created {
  readonly id: string;
  readonly token: string;
  readonly expiresInMs: number;
}

function authHeaders(conn: RendezvousConnection): Record<string, string> {
  return conn.accessToken === undefined ? {} : { Authorization: `Bearer ${conn.accessToken}` };
}

function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

export function describeV2025Conformance(
  capabilities: RendezvousCapabilities,
  connect: () => RendezvousConnection,
): void {
  const { maxBytes, ttlV2025S, capacity, msc4388Mode, v2025Put } = capabilities;
  const plainPut = v2025Put !== "txn";
  const txnPut = v2025Put !== "plain";

  if (msc4388Mode === "off") {
    describe("v2025 rendezvous (not served)", () => {
      it("discover, create and receive are 404 M_UNRECOGNIZED", async () => {
        const base = `${connect().baseUrl}${V2025_UNSTABLE}`;
        await expectError(await fetch(base), 404, "M_UNRECOGNIZED");
        await expectError(await fetch(base, jsonRequest("POST", { data: "" })), 404, "M_UNRECOGNIZED");
        await expectError(await fetch(`${base}/01HX9K00Q1H6KPD47EG4G1T3XG`), 404, "M_UNRECOGNIZED");
      });
    });
    return;
  }

  // In authenticated mode only a target that gives us a valid token lets us create sessions.
  function sessionsAvailable(ctx: TestContext, conn: RendezvousConnection): void {
    skipUnless(
      ctx,
      msc4388Mode !== "authenticated" || conn.accessToken !== undefined,
      "authenticated mode and the target gave no valid access token to create sessions with",
    );
  }

  async function create(
    conn: RendezvousConnection,
    data: string,
    base = V2025_UNSTABLE,
  ): Promise<V2025Created> {
    const res = await fetch(`${conn.baseUrl}${base}`, jsonRequest("POST", { data }, authHeaders(conn)));
    const body = await expectOk(res);
    expect(body.id).toBeTypeOf("string");
    expect(body.sequence_token).toBeTypeOf("string");
    expect(body.expires_in_ms).toBeTypeOf("number");
    return {
      id: body.id as string,
      token: body.sequence_token as string,
      expiresInMs: body.expires_in_ms as number,
    };
  }

  function sessionUrl(conn: RendezvousConnection, id: string, base = V2025_UNSTABLE): string {
    return `${conn.baseUrl}${base}/${encodeURIComponent(id)}`;
  }

  /** One send in whichever shape the target serves (the plain one when it serves both). */
  function send(
    conn: RendezvousConnection,
    id: string,
    body: unknown,
    base = V2025_UNSTABLE,
  ): Promise<Response> {
    const url = plainPut ? sessionUrl(conn, id, base) : `${sessionUrl(conn, id, base)}/${randomUUID()}`;
    return fetch(url, jsonRequest("PUT", body));
  }

  async function read(conn: RendezvousConnection, id: string, base = V2025_UNSTABLE): Promise<Json> {
    return expectOk(await fetch(sessionUrl(conn, id, base)));
  }

  describe("v2025 rendezvous: discovery", () => {
    if (msc4388Mode === "open") {
      it("GET base -> 200 {create_available: true} without an access token", async () => {
        const res = await fetch(`${connect().baseUrl}${V2025_UNSTABLE}`);
        expect(await expectOk(res)).toEqual({ create_available: true });
        expect(res.headers.get("access-control-allow-origin")).toBe("*");
      });

      it("open mode ignores an unknown access token: discover and create still succeed", async () => {
        const conn = connect();
        const auth = { Authorization: "Bearer not-a-valid-token" };
        expect(await expectOk(await fetch(`${conn.baseUrl}${V2025_UNSTABLE}`, { headers: auth }))).toEqual({
          create_available: true,
        });
        await expectOk(
          await fetch(`${conn.baseUrl}${V2025_UNSTABLE}`, jsonRequest("POST", { data: "" }, auth)),
        );
      });
    } else {
      it("authenticated mode: discover and create without a token -> 401 M_MISSING_TOKEN", async () => {
        const base = `${connect().baseUrl}${V2025_UNSTABLE}`;
        await expectError(await fetch(base), 401, "M_MISSING_TOKEN");
        await expectError(await fetch(base, jsonRequest("POST", { data: "" })), 401, "M_MISSING_TOKEN");
      });

      it("authenticated mode: discover and create with an unknown token -> 401 M_UNKNOWN_TOKEN", async () => {
        const base = `${connect().baseUrl}${V2025_UNSTABLE}`;
        const auth = { Authorization: "Bearer not-a-valid-token" };
        await expectError(await fetch(base, { headers: auth }), 401, "M_UNKNOWN_TOKEN");
        await expectError(await fetch(base, jsonRequest("POST", { data: "" }, auth)), 401, "M_UNKNOWN_TOKEN");
      });

      it("authenticated mode: with a valid token discover -> 200; receive, send and cancel need no token", async (ctx) => {
        const conn = connect();
        sessionsAvailable(ctx, conn);
        const discovered = await fetch(`${conn.baseUrl}${V2025_UNSTABLE}`, { headers: authHeaders(conn) });
        expect(await expectOk(discovered)).toEqual({ create_available: true });
        const created = await create(conn, "from an authenticated device");
        expect((await read(conn, created.id)).data).toBe("from an authenticated device");
        await expectOk(await send(conn, created.id, { sequence_token: created.token, data: "reply" }));
        expect((await fetch(sessionUrl(conn, created.id), { method: "DELETE" })).status).toBe(200);
      });
    }

    if (!capabilities.v2025Stable) {
      it("the stable /_matrix/client/v1/rendezvous is not served: 404 M_UNRECOGNIZED", async () => {
        const conn = connect();
        await expectError(
          await fetch(`${conn.baseUrl}${V2025_STABLE}`, { headers: authHeaders(conn) }),
          404,
          "M_UNRECOGNIZED",
        );
        const post = await fetch(
          `${conn.baseUrl}${V2025_STABLE}`,
          jsonRequest("POST", { data: "" }, authHeaders(conn)),
        );
        await expectError(post, 404, "M_UNRECOGNIZED");
      });
    }
  });

  describe("v2025 rendezvous: create and receive", () => {
    it(`POST {data} -> 200 {id: ULID, sequence_token: 43 base64url chars, expires_in_ms: ${ttlV2025S * 1000}}`, async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const res = await fetch(
        `${conn.baseUrl}${V2025_UNSTABLE}`,
        jsonRequest("POST", { data: "hello" }, authHeaders(conn)),
      );
      const body = await expectOk(res);
      expect(Object.keys(body).sort()).toEqual(["expires_in_ms", "id", "sequence_token"]);
      expect(body.id).toMatch(ULID);
      expect(body.sequence_token).toMatch(BASE64URL_SHA256);
      expect(body.expires_in_ms).toBe(ttlV2025S * 1000);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
    });

    it("the first sequence_token is base64url(SHA-256(data ‖ u128-BE creation ms)), the ms the ULID carries", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "hello");
      expect(created.token).toBe(sha256Base64Url("hello", u128(ulidTime(created.id))));
    });

    it("GET {id} -> 200 {data, sequence_token, expires_in_ms} with the created values", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "hello");
      const body = await read(conn, created.id);
      expect(Object.keys(body).sort()).toEqual(["data", "expires_in_ms", "sequence_token"]);
      expect(body.data).toBe("hello");
      expect(body.sequence_token).toBe(created.token);
      expect(body.expires_in_ms).toBeTypeOf("number");
      expect(body.expires_in_ms as number).toBeGreaterThan(0);
      expect(body.expires_in_ms as number).toBeLessThanOrEqual(created.expiresInMs);
    });

    it(`data of exactly ${maxBytes} UTF-8 bytes -> 200; more UTF-8 bytes (fewer characters) -> 413 M_TOO_LARGE`, async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      await create(conn, "é".repeat(Math.floor(maxBytes / 2)) + "a".repeat(maxBytes % 2));
      const tooBig = "é".repeat(Math.floor(maxBytes / 2) + 1);
      expect(tooBig.length).toBeLessThanOrEqual(maxBytes);
      const res = await fetch(
        `${conn.baseUrl}${V2025_UNSTABLE}`,
        jsonRequest("POST", { data: tooBig }, authHeaders(conn)),
      );
      await expectError(res, 413, "M_TOO_LARGE");
    });

    it("a body that is not JSON -> 400 (M_NOT_JSON, or M_INVALID_PARAM as Synapse's serde path answers)", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const res = await fetch(
        `${conn.baseUrl}${V2025_UNSTABLE}`,
        jsonRequest("POST", "{not json", authHeaders(conn)),
      );
      await expectError(res, 400, ["M_NOT_JSON", "M_INVALID_PARAM"]);
    });

    it("data that is not a string, or missing -> 400 M_INVALID_PARAM", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const base = `${conn.baseUrl}${V2025_UNSTABLE}`;
      await expectError(
        await fetch(base, jsonRequest("POST", { data: 42 }, authHeaders(conn))),
        400,
        "M_INVALID_PARAM",
      );
      await expectError(
        await fetch(base, jsonRequest("POST", {}, authHeaders(conn))),
        400,
        "M_INVALID_PARAM",
      );
      await expectError(
        await fetch(base, jsonRequest("POST", [], authHeaders(conn))),
        400,
        "M_INVALID_PARAM",
      );
    });

    it("an unknown session ID -> 404 M_NOT_FOUND on GET, PUT and DELETE", async () => {
      const conn = connect();
      const id = "01HX9K00Q1H6KPD47EG4G1T3XG";
      await expectError(await fetch(sessionUrl(conn, id)), 404, "M_NOT_FOUND");
      await expectError(await send(conn, id, { sequence_token: "x", data: "" }), 404, "M_NOT_FOUND");
      await expectError(await fetch(sessionUrl(conn, id), { method: "DELETE" }), 404, "M_NOT_FOUND");
    });

    it("a path below a session that no route serves -> 404 M_UNRECOGNIZED", async () => {
      const res = await fetch(`${connect().baseUrl}${V2025_UNSTABLE}/01HX9K00Q1H6KPD47EG4G1T3XG/a/b`);
      await expectError(res, 404, "M_UNRECOGNIZED");
    });
  });

  describe("v2025 rendezvous: the Sec-Fetch-* policy on receive", () => {
    const forbidden: readonly [string, Record<string, string>][] = [
      ["Sec-Fetch-Dest: document", { "Sec-Fetch-Dest": "document" }],
      ["Sec-Fetch-Dest: image", { "Sec-Fetch-Dest": "image" }],
      ["Sec-Fetch-User: ?1", { "Sec-Fetch-User": "?1" }],
      ["Sec-Fetch-Site: none", { "Sec-Fetch-Site": "none" }],
    ];
    for (const [label, headers] of forbidden) {
      it(`GET with ${label} -> 403 M_FORBIDDEN`, async (ctx) => {
        const conn = connect();
        sessionsAvailable(ctx, conn);
        const created = await create(conn, "secret");
        await expectError(await fetch(sessionUrl(conn, created.id), { headers }), 403, "M_FORBIDDEN");
      });
    }

    it("GET with Sec-Fetch-Mode: navigate (sent with node:http; fetch always says cors) -> 403 M_FORBIDDEN", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "secret");
      const res = await rawRequest(sessionUrl(conn, created.id), "GET", { "Sec-Fetch-Mode": "navigate" });
      expect(res.status).toBe(403);
      expect((JSON.parse(res.body) as Json).errcode).toBe("M_FORBIDDEN");
    });

    it("GET as a page's fetch() sends it (Dest empty, Mode cors, Site cross-site) -> 200", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "secret");
      const res = await fetch(sessionUrl(conn, created.id), {
        headers: { "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "cross-site" },
      });
      expect((await expectOk(res)).data).toBe("secret");
    });

    it("GET with no Sec-Fetch-* headers at all (a native client) -> 200", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "secret");
      const res = await rawRequest(sessionUrl(conn, created.id), "GET", {});
      expect(res.status).toBe(200);
    });
  });

  describe("v2025 rendezvous: send (compare-and-swap on sequence_token)", () => {
    it("PUT with the current token -> 200 {sequence_token} with a new token; GET returns the new data and token", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "one");
      const body = await expectOk(
        await send(conn, created.id, { sequence_token: created.token, data: "two" }),
      );
      expect(Object.keys(body)).toEqual(["sequence_token"]);
      expect(body.sequence_token).toMatch(BASE64URL_SHA256);
      expect(body.sequence_token).not.toBe(created.token);
      const after = await read(conn, created.id);
      expect(after.data).toBe("two");
      expect(after.sequence_token).toBe(body.sequence_token);
    });

    it("PUT with the current token and the same data is a real write: a new token", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "same");
      const body = await expectOk(
        await send(conn, created.id, { sequence_token: created.token, data: "same" }),
      );
      expect(body.sequence_token).not.toBe(created.token);
      expect((await read(conn, created.id)).sequence_token).toBe(body.sequence_token);
    });

    it("PUT with a wrong token -> 409 IO_ELEMENT_MSC4388_CONCURRENT_WRITE, nothing changed", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "one");
      const res = await send(conn, created.id, { sequence_token: "not-the-token", data: "two" });
      await expectError(res, 409, "IO_ELEMENT_MSC4388_CONCURRENT_WRITE");
      const after = await read(conn, created.id);
      expect([after.data, after.sequence_token]).toEqual(["one", created.token]);
    });

    it("a retry of the last write (the token before the current one, byte-identical data) -> 200 with the current token, nothing written", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      skipUnless(
        ctx,
        plainPut,
        "the safe retry was measured on the plain PUT; this target serves only the txnId form",
      );
      const created = await create(conn, "one");
      const first = await expectOk(
        await send(conn, created.id, { sequence_token: created.token, data: "two" }),
      );
      const retry = await expectOk(
        await send(conn, created.id, { sequence_token: created.token, data: "two" }),
      );
      expect(retry.sequence_token).toBe(first.sequence_token);
      const after = await read(conn, created.id);
      expect([after.data, after.sequence_token]).toEqual(["two", first.sequence_token]);
    });

    it("the token before the current one with different data -> 409", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "one");
      await expectOk(await send(conn, created.id, { sequence_token: created.token, data: "two" }));
      const res = await send(conn, created.id, { sequence_token: created.token, data: "three" });
      await expectError(res, 409, "IO_ELEMENT_MSC4388_CONCURRENT_WRITE");
      expect((await read(conn, created.id)).data).toBe("two");
    });

    it(`data of more than ${maxBytes} UTF-8 bytes -> 413 M_TOO_LARGE, checked before the token`, async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "one");
      const tooBig = "€".repeat(Math.floor(maxBytes / 3) + 1);
      await expectError(
        await send(conn, created.id, { sequence_token: created.token, data: tooBig }),
        413,
        "M_TOO_LARGE",
      );
      await expectError(
        await send(conn, created.id, { sequence_token: "wrong", data: tooBig }),
        413,
        "M_TOO_LARGE",
      );
      const fits = "a".repeat(maxBytes);
      await expectOk(await send(conn, created.id, { sequence_token: created.token, data: fits }));
    });

    it("a body that is not JSON -> 400; fields missing or not strings -> 400 M_INVALID_PARAM", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "one");
      await expectError(await send(conn, created.id, "{not json"), 400, ["M_NOT_JSON", "M_INVALID_PARAM"]);
      await expectError(await send(conn, created.id, { data: "two" }), 400, "M_INVALID_PARAM");
      await expectError(
        await send(conn, created.id, { sequence_token: created.token }),
        400,
        "M_INVALID_PARAM",
      );
      await expectError(
        await send(conn, created.id, { sequence_token: 1, data: "two" }),
        400,
        "M_INVALID_PARAM",
      );
      expect((await read(conn, created.id)).data).toBe("one");
    });

    it("DELETE -> 200 with body []; afterwards GET, PUT and DELETE -> 404 M_NOT_FOUND", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "one");
      const res = await fetch(sessionUrl(conn, created.id), { method: "DELETE" });
      expect(res.status).toBe(200);
      expectJsonContentType(res);
      expect(await jsonOf(res)).toEqual([]);
      await expectError(await fetch(sessionUrl(conn, created.id)), 404, "M_NOT_FOUND");
      await expectError(
        await send(conn, created.id, { sequence_token: created.token, data: "x" }),
        404,
        "M_NOT_FOUND",
      );
      await expectError(await fetch(sessionUrl(conn, created.id), { method: "DELETE" }), 404, "M_NOT_FOUND");
    });
  });

  describe(`v2025 rendezvous: send shapes (this target: ${v2025Put})`, () => {
    if (!plainPut) {
      it("PUT {base}/{id} without a txnId -> 405 M_UNRECOGNIZED (the path exists for GET and DELETE)", async (ctx) => {
        const conn = connect();
        sessionsAvailable(ctx, conn);
        const created = await create(conn, "one");
        const res = await fetch(
          sessionUrl(conn, created.id),
          jsonRequest("PUT", { sequence_token: created.token, data: "x" }),
        );
        await expectError(res, 405, "M_UNRECOGNIZED");
      });
    }

    if (!txnPut) {
      it("PUT {base}/{id}/{txnId} -> 404 M_UNRECOGNIZED, as on Synapse 1.160", async (ctx) => {
        const conn = connect();
        sessionsAvailable(ctx, conn);
        const created = await create(conn, "one");
        const res = await fetch(
          `${sessionUrl(conn, created.id)}/txn1`,
          jsonRequest("PUT", { sequence_token: created.token, data: "x" }),
        );
        await expectError(res, 404, "M_UNRECOGNIZED");
        expect((await read(conn, created.id)).data).toBe("one");
      });
    } else {
      it("PUT {base}/{id}/{txnId} resent with the same txnId and body -> the same response, written once", async (ctx) => {
        const conn = connect();
        sessionsAvailable(ctx, conn);
        const created = await create(conn, "one");
        const url = `${sessionUrl(conn, created.id)}/${randomUUID()}`;
        const request = jsonRequest("PUT", { sequence_token: created.token, data: "two" });
        const first = await expectOk(await fetch(url, request));
        const resent = await expectOk(await fetch(url, request));
        expect(resent.sequence_token).toBe(first.sequence_token);
        expect((await read(conn, created.id)).sequence_token).toBe(first.sequence_token);
      });

      it("a new txnId with the stale token -> 409; resending that txnId stays 409", async (ctx) => {
        const conn = connect();
        sessionsAvailable(ctx, conn);
        const created = await create(conn, "one");
        await expectOk(
          await fetch(
            `${sessionUrl(conn, created.id)}/${randomUUID()}`,
            jsonRequest("PUT", { sequence_token: created.token, data: "two" }),
          ),
        );
        const url = `${sessionUrl(conn, created.id)}/${randomUUID()}`;
        const stale = jsonRequest("PUT", { sequence_token: created.token, data: "three" });
        await expectError(await fetch(url, stale), 409, "IO_ELEMENT_MSC4388_CONCURRENT_WRITE");
        await expectError(await fetch(url, stale), 409, "IO_ELEMENT_MSC4388_CONCURRENT_WRITE");
      });
    }
  });

  if (capabilities.v2025Stable) {
    describe("v2025 rendezvous at the stable path", () => {
      it("discover, create, receive, send and cancel work at /_matrix/client/v1/rendezvous; a conflict is M_CONCURRENT_WRITE", async (ctx) => {
        const conn = connect();
        sessionsAvailable(ctx, conn);
        const discovered = await fetch(`${conn.baseUrl}${V2025_STABLE}`, { headers: authHeaders(conn) });
        expect(await expectOk(discovered)).toEqual({ create_available: true });
        const created = await create(conn, "one", V2025_STABLE);
        expect((await read(conn, created.id, V2025_STABLE)).data).toBe("one");
        await expectOk(
          await send(conn, created.id, { sequence_token: created.token, data: "two" }, V2025_STABLE),
        );
        const conflict = await send(
          conn,
          created.id,
          { sequence_token: "stale", data: "three" },
          V2025_STABLE,
        );
        await expectError(conflict, 409, "M_CONCURRENT_WRITE");
        expect((await fetch(sessionUrl(conn, created.id, V2025_STABLE), { method: "DELETE" })).status).toBe(
          200,
        );
      });
    });
  }

  describe("v2025 rendezvous: lifetime and capacity", () => {
    it(`expires_in_ms counts down, and the session is gone ${ttlV2025S} s after creation even after a PUT`, async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      skipUnless(
        ctx,
        conn.advanceClock !== undefined,
        "the target has no clock to move; expiry would need a real wait",
      );
      const advance = conn.advanceClock ?? (() => Promise.resolve());
      const ttlMs = ttlV2025S * 1000;
      const created = await create(conn, "one");
      await advance(2000);
      const counted = (await read(conn, created.id)).expires_in_ms as number;
      // At most the TTL minus the time moved; a clock that also runs in real time may have taken a little more.
      expect(counted).toBeLessThanOrEqual(ttlMs - 2000);
      expect(counted).toBeGreaterThan(ttlMs - 3000);
      await expectOk(await send(conn, created.id, { sequence_token: created.token, data: "two" }));
      await advance(ttlMs - 3000);
      expect((await read(conn, created.id)).expires_in_ms as number).toBeLessThanOrEqual(1000);
      await advance(1000);
      await expectError(await fetch(sessionUrl(conn, created.id)), 404, "M_NOT_FOUND");
      await expectError(await send(conn, created.id, { sequence_token: "x", data: "" }), 404, "M_NOT_FOUND");
      await expectError(await fetch(sessionUrl(conn, created.id), { method: "DELETE" }), 404, "M_NOT_FOUND");
    });

    it("reaching twice the capacity drops the oldest sessions first, down to the capacity", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      skipUnless(
        ctx,
        capacity !== undefined,
        "the target's capacity is not given (the test creates 2×capacity+1 sessions)",
      );
      const ids: string[] = [];
      for (let index = 0; index <= 2 * (capacity ?? 0); index += 1) ids.push((await create(conn, "")).id);
      const alive = await Promise.all(
        ids.map(async (id) => (await fetch(sessionUrl(conn, id))).status === 200),
      );
      expectOldestEvicted(alive, capacity ?? 0);
    });

    it("the periodic sweep drops the oldest sessions beyond the capacity", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      skipUnless(ctx, capacity !== undefined, "the target's capacity is not given");
      skipUnless(ctx, conn.advanceClock !== undefined, "the target has no clock to move past the 60 s sweep");
      skipUnless(
        ctx,
        ttlV2025S * 1000 > SWEEP_INTERVAL_MS,
        "sessions would expire before the sweep (TTL <= 60 s)",
      );
      const ids: string[] = [];
      for (let index = 0; index <= (capacity ?? 0); index += 1) ids.push((await create(conn, "")).id);
      await (conn.advanceClock ?? (() => Promise.resolve()))(SWEEP_INTERVAL_MS);
      const alive = await Promise.all(
        ids.map(async (id) => (await fetch(sessionUrl(conn, id))).status === 200),
      );
      expect(alive[0]).toBe(false);
      expect(alive.slice(1).every(Boolean)).toBe(true);
    });
  });
}

/** The whole suite: /versions, v2024 and v2025, for one target. */
export function describeRendezvousConformance(
  name: string,
  capabilities: RendezvousCapabilities,
  connect: () => RendezvousConnection,
): void {
  describe(`rendezvous conformance: ${name}`, () => {
    describeVersionsConformance(capabilities, connect);
    describeV2024Conformance(capabilities, connect);
    describeV2025Conformance(capabilities, connect);
  });
}
