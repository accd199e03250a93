// Rendezvous conformance suite: what a homeserver must answer on both rendezvous APIs, byte for byte where Synapse
// 1.160.0 was measured (docs/synapse.md; docs/protocol.md §2.1, §2.2), seen from an HTTP client. It registers
// Vitest tests against a target and knows nothing about the devserver, so the real-Synapse lane runs this same
// file. Tests that need something only a test server offers (a clock to move, a valid access token, small limits)
// skip themselves with the reason when the target lacks it; parts a target does not serve are checked to be absent
// instead. Where a target differs from Synapse on purpose, that is a named capability, never a looser assertion.
//
// Requests go through global fetch, as clients send them. Node's fetch adds `text/plain;charset=UTF-8` to a
// string body unless Content-Type is set explicitly, and always sends `Sec-Fetch-Mode: cors`, so the tests that
// need other bytes on the wire (a navigation request) use node:http directly.
import { createHash, randomUUID } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
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
   * Sessions kept per API. The eviction tests create up to 2×capacity+1 sessions, so give it only where that is
   * cheap (and rate limits allow it).
   */
  readonly capacity?: number;
  /** The newest spec version /versions lists: it lists r0.0.1 … r0.6.1 and v1.1 up to this one, in order. */
  readonly newestSpecVersion: `v1.${number}`;
  /** /versions may be cached (Synapse: `Cache-Control: public, max-age=600, …` and `Vary: Authorization`). */
  readonly versionsCacheable: boolean;
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

/** Synapse 1.160.0 with `msc4108_enabled: true, msc4388_mode: open` (docs/synapse.md). */
export const SYNAPSE_1_160_CAPABILITIES: RendezvousCapabilities = {
  v2024: true,
  msc4388Mode: "open",
  v2025Put: "plain",
  v2025Stable: false,
  maxBytes: 4096,
  ttlV2024S: 60,
  ttlV2025S: 120,
  capacity: 100,
  newestSpecVersion: "v1.12",
  versionsCacheable: true,
};

const V2024_CREATE = "/_matrix/client/unstable/org.matrix.msc4108/rendezvous";
const V2024_SESSIONS = "/_synapse/client/rendezvous";
const V2024_SESSION_URL = /\/_synapse\/client\/rendezvous\/([0-9A-HJKMNP-TV-Z]{26})$/;
const V2025_UNSTABLE = "/_matrix/client/unstable/io.element.msc4388/rendezvous";
const V2025_STABLE = "/_matrix/client/v1/rendezvous";
const UNKNOWN_ID = "01HX9K00Q1H6KPD47EG4G1T3XG";
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BASE64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;
/** Synapse's sweep interval; the periodic-eviction tests move the clock past it. */
const SWEEP_INTERVAL_MS = 60_000;

// The Access-Control-* headers Synapse 1.160 sends, exactly (docs/synapse.md, "Headers").
const ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS";
/** On every response outside the v2024 rendezvous paths, including every v2025 response. */
const GENERIC_CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": ALLOW_METHODS,
  "access-control-allow-headers": "X-Requested-With, Content-Type, Authorization, Date",
  "access-control-expose-headers": "Synapse-Trace-Id, Server",
};
/** v2024 errors (400, 404, 405, 412, 413) and preflights (204). */
const V2024_ERROR_CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": ALLOW_METHODS,
  "access-control-allow-headers": "Content-Type, If-Match, If-None-Match",
  "access-control-expose-headers": "Synapse-Trace-Id, Server, ETag",
};
/** v2024 successes: 201, 200, 202, 304. */
const V2024_SUCCESS_CORS = { "access-control-allow-origin": "*", "access-control-expose-headers": "etag" };
/** Synapse's `respond_with_json` on everything not meant to be cached: errors and all of MSC4388. */
const NO_CACHE = "no-cache, no-store, must-revalidate";
const R0_VERSIONS = ["r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1"];

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

/** A Matrix error with exactly this JSON body, as Synapse 1.160 words it. */
async function expectExactError(res: Response, status: number, body: Json): Promise<void> {
  const actual = await jsonObject(res);
  expect(res.status, `body ${JSON.stringify(actual)}`).toBe(status);
  expectJsonContentType(res);
  expect(actual).toEqual(body);
}

const UNRECOGNIZED = { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" };
const NOT_FOUND = { errcode: "M_NOT_FOUND", error: "Not found" };
const TOO_LARGE = { errcode: "M_TOO_LARGE", error: "Payload too large" };

/** Every Access-Control-* header of a response, names in lower case. */
function corsOf(headers: Headers | IncomingHttpHeaders): Record<string, string> {
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  return Object.fromEntries(
    entries.flatMap(([name, value]) =>
      name.startsWith("access-control-") ? [[name, [value].flat().join(", ")]] : [],
    ),
  );
}

/** A browser's CORS preflight, asking for `method` and `requestHeaders`: 204, `Content-Length: 0`, exactly `cors`. */
async function expectPreflight(
  url: string,
  method: string,
  requestHeaders: string,
  cors: Record<string, string>,
): Promise<void> {
  const res = await fetch(url, {
    method: "OPTIONS",
    headers: {
      Origin: "https://app.example",
      "Access-Control-Request-Method": method,
      "Access-Control-Request-Headers": requestHeaders,
    },
  });
  expect(res.status).toBe(204);
  expect(res.headers.get("content-length")).toBe("0");
  expect(corsOf(res.headers)).toEqual(cors);
}

async function expectOk(res: Response, status = 200): Promise<Json> {
  const body = await jsonObject(res);
  expect(res.status, `body ${JSON.stringify(body)}`).toBe(status);
  expectJsonContentType(res);
  return body;
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

interface RawRequestOptions {
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Send the body chunked, without Content-Length. */
  readonly chunked?: boolean;
}

/** A request with exactly these headers (fetch would add or override some). */
function rawRequest(url: string, method: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  const headers = { ...options.headers };
  if (options.body !== undefined) {
    if (options.chunked === true) headers["Transfer-Encoding"] = "chunked";
    else headers["Content-Length"] = String(Buffer.byteLength(options.body));
  }
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
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

function rawJson(res: RawResponse): Json {
  return JSON.parse(res.body) as Json;
}

/** What a test needs between two writes so that an HTTP-date (whole seconds) can tell them apart. */
async function letASecondPass(conn: RendezvousConnection): Promise<void> {
  if (conn.advanceClock === undefined) await sleep(1100);
  else await conn.advanceClock(2000);
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
  const { newestSpecVersion, versionsCacheable } = capabilities;
  const newestMinor = Number(newestSpecVersion.slice("v1.".length));
  const versions = [...R0_VERSIONS, ...Array.from({ length: newestMinor }, (_, index) => `v1.${index + 1}`)];

  describe("GET /_matrix/client/versions", () => {
    it(`lists r0.0.1 … r0.6.1 and v1.1 … ${newestSpecVersion}, org.matrix.msc4108 = ${capabilities.v2024}, and no MSC4388 flag`, async () => {
      const res = await fetch(`${connect().baseUrl}/_matrix/client/versions`);
      const body = await expectOk(res);
      expect(body.versions).toEqual(versions);
      const features = (body.unstable_features ?? {}) as Json;
      if (capabilities.v2024) expect(features["org.matrix.msc4108"]).toBe(true);
      else expect(features["org.matrix.msc4108"] ?? false).toBe(false);
      // MSC4388 is discovered through GET …/rendezvous; Synapse has no flag for it (docs/protocol.md §2.2).
      expect(Object.keys(features).filter((key) => key.includes("4388"))).toEqual([]);
      expect(corsOf(res.headers)).toEqual(GENERIC_CORS);
    });

    if (versionsCacheable) {
      it("may be cached for 10 minutes, per access token", async () => {
        const res = await fetch(`${connect().baseUrl}/_matrix/client/versions`);
        expect(res.headers.get("cache-control")).toBe(
          "public, max-age=600, s-maxage=3600, stale-while-revalidate=600",
        );
        expect(res.headers.get("vary")).toBe("Authorization");
      });
    } else {
      it("is never cached (the target's answer can change from one run to the next)", async () => {
        const res = await fetch(`${connect().baseUrl}/_matrix/client/versions`);
        expect(res.headers.get("cache-control")).toBeNull();
      });
    }
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

/** The validators and cache headers Synapse sends with 201, 200, 202, 304 and 412 (docs/protocol.md §2.1). */
function expectV2024SessionHeaders(res: Response, etag: string): void {
  expect(res.headers.get("etag")).toBe(etag);
  httpDate(res, "expires");
  httpDate(res, "last-modified");
  expect(res.headers.get("cache-control")).toBe("no-store, no-transform");
  expect(res.headers.get("pragma")).toBe("no-cache");
}

/**
 * A v2024 success (201, 200, 202, 304): the session headers, and CORS narrowed to Allow-Origin plus ETag exposed
 * (js-sdk reads ETag from a browser, which hides it unless exposed).
 */
function expectV2024Success(res: Response, etag: string): void {
  expectV2024SessionHeaders(res, etag);
  expect(corsOf(res.headers)).toEqual(V2024_SUCCESS_CORS);
}

/** A v2024 error other than 412: exactly this body, never cached, the rendezvous resource's full CORS set. */
async function expectV2024Error(res: Response, status: number, body: Json): Promise<void> {
  await expectExactError(res, status, body);
  expect(res.headers.get("cache-control")).toBe(NO_CACHE);
  expect(corsOf(res.headers)).toEqual(V2024_ERROR_CORS);
}

const CONTENT_TYPE_NOT_TEXT = { errcode: "M_INVALID_PARAM", error: "Content-Type must be text/plain" };
const CONCURRENT_WRITE = {
  errcode: "M_UNKNOWN",
  error: "ETag does not match",
  "org.matrix.msc4108.errcode": "M_CONCURRENT_WRITE",
};

function missingHeader(name: string): Json {
  return { errcode: "M_MISSING_PARAM", error: `Missing required header: ${name}` };
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
        await expectExactError(res, 404, UNRECOGNIZED);
      });
      it("a session path is 404", async () => {
        const res = await fetch(`${connect().baseUrl}${V2024_SESSIONS}/${UNKNOWN_ID}`);
        expect(res.status).toBe(404);
      });
    });
    return;
  }

  function post(headers: Record<string, string>, body: BodyInit): Promise<Response> {
    return fetch(`${connect().baseUrl}${V2024_CREATE}`, { method: "POST", headers, body });
  }

  describe("v2024 rendezvous: create", () => {
    it("text/plain body -> 201 {url} on the public base URL, no Location, the session headers and narrow CORS", async () => {
      const conn = connect();
      const { url, created } = await createV2024(conn, "initial payload");
      expect(url).toMatch(V2024_SESSION_URL);
      expectJsonContentType(created);
      expect(created.headers.get("location")).toBeNull();
      expectV2024Success(created, v2024Etag("initial payload"));
    });

    it(`Expires is creation + ${ttlV2024S} s (Expires - Last-Modified)`, async () => {
      const { created } = await createV2024(connect());
      expect(httpDate(created, "expires") - httpDate(created, "last-modified")).toBe(ttlV2024S * 1000);
    });

    it("an empty body (what clients send) -> 201, and a fresh GET without If-None-Match -> 200 with an empty text/plain body", async () => {
      const session = await createV2024(connect(), "");
      const res = await fetch(session.requestUrl);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain");
      expect(res.headers.get("content-length")).toBe("0");
      expect(await res.text()).toBe("");
    });

    it("a string body with Content-Type set explicitly to text/plain -> 201", async () => {
      const res = await post(textPlain(), "string body");
      await expectOk(res, 201);
      expect(res.headers.get("etag")).toBe(v2024Etag("string body"));
    });

    it("the media type compares case-insensitively and may end in an empty parameter list: TEXT/PLAIN, text/plain; -> 201", async () => {
      await expectOk(await post({ "Content-Type": "TEXT/PLAIN" }, bytes("")), 201);
      await expectOk(await post({ "Content-Type": "text/plain;" }, bytes("")), 201);
    });

    it("a string body without Content-Type (fetch sends text/plain;charset=UTF-8) -> 400 M_INVALID_PARAM", async () => {
      const res = await fetch(`${connect().baseUrl}${V2024_CREATE}`, { method: "POST", body: "" });
      await expectV2024Error(res, 400, CONTENT_TYPE_NOT_TEXT);
    });

    it("Content-Type text/plain; charset=utf-8 set explicitly -> 400 M_INVALID_PARAM", async () => {
      await expectV2024Error(
        await post({ "Content-Type": "text/plain; charset=utf-8" }, bytes("")),
        400,
        CONTENT_TYPE_NOT_TEXT,
      );
    });

    it("Content-Type application/json -> 400 M_INVALID_PARAM", async () => {
      await expectV2024Error(
        await post({ "Content-Type": "application/json" }, bytes("{}")),
        400,
        CONTENT_TYPE_NOT_TEXT,
      );
    });

    it("a Content-Type that is no media type (space before the ;) -> 400 M_INVALID_PARAM", async () => {
      await expectV2024Error(await post({ "Content-Type": "text/plain ;" }, bytes("")), 400, {
        errcode: "M_INVALID_PARAM",
        error: "Invalid header: content-type",
      });
    });

    it("no Content-Type (a byte body) -> 400 M_MISSING_PARAM", async () => {
      await expectV2024Error(
        await fetch(`${connect().baseUrl}${V2024_CREATE}`, { method: "POST", body: bytes("x") }),
        400,
        missingHeader("content-type"),
      );
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
      await expectV2024Error(res, 400, missingHeader("content-length"));
    });

    it(`a body of exactly ${maxBytes} bytes -> 201; one byte more -> 413 M_TOO_LARGE, even with a wrong Content-Type`, async () => {
      await expectOk(await post(textPlain(), bytes("a".repeat(maxBytes))), 201);
      const tooBig = bytes("a".repeat(maxBytes + 1));
      await expectV2024Error(await post(textPlain(), tooBig), 413, TOO_LARGE);
      await expectV2024Error(await post({ "Content-Type": "application/json" }, tooBig), 413, TOO_LARGE);
    });

    it("each create gets a new ULID session", async () => {
      const conn = connect();
      const first = await createV2024(conn);
      const second = await createV2024(conn);
      expect(first.url).not.toBe(second.url);
    });

    it("GET on the create path -> 405 M_UNRECOGNIZED", async () => {
      await expectV2024Error(await fetch(`${connect().baseUrl}${V2024_CREATE}`), 405, UNRECOGNIZED);
    });
  });

  describe("v2024 rendezvous: receive", () => {
    it("GET -> 200 text/plain (exactly) with the payload, the session headers and narrow CORS", async () => {
      const session = await createV2024(connect(), "hello");
      const res = await fetch(session.requestUrl);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain");
      expect(res.headers.get("content-length")).toBe("5");
      expect(await res.text()).toBe("hello");
      expectV2024Success(res, v2024Etag("hello"));
      expect(res.headers.get("expires")).toBe(session.created.headers.get("expires"));
    });

    it("HEAD -> 200 with the headers of GET and no body", async () => {
      const session = await createV2024(connect(), "hello");
      const res = await fetch(session.requestUrl, { method: "HEAD" });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain");
      expect(res.headers.get("content-length")).toBe("5");
      expect(await res.text()).toBe("");
      expectV2024Success(res, v2024Etag("hello"));
    });

    it("GET with If-None-Match: the current ETag -> 304, no body, the session headers and narrow CORS", async () => {
      const session = await createV2024(connect(), "hello");
      const res = await fetch(session.requestUrl, { headers: { "If-None-Match": v2024Etag("hello") } });
      expect(res.status).toBe(304);
      expect(await res.text()).toBe("");
      expectV2024Success(res, v2024Etag("hello"));
    });

    it("If-None-Match compares weakly and takes lists and * : W/<current>, <other>, <current> and * -> 304", async () => {
      const session = await createV2024(connect(), "hello");
      for (const ifNoneMatch of [`W/${v2024Etag("hello")}`, `"other", ${v2024Etag("hello")}`, "*"]) {
        const res = await fetch(session.requestUrl, { headers: { "If-None-Match": ifNoneMatch } });
        expect(res.status, ifNoneMatch).toBe(304);
      }
    });

    it("GET with If-None-Match: a stale ETag, or the current one without its quotes -> 200 with the payload", async () => {
      const session = await createV2024(connect(), "hello");
      for (const ifNoneMatch of [v2024Etag("older"), v2024Etag("hello").slice(1, -1)]) {
        const res = await fetch(session.requestUrl, { headers: { "If-None-Match": ifNoneMatch } });
        expect(res.status, ifNoneMatch).toBe(200);
        expect(await res.text()).toBe("hello");
      }
    });

    it("GET as a top-level navigation (Sec-Fetch-Mode: navigate, Sec-Fetch-Dest: document) -> 200: v2024 has no Sec-Fetch policy", async () => {
      const session = await createV2024(connect(), "hello");
      const res = await rawRequest(session.requestUrl, "GET", {
        headers: { "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document" },
      });
      expect([res.status, res.body]).toEqual([200, "hello"]);
    });
  });

  describe("v2024 rendezvous: send", () => {
    it("PUT with the current ETag -> 202, empty text/plain body, new ETag = hash of the new payload, narrow CORS; GET returns it", async () => {
      const session = await createV2024(connect(), "one");
      const res = await putV2024(session, "two", v2024Etag("one"));
      expect(res.status).toBe(202);
      expect(res.headers.get("content-type")).toBe("text/plain");
      expect(res.headers.get("content-length")).toBe("0");
      expect(await res.text()).toBe("");
      expectV2024Success(res, v2024Etag("two"));
      const read = await fetch(session.requestUrl);
      expect(await read.text()).toBe("two");
      expect(read.headers.get("etag")).toBe(v2024Etag("two"));
    });

    it("PUT with If-Match: * -> 202", async () => {
      const session = await createV2024(connect(), "one");
      const res = await putV2024(session, "star", "*");
      expect(res.status).toBe(202);
      expect(res.headers.get("etag")).toBe(v2024Etag("star"));
    });

    it("PUT moves Last-Modified but not Expires: the lifetime runs from creation", async () => {
      const conn = connect();
      const session = await createV2024(conn, "one");
      await letASecondPass(conn);
      const res = await putV2024(session, "two", v2024Etag("one"));
      expect(res.status).toBe(202);
      expect(res.headers.get("expires")).toBe(session.created.headers.get("expires"));
      expect(httpDate(res, "last-modified")).toBeGreaterThan(httpDate(session.created, "last-modified"));
    });

    it("the ETag is a hash of the content only: PUT of the same payload -> 202 with the same ETag", async () => {
      const session = await createV2024(connect(), "same");
      const res = await putV2024(session, "same", v2024Etag("same"));
      expect(res.status).toBe(202);
      expect(res.headers.get("etag")).toBe(v2024Etag("same"));
    });

    it("writing back earlier content brings back its earlier ETag", async () => {
      const session = await createV2024(connect(), "one");
      expect((await putV2024(session, "two", v2024Etag("one"))).status).toBe(202);
      const back = await putV2024(session, "one", v2024Etag("two"));
      expect(back.status).toBe(202);
      expect(back.headers.get("etag")).toBe(session.created.headers.get("etag"));
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

    it("PUT with a stale ETag -> 412 M_UNKNOWN / org.matrix.msc4108.errcode M_CONCURRENT_WRITE, the current session headers, nothing changed", async () => {
      const session = await createV2024(connect(), "one");
      const res = await putV2024(session, "two", v2024Etag("stale"));
      await expectExactError(res, 412, CONCURRENT_WRITE);
      expectV2024SessionHeaders(res, v2024Etag("one"));
      expect(corsOf(res.headers)).toEqual(V2024_ERROR_CORS);
      expect(await (await fetch(session.requestUrl)).text()).toBe("one");
    });

    it("PUT with If-Match: the weak form of the current ETag, or one that is no entity tag -> 412 (strong comparison)", async () => {
      const session = await createV2024(connect(), "one");
      for (const ifMatch of [`W/${v2024Etag("one")}`, v2024Etag("one").slice(1, -1)]) {
        await expectExactError(await putV2024(session, "two", ifMatch), 412, CONCURRENT_WRITE);
      }
    });

    it("PUT without If-Match -> 400 M_MISSING_PARAM", async () => {
      const session = await createV2024(connect(), "one");
      await expectV2024Error(await putV2024(session, "two", null), 400, missingHeader("if-match"));
    });

    it("PUT with a string body and no Content-Type (text/plain;charset=UTF-8) -> 400 M_INVALID_PARAM", async () => {
      const session = await createV2024(connect(), "one");
      const res = await fetch(session.requestUrl, {
        method: "PUT",
        headers: { "If-Match": v2024Etag("one") },
        body: "two",
      });
      await expectV2024Error(res, 400, CONTENT_TYPE_NOT_TEXT);
    });

    it("PUT without Content-Type (a byte body) -> 400 M_MISSING_PARAM", async () => {
      const session = await createV2024(connect(), "one");
      const res = await fetch(session.requestUrl, {
        method: "PUT",
        headers: { "If-Match": v2024Etag("one") },
        body: bytes("two"),
      });
      await expectV2024Error(res, 400, missingHeader("content-type"));
    });

    it(`PUT of more than ${maxBytes} bytes -> 413 M_TOO_LARGE, checked before the ETag; nothing changed`, async () => {
      const session = await createV2024(connect(), "one");
      const tooBig = "b".repeat(maxBytes + 1);
      await expectV2024Error(await putV2024(session, tooBig, v2024Etag("one")), 413, TOO_LARGE);
      await expectV2024Error(await putV2024(session, tooBig, v2024Etag("wrong")), 413, TOO_LARGE);
      expect(await (await fetch(session.requestUrl)).text()).toBe("one");
    });
  });

  describe("v2024 rendezvous: cancel, and paths that name no session", () => {
    it("DELETE -> 204 with only Allow-Origin and Content-Length: 0; afterwards GET, PUT and DELETE -> 404 M_NOT_FOUND", async () => {
      const session = await createV2024(connect(), "one");
      const res = await fetch(session.requestUrl, { method: "DELETE" });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");
      expect(res.headers.get("content-length")).toBe("0");
      expect(res.headers.get("cache-control")).toBeNull();
      expect(corsOf(res.headers)).toEqual({ "access-control-allow-origin": "*" });
      await expectV2024Error(await fetch(session.requestUrl), 404, NOT_FOUND);
      await expectV2024Error(await putV2024(session, "two", v2024Etag("one")), 404, NOT_FOUND);
      await expectV2024Error(await fetch(session.requestUrl, { method: "DELETE" }), 404, NOT_FOUND);
    });

    it("an unknown session ID -> 404 M_NOT_FOUND on GET, PUT and DELETE", async () => {
      const unknown = `${connect().baseUrl}${V2024_SESSIONS}/${UNKNOWN_ID}`;
      await expectV2024Error(await fetch(unknown), 404, NOT_FOUND);
      const put = await fetch(unknown, {
        method: "PUT",
        headers: textPlain({ "If-Match": '"x"' }),
        body: bytes(""),
      });
      await expectV2024Error(put, 404, NOT_FOUND);
      await expectV2024Error(await fetch(unknown, { method: "DELETE" }), 404, NOT_FOUND);
    });

    it("a session ID that is not a ULID, or empty -> 404 M_NOT_FOUND", async () => {
      const base = `${connect().baseUrl}${V2024_SESSIONS}`;
      await expectV2024Error(await fetch(`${base}/not-a-ulid`), 404, NOT_FOUND);
      await expectV2024Error(await fetch(`${base}/`), 404, NOT_FOUND);
    });

    it("more path after the session ID, or none at all -> 400 M_UNRECOGNIZED for GET, PUT and DELETE", async () => {
      const session = await createV2024(connect(), "one");
      const base = `${connect().baseUrl}${V2024_SESSIONS}`;
      for (const url of [`${session.requestUrl}/extra`, `${session.requestUrl}/`, base]) {
        await expectV2024Error(await fetch(url), 400, UNRECOGNIZED);
        const put = await fetch(url, {
          method: "PUT",
          headers: textPlain({ "If-Match": v2024Etag("one") }),
          body: bytes("two"),
        });
        await expectV2024Error(put, 400, UNRECOGNIZED);
        await expectV2024Error(await fetch(url, { method: "DELETE" }), 400, UNRECOGNIZED);
      }
      expect(await (await fetch(session.requestUrl)).text()).toBe("one");
    });

    it("POST on a session URL -> 405 M_UNRECOGNIZED", async () => {
      const session = await createV2024(connect(), "one");
      await expectV2024Error(
        await fetch(session.requestUrl, { method: "POST", headers: textPlain(), body: bytes("") }),
        405,
        UNRECOGNIZED,
      );
    });
  });

  describe("v2024 rendezvous: CORS preflight", () => {
    it("OPTIONS on the create path -> 204, Content-Length: 0, the rendezvous CORS set", async () => {
      await expectPreflight(`${connect().baseUrl}${V2024_CREATE}`, "POST", "content-type", V2024_ERROR_CORS);
    });

    it("OPTIONS on a session URL -> 204, Content-Length: 0, the rendezvous CORS set", async () => {
      const session = await createV2024(connect());
      await expectPreflight(session.requestUrl, "PUT", "content-type, if-match", V2024_ERROR_CORS);
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
      await expectV2024Error(await fetch(session.requestUrl), 404, NOT_FOUND);
      await expectV2024Error(await putV2024(session, "three", v2024Etag("two")), 404, NOT_FOUND);
      await expectV2024Error(await fetch(session.requestUrl, { method: "DELETE" }), 404, NOT_FOUND);
    });

    it("a create that finds twice the capacity drops the oldest down to the capacity: the newest capacity+1 survive", async (ctx) => {
      skipUnless(
        ctx,
        capacity !== undefined,
        "the target's capacity is not given (the test creates up to 2×capacity+1 sessions)",
      );
      const conn = connect();
      await expectEvictionOnCreate(
        capacity ?? 0,
        async () => (await createV2024(conn)).requestUrl,
        async (url) => (await fetch(url)).status === 200,
      );
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
 * Creates sessions one at a time until the first of them is gone, then checks Synapse's eviction on create
 * (docs/synapse.md, "Capacity"): a create that finds 2×capacity sessions drops the oldest until `capacity` remain and
 * then adds its own. So the first goes by create #2×capacity+1 at the latest, and exactly the newest capacity+1 are
 * alive afterwards.
 */
async function expectEvictionOnCreate(
  capacity: number,
  create: () => Promise<string>,
  isAlive: (session: string) => Promise<boolean>,
): Promise<void> {
  // First 2×capacity+1 creates of our own: by then every session older than this test (earlier tests', some of
  // them near their end) has been evicted, so the server's sweep of expired sessions cannot remove one in the
  // middle of the count below (it did once, after a lane file that leaves short-lived sessions behind).
  for (let i = 0; i <= 2 * capacity; i++) await create();
  const first = await create();
  const sessions = [first];
  while (await isAlive(first)) {
    expect(sessions.length, "the first session outlived 2×capacity+1 creates").toBeLessThanOrEqual(
      2 * capacity,
    );
    sessions.push(await create());
  }
  const alive = await Promise.all(sessions.map(isAlive));
  const survivors = capacity + 1;
  expect(alive).toEqual([
    ...Array<boolean>(Math.max(0, sessions.length - survivors)).fill(false),
    ...Array<boolean>(survivors).fill(true),
  ]);
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

const INVALID_JSON = { errcode: "M_INVALID_PARAM", error: "Invalid JSON in request body" };
const SEQUENCE_TOKEN_MISMATCH = {
  errcode: "IO_ELEMENT_MSC4388_CONCURRENT_WRITE",
  error: "sequence_token does not match",
};

/** What Synapse puts on every MSC4388 response, errors included: JSON, never cached, the generic CORS set. */
function expectV2025Headers(headers: Headers): void {
  expect(headers.get("content-type")).toBe("application/json");
  expect(headers.get("cache-control")).toBe(NO_CACHE);
  expect(corsOf(headers)).toEqual(GENERIC_CORS);
  expect([headers.get("etag"), headers.get("expires"), headers.get("pragma")]).toEqual([null, null, null]);
}

async function expectV2025Ok(res: Response): Promise<Json> {
  const body = await expectOk(res);
  expectV2025Headers(res.headers);
  return body;
}

async function expectV2025Error(res: Response, status: number, body: Json): Promise<void> {
  await expectExactError(res, status, body);
  expectV2025Headers(res.headers);
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
        await expectV2025Error(await fetch(base), 404, UNRECOGNIZED);
        await expectV2025Error(await fetch(base, jsonRequest("POST", { data: "" })), 404, UNRECOGNIZED);
        await expectV2025Error(await fetch(`${base}/${UNKNOWN_ID}`), 404, UNRECOGNIZED);
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
    const body = await expectV2025Ok(res);
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

  /** Where one send goes, in whichever shape the target serves (the plain one when it serves both). */
  function sendUrl(conn: RendezvousConnection, id: string, base = V2025_UNSTABLE): string {
    return plainPut ? sessionUrl(conn, id, base) : `${sessionUrl(conn, id, base)}/${randomUUID()}`;
  }

  function send(
    conn: RendezvousConnection,
    id: string,
    body: unknown,
    base = V2025_UNSTABLE,
  ): Promise<Response> {
    return fetch(sendUrl(conn, id, base), jsonRequest("PUT", body));
  }

  async function read(conn: RendezvousConnection, id: string, base = V2025_UNSTABLE): Promise<Json> {
    return expectV2025Ok(await fetch(sessionUrl(conn, id, base)));
  }

  describe("v2025 rendezvous: discovery", () => {
    if (msc4388Mode === "open") {
      it("GET base -> 200 {create_available: true} without an access token", async () => {
        const res = await fetch(`${connect().baseUrl}${V2025_UNSTABLE}`);
        expect(await expectV2025Ok(res)).toEqual({ create_available: true });
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
        const missing = { errcode: "M_MISSING_TOKEN", error: "Missing access token" };
        await expectV2025Error(await fetch(base), 401, missing);
        await expectV2025Error(await fetch(base, jsonRequest("POST", { data: "" })), 401, missing);
      });

      it("authenticated mode: discover and create with a token the OAuth server calls inactive -> 401 M_UNKNOWN_TOKEN", async () => {
        const base = `${connect().baseUrl}${V2025_UNSTABLE}`;
        const auth = { Authorization: "Bearer not-a-valid-token" };
        const inactive = { errcode: "M_UNKNOWN_TOKEN", error: "Token is not active", soft_logout: false };
        await expectV2025Error(await fetch(base, { headers: auth }), 401, inactive);
        await expectV2025Error(await fetch(base, jsonRequest("POST", { data: "" }, auth)), 401, inactive);
      });

      it("authenticated mode: with a valid token discover -> 200; receive, send and cancel need no token", async (ctx) => {
        const conn = connect();
        sessionsAvailable(ctx, conn);
        const discovered = await fetch(`${conn.baseUrl}${V2025_UNSTABLE}`, { headers: authHeaders(conn) });
        expect(await expectV2025Ok(discovered)).toEqual({ create_available: true });
        const created = await create(conn, "from an authenticated device");
        expect((await read(conn, created.id)).data).toBe("from an authenticated device");
        await expectOk(await send(conn, created.id, { sequence_token: created.token, data: "reply" }));
        expect((await fetch(sessionUrl(conn, created.id), { method: "DELETE" })).status).toBe(200);
      });
    }

    if (!capabilities.v2025Stable) {
      it("the stable /_matrix/client/v1/rendezvous is not served: 404 M_UNRECOGNIZED", async () => {
        const conn = connect();
        await expectV2025Error(
          await fetch(`${conn.baseUrl}${V2025_STABLE}`, { headers: authHeaders(conn) }),
          404,
          UNRECOGNIZED,
        );
        const post = await fetch(
          `${conn.baseUrl}${V2025_STABLE}`,
          jsonRequest("POST", { data: "" }, authHeaders(conn)),
        );
        await expectV2025Error(post, 404, UNRECOGNIZED);
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
      const body = await expectV2025Ok(res);
      expect(Object.keys(body).sort()).toEqual(["expires_in_ms", "id", "sequence_token"]);
      expect(body.id).toMatch(ULID);
      expect(body.sequence_token).toMatch(BASE64URL_SHA256);
      expect(body.expires_in_ms).toBe(ttlV2025S * 1000);
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
      await expectV2025Error(res, 413, TOO_LARGE);
    });

    it("GET returns data beyond ASCII escaped as \\uXXXX, as Synapse's JSON encoder writes it", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "é😀");
      const res = await rawRequest(sessionUrl(conn, created.id), "GET");
      expect(res.body).toContain('"data":"\\u00e9\\ud83d\\ude00"');
      expect(rawJson(res).data).toBe("é😀");
    });

    it('every malformed body -> 400 M_INVALID_PARAM "Invalid JSON in request body": not JSON, empty, not UTF-8, not an object, data missing or not a string', async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const base = `${conn.baseUrl}${V2025_UNSTABLE}`;
      const bodies: BodyInit[] = [
        "{not json",
        "",
        new Uint8Array([...bytes('{"data":"'), 0xff, ...bytes('"}')]),
        "[]",
        "null",
        "{}",
        JSON.stringify({ data: 42 }),
        JSON.stringify({ data: null }),
      ];
      for (const body of bodies) {
        const res = await fetch(base, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...authHeaders(conn) },
          body,
        });
        await expectV2025Error(res, 400, INVALID_JSON);
      }
    });

    it("create looks at neither Content-Type nor Content-Length: text/plain, none, or a chunked body -> 200", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const base = `${conn.baseUrl}${V2025_UNSTABLE}`;
      const body = JSON.stringify({ data: "x" });
      const auth = authHeaders(conn);
      await expectV2025Ok(
        await fetch(base, { method: "POST", headers: { "Content-Type": "text/plain", ...auth }, body }),
      );
      await expectV2025Ok(await fetch(base, { method: "POST", headers: auth, body: bytes(body) }));
      const chunked = await rawRequest(base, "POST", { headers: auth, body, chunked: true });
      expect(chunked.status).toBe(200);
    });

    it("an unknown session ID -> 404 M_NOT_FOUND on GET, PUT and DELETE", async () => {
      const conn = connect();
      const id = UNKNOWN_ID;
      await expectV2025Error(await fetch(sessionUrl(conn, id)), 404, NOT_FOUND);
      await expectV2025Error(await send(conn, id, { sequence_token: "x", data: "" }), 404, NOT_FOUND);
      await expectV2025Error(await fetch(sessionUrl(conn, id), { method: "DELETE" }), 404, NOT_FOUND);
      await expectV2025Error(await fetch(sessionUrl(conn, "not-an-id")), 404, NOT_FOUND);
    });

    it("a path below a session that no route serves -> 404 M_UNRECOGNIZED", async () => {
      const res = await fetch(`${connect().baseUrl}${V2025_UNSTABLE}/${UNKNOWN_ID}/a/b`);
      await expectV2025Error(res, 404, UNRECOGNIZED);
    });

    it("OPTIONS on the base and on a session -> 204, Content-Length: 0, the generic CORS set", async () => {
      const conn = connect();
      for (const url of [`${conn.baseUrl}${V2025_UNSTABLE}`, sessionUrl(conn, UNKNOWN_ID)]) {
        await expectPreflight(url, "PUT", "content-type, authorization", GENERIC_CORS);
      }
    });
  });

  describe("v2025 rendezvous: the Sec-Fetch-* policy, on receive only", () => {
    const forbidden: readonly [string, Record<string, string>, string][] = [
      ["Sec-Fetch-Dest: document", { "Sec-Fetch-Dest": "document" }, "from the request destination"],
      ["Sec-Fetch-Dest: image", { "Sec-Fetch-Dest": "image" }, "from the request destination"],
      ["Sec-Fetch-User: ?1", { "Sec-Fetch-User": "?1" }, "from requests with user activation"],
      ["Sec-Fetch-Site: none", { "Sec-Fetch-Site": "none" }, "from requests from user interaction"],
    ];
    for (const [label, headers, reason] of forbidden) {
      it(`GET with ${label} -> 403 M_FORBIDDEN`, async (ctx) => {
        const conn = connect();
        sessionsAvailable(ctx, conn);
        const created = await create(conn, "secret");
        await expectV2025Error(await fetch(sessionUrl(conn, created.id), { headers }), 403, {
          errcode: "M_FORBIDDEN",
          error: `Rendezvous content is not accessible ${reason}`,
        });
      });
    }

    it("GET with Sec-Fetch-Mode: navigate (sent with node:http; fetch always says cors) -> 403 M_FORBIDDEN", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "secret");
      const res = await rawRequest(sessionUrl(conn, created.id), "GET", {
        headers: { "Sec-Fetch-Mode": "navigate" },
      });
      expect([res.status, rawJson(res)]).toEqual([
        403,
        { errcode: "M_FORBIDDEN", error: "Rendezvous content is not accessible via top-level navigation" },
      ]);
    });

    it("GET as a page's fetch() sends it (Dest empty, Mode cors, Site cross-site) -> 200", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "secret");
      const res = await fetch(sessionUrl(conn, created.id), {
        headers: { "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "cross-site" },
      });
      expect((await expectV2025Ok(res)).data).toBe("secret");
    });

    it("GET with no Sec-Fetch-* headers at all (a native client) -> 200", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "secret");
      const res = await rawRequest(sessionUrl(conn, created.id), "GET");
      expect(res.status).toBe(200);
    });

    it("create, send and cancel ignore Sec-Fetch-*: a navigation with user activation from no site still succeeds", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const navigation = {
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Dest": "document",
        "Sec-Fetch-User": "?1",
        "Sec-Fetch-Site": "none",
      };
      const created = await rawRequest(`${conn.baseUrl}${V2025_UNSTABLE}`, "POST", {
        headers: { ...navigation, ...authHeaders(conn) },
        body: JSON.stringify({ data: "one" }),
      });
      expect(created.status).toBe(200);
      const { id, sequence_token: token } = rawJson(created);
      expect(id).toBeTypeOf("string");
      const sent = await rawRequest(sendUrl(conn, id as string), "PUT", {
        headers: navigation,
        body: JSON.stringify({ sequence_token: token, data: "two" }),
      });
      expect(sent.status).toBe(200);
      expect((await read(conn, id as string)).data).toBe("two");
      const cancelled = await rawRequest(sessionUrl(conn, id as string), "DELETE", { headers: navigation });
      expect([cancelled.status, cancelled.body]).toEqual([200, "[]"]);
    });
  });

  describe("v2025 rendezvous: send (compare-and-swap on sequence_token)", () => {
    it("PUT with the current token -> 200 {sequence_token} with a new token; GET returns the new data and token", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "one");
      const body = await expectV2025Ok(
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
      await expectV2025Error(res, 409, SEQUENCE_TOKEN_MISMATCH);
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
      await expectV2025Error(res, 409, SEQUENCE_TOKEN_MISMATCH);
      expect((await read(conn, created.id)).data).toBe("two");
    });

    it(`data of more than ${maxBytes} UTF-8 bytes -> 413 M_TOO_LARGE, checked before the token`, async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "one");
      const tooBig = "€".repeat(Math.floor(maxBytes / 3) + 1);
      await expectV2025Error(
        await send(conn, created.id, { sequence_token: created.token, data: tooBig }),
        413,
        TOO_LARGE,
      );
      await expectV2025Error(
        await send(conn, created.id, { sequence_token: "wrong", data: tooBig }),
        413,
        TOO_LARGE,
      );
      const fits = "a".repeat(maxBytes);
      await expectOk(await send(conn, created.id, { sequence_token: created.token, data: fits }));
    });

    it('every malformed body -> 400 M_INVALID_PARAM "Invalid JSON in request body", nothing changed', async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "one");
      const bodies: string[] = [
        "{not json",
        "",
        "[]",
        JSON.stringify({ data: "two" }),
        JSON.stringify({ sequence_token: created.token }),
        JSON.stringify({ sequence_token: 1, data: "two" }),
        JSON.stringify({ sequence_token: created.token, data: 2 }),
      ];
      for (const body of bodies) {
        const res = await fetch(sendUrl(conn, created.id), { method: "PUT", body });
        await expectV2025Error(res, 400, INVALID_JSON);
      }
      expect((await read(conn, created.id)).data).toBe("one");
    });

    it("send looks at neither Content-Type nor Content-Length: text/plain, none, or a chunked body -> 200", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "one");
      let token = created.token;
      const next = async (res: Response | RawResponse): Promise<void> => {
        const body = res instanceof Response ? await expectV2025Ok(res) : rawJson(res);
        expect(res.status).toBe(200);
        token = body.sequence_token as string;
      };
      const body = (data: string): string => JSON.stringify({ sequence_token: token, data });
      await next(
        await fetch(sendUrl(conn, created.id), {
          method: "PUT",
          headers: { "Content-Type": "text/plain" },
          body: body("two"),
        }),
      );
      await next(await fetch(sendUrl(conn, created.id), { method: "PUT", body: bytes(body("three")) }));
      await next(await rawRequest(sendUrl(conn, created.id), "PUT", { body: body("four"), chunked: true }));
      expect(await read(conn, created.id)).toMatchObject({ data: "four", sequence_token: token });
    });

    it("DELETE -> 200 with body []; afterwards GET, PUT and DELETE -> 404 M_NOT_FOUND", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      const created = await create(conn, "one");
      const res = await fetch(sessionUrl(conn, created.id), { method: "DELETE" });
      expect(res.status).toBe(200);
      expectV2025Headers(res.headers);
      expect(await jsonOf(res)).toEqual([]);
      await expectV2025Error(await fetch(sessionUrl(conn, created.id)), 404, NOT_FOUND);
      await expectV2025Error(
        await send(conn, created.id, { sequence_token: created.token, data: "x" }),
        404,
        NOT_FOUND,
      );
      await expectV2025Error(await fetch(sessionUrl(conn, created.id), { method: "DELETE" }), 404, NOT_FOUND);
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
        await expectV2025Error(res, 405, UNRECOGNIZED);
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
        await expectV2025Error(res, 404, UNRECOGNIZED);
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
        await expectV2025Error(await fetch(url, stale), 409, SEQUENCE_TOKEN_MISMATCH);
        await expectV2025Error(await fetch(url, stale), 409, SEQUENCE_TOKEN_MISMATCH);
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
      await expectV2025Error(await fetch(sessionUrl(conn, created.id)), 404, NOT_FOUND);
      await expectV2025Error(await send(conn, created.id, { sequence_token: "x", data: "" }), 404, NOT_FOUND);
      await expectV2025Error(await fetch(sessionUrl(conn, created.id), { method: "DELETE" }), 404, NOT_FOUND);
    });

    it("a create that finds twice the capacity drops the oldest down to the capacity: the newest capacity+1 survive", async (ctx) => {
      const conn = connect();
      sessionsAvailable(ctx, conn);
      skipUnless(
        ctx,
        capacity !== undefined,
        "the target's capacity is not given (the test creates up to 2×capacity+1 sessions)",
      );
      await expectEvictionOnCreate(
        capacity ?? 0,
        async () => (await create(conn, "")).id,
        async (id) => (await fetch(sessionUrl(conn, id))).status === 200,
      );
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
