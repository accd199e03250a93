// The device's JSON requests to the homeserver (src-main/matrix/http.ts `requestJson`) against a real HTTP server
// that misbehaves the way the fuzzer's hostile network did: a server that sends its headers and then holds its
// body back, and one whose answer never ends. Both must end in a typed MatrixError, not a wait without end or an
// unbounded read.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MatrixError } from "../../src-main/matrix/errors";
import { MAX_JSON_RESPONSE_BYTES, requestJson } from "../../src-main/matrix/http";
import { createRuntime } from "../../src-main/protocol/testing";

let server: Server;
let baseUrl = "";

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === "/held-back") {
      // Headers, the first bytes of a body, and then nothing: the connection stays open.
      response.writeHead(200, { "Content-Type": "application/json" });
      response.write('{"user_id":');
      return;
    }
    if (request.url === "/endless") {
      response.writeHead(200, { "Content-Type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const more = (): void => {
        while (response.write(chunk));
        response.once("drain", more);
      };
      response.write("[");
      more();
      request.socket.once("close", () => response.removeAllListeners("drain"));
      return;
    }
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const request = (path: string) => ({
  method: "GET",
  path,
  signal: new AbortController().signal,
  retry: { attempts: 2, backoffMs: 10, timeoutMs: 300 },
});

describe("requestJson against a homeserver that misbehaves", () => {
  it("reads a normal answer", async () => {
    await expect(requestJson(fetch, createRuntime(), baseUrl, request("/fine"))).resolves.toEqual({
      status: 200,
      body: { ok: true },
    });
  });

  it("gives up on a body held back after its first bytes: network, each attempt within its time", async () => {
    const failure = await requestJson(fetch, createRuntime(), baseUrl, request("/held-back")).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(MatrixError);
    expect(failure).toMatchObject({ code: "network" });
    expect((failure as MatrixError).message).toBe("GET /held-back: no complete answer within 300 ms");
  });

  it("stops reading an answer that never ends at the size limit: server_error too_large", async () => {
    const failure = await requestJson(fetch, createRuntime(), baseUrl, {
      ...request("/endless"),
      retry: { attempts: 1, timeoutMs: 20_000 },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MatrixError);
    expect(failure).toMatchObject({ code: "server_error", reason: "too_large" });
    expect((failure as MatrixError).message).toContain(String(MAX_JSON_RESPONSE_BYTES));
  });
});
