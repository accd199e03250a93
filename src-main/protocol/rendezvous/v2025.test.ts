// The v2025 (MSC4388) rendezvous client against a scripted fetch: discovery answers, the two API paths, expiry on
// the local clock, malformed answers, the AAD tokens each side is handed, and the edge cases of a lost write.
// The devserver suite (test/devserver/rendezvous-clients.test.ts) covers the ordinary flow.
import { describe, expect, it } from "vitest";
import type { TranscriptEntry } from "../../../src-shared/transcript";
import { encodeLoginQr } from "../qr/codec";
import { acceptScannedQr } from "../qr/scanned";
import { joinRendezvous } from "./join";
import { LOCAL_START, rendezvousError, scriptedFetch, testRuntime, type Step } from "./doubles.testing";
import { MACHINE_REPLY_DUE } from "./timing";
import {
  V2025_STABLE_PATH,
  V2025_UNSTABLE_PATH,
  createV2025Rendezvous,
  discoverV2025Rendezvous,
  joinV2025Rendezvous,
  rendezvousApiForQrPrefix,
} from "./v2025";

const BASE_URL = "https://matrix-client.example.org";
const ID = "01HX9K00Q1H6KPD47EG4G1T3XG";
const UNSTABLE = `${BASE_URL}${V2025_UNSTABLE_PATH}`;

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Step =>
  () =>
    Response.json(body, { status, headers });
const state = (data: string, token: string, expiresInMs = 120_000): Step =>
  json(200, { data, sequence_token: token, expires_in_ms: expiresInMs });
const matrixError = (status: number, errcode: string): Step => json(status, { errcode, error: "scripted" });
const networkFailure: Step = () => {
  throw new TypeError("fetch failed");
};

const signal = new AbortController().signal;

describe("v2025 discovery", () => {
  it("reads create_available, sending the access token when there is one", async () => {
    const fetch = scriptedFetch([json(200, { create_available: false })]);
    await expect(
      discoverV2025Rendezvous({
        runtime: testRuntime(fetch),
        baseUrl: BASE_URL,
        accessToken: "syt_token",
        signal,
      }),
    ).resolves.toEqual({ served: true, createAvailable: false });
    expect(fetch.calls[0]?.url).toBe(UNSTABLE);
    expect(fetch.calls[0]?.headers.get("authorization")).toBe("Bearer syt_token");
  });

  it("says 'not served' for 404 M_UNRECOGNIZED, and for a proxy's bare 404", async () => {
    for (const step of [
      matrixError(404, "M_UNRECOGNIZED"),
      () => new Response("<h1>Not Found</h1>", { status: 404 }),
    ]) {
      await expect(
        discoverV2025Rendezvous({ runtime: testRuntime(scriptedFetch([step])), baseUrl: BASE_URL, signal }),
      ).resolves.toEqual({
        served: false,
      });
    }
  });

  it.each([
    [401, "M_MISSING_TOKEN", "unauthorized"],
    [403, "M_FORBIDDEN", "forbidden"],
    [400, "M_UNKNOWN", "invalid_response"],
  ])("maps %i %s to %s", async (status, errcode, code) => {
    const fetch = scriptedFetch([matrixError(status, errcode)]);
    expect(
      (
        await rendezvousError(
          discoverV2025Rendezvous({ runtime: testRuntime(fetch), baseUrl: BASE_URL, signal }),
        )
      ).code,
    ).toBe(code);
  });

  it("refuses an answer without a boolean create_available", async () => {
    const fetch = scriptedFetch([json(200, { create_available: "yes" })]);
    expect(
      (
        await rendezvousError(
          discoverV2025Rendezvous({ runtime: testRuntime(fetch), baseUrl: BASE_URL, signal }),
        )
      ).code,
    ).toBe("invalid_response");
  });
});

describe("v2025 create and join", () => {
  it("creates with {data: ''} and the access token on the stable path, keeping the base URL exactly", async () => {
    const fetch = scriptedFetch([json(200, { id: ID, sequence_token: "T1", expires_in_ms: 120_000 })]);
    const session = await createV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: `${BASE_URL}/`,
      api: "stable",
      accessToken: "syt_token",
      signal,
    });
    expect(fetch.calls[0]).toMatchObject({
      method: "POST",
      url: `${BASE_URL}${V2025_STABLE_PATH}`,
      json: { data: "" },
    });
    expect(fetch.calls[0]?.headers.get("authorization")).toBe("Bearer syt_token");
    expect(fetch.calls[0]?.headers.get("content-type")).toBe("application/json");
    expect(session).toMatchObject({ id: ID, baseUrl: `${BASE_URL}/`, api: "stable", sequenceToken: "T1" });
    expect(session.expiresAt).toBe(LOCAL_START + 120_000);
  });

  it("sends no Authorization header without a token", async () => {
    const fetch = scriptedFetch([json(200, { id: ID, sequence_token: "T1", expires_in_ms: 1 })]);
    await createV2025Rendezvous({ runtime: testRuntime(fetch), baseUrl: BASE_URL, signal });
    expect(fetch.calls[0]?.headers.has("authorization")).toBe(false);
  });

  it.each([
    ["no id", { sequence_token: "T1", expires_in_ms: 1 }],
    ["an id outside the opaque-id grammar", { id: "../x", sequence_token: "T1", expires_in_ms: 1 }],
    ["an empty token", { id: ID, sequence_token: "", expires_in_ms: 1 }],
    [
      "a token too long for the AAD's one-byte length",
      { id: ID, sequence_token: "t".repeat(256), expires_in_ms: 1 },
    ],
    ["no expiry", { id: ID, sequence_token: "T1" }],
    ["a negative expiry", { id: ID, sequence_token: "T1", expires_in_ms: -5 }],
  ])("refuses a create answer with %s", async (_label, body) => {
    const fetch = scriptedFetch([json(200, body)]);
    expect(
      (
        await rendezvousError(
          createV2025Rendezvous({ runtime: testRuntime(fetch), baseUrl: BASE_URL, signal }),
        )
      ).code,
    ).toBe("invalid_response");
  });

  it("refuses a create answer that is not JSON", async () => {
    const fetch = scriptedFetch([() => new Response("<html>", { status: 200 })]);
    expect(
      (
        await rendezvousError(
          createV2025Rendezvous({ runtime: testRuntime(fetch), baseUrl: BASE_URL, signal }),
        )
      ).code,
    ).toBe("invalid_response");
  });

  it.each([
    [401, "M_MISSING_TOKEN", "unauthorized"],
    [403, "M_FORBIDDEN", "forbidden"],
    [404, "M_UNRECOGNIZED", "not_supported"],
    [413, "M_TOO_LARGE", "too_large"],
  ])("maps a create answered %i %s to %s", async (status, errcode, code) => {
    const fetch = scriptedFetch([matrixError(status, errcode)]);
    expect(
      (
        await rendezvousError(
          createV2025Rendezvous({ runtime: testRuntime(fetch), baseUrl: BASE_URL, signal }),
        )
      ).code,
    ).toBe(code);
  });

  it.each([
    [0, 5_000],
    [1, 5_000],
    [86_400_000, 1_800_000],
  ])("clamps expires_in_ms %i to [5 s, 30 min]", async (expiresInMs, clampedMs) => {
    const fetch = scriptedFetch([json(200, { id: ID, sequence_token: "T1", expires_in_ms: expiresInMs })]);
    const session = await createV2025Rendezvous({ runtime: testRuntime(fetch), baseUrl: BASE_URL, signal });
    expect(session.expiresAt).toBe(LOCAL_START + clampedMs);
  });

  it("cancel() still sends its DELETE after the flow's signal aborted", async () => {
    const flow = new AbortController();
    const fetch = scriptedFetch([state("", "T1"), json(200, [])]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      id: ID,
      signal: flow.signal,
    });
    flow.abort(new Error("user cancelled"));
    await session.cancel();
    expect(fetch.calls.map((call) => call.method)).toEqual(["GET", "DELETE"]);
  });

  it("reads an old draft's absolute expires_ts against the response's Date (clock skew cancels out)", async () => {
    const serverNow = Date.parse("2020-01-01T00:00:00Z");
    const fetch = scriptedFetch([
      json(
        200,
        { data: "", sequence_token: "T1", expires_ts: serverNow + 30_000 },
        { Date: new Date(serverNow).toUTCString() },
      ),
    ]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      id: ID,
      signal,
    });
    expect(session.expiresAt).toBe(LOCAL_START + 30_000);
  });

  it("joins from a QR code on the path its prefix names", async () => {
    const qr = {
      version: "v2025",
      intent: "existing_device",
      publicKey: new Uint8Array(32),
      rendezvousId: ID,
      baseUrl: BASE_URL,
      prefix: "MATRIX",
      idLength: "u8",
      baseUrlLength: "u8",
    } as const;
    const fetch = scriptedFetch([state("", "T1")]);
    const session = await joinRendezvous(acceptScannedQr(encodeLoginQr(qr), "new_device"), {
      runtime: testRuntime(fetch),
      signal,
    });
    expect(fetch.calls[0]?.url).toBe(`${BASE_URL}${V2025_STABLE_PATH}/${ID}`);
    expect(session.version).toBe("v2025");
    expect(rendezvousApiForQrPrefix("IO_ELEMENT_MSC4388")).toBe("unstable");
    expect(rendezvousApiForQrPrefix("MATRIX")).toBe("stable");
  });

  it.each([".", ".."])(
    "keeps the opaque id %j one path segment below the rendezvous path (never normalised away)",
    async (id) => {
      const fetch = scriptedFetch([state("", "T1"), json(200, { sequence_token: "T2" })]);
      const session = await joinV2025Rendezvous({
        runtime: testRuntime(fetch),
        baseUrl: BASE_URL,
        id,
        signal,
      });
      await session.send(() => "INITIATE", { signal });
      for (const call of fetch.calls) {
        expect(new URL(call.url).pathname).toBe(`${V2025_UNSTABLE_PATH}/${id.replaceAll(".", "%252E")}`);
      }
    },
  );

  it("refuses to join an id that is not an opaque id (our caller's bug)", async () => {
    await expect(
      joinV2025Rendezvous({ runtime: testRuntime(scriptedFetch([])), baseUrl: BASE_URL, id: "a/b", signal }),
    ).rejects.toThrow(TypeError);
  });
});

describe("v2025 over plain http (refused unless allowInsecureHttp)", () => {
  const HTTP_BASE = "http://127.0.0.1:8008";

  it("refuses discovery, create and join before any request (create and discover may carry the access token)", async () => {
    const fetch = scriptedFetch([]);
    const options = { runtime: testRuntime(fetch), baseUrl: HTTP_BASE, accessToken: "syt_token", signal };
    expect((await rendezvousError(discoverV2025Rendezvous(options))).code).toBe("insecure_transport");
    expect((await rendezvousError(createV2025Rendezvous(options))).code).toBe("insecure_transport");
    expect((await rendezvousError(joinV2025Rendezvous({ ...options, id: ID }))).code).toBe(
      "insecure_transport",
    );
    expect(fetch.calls).toHaveLength(0);
  });

  it.each(["http://192.168.1.20:8008", "http://hs.example.org", "http://0.0.0.0:8008"])(
    "refuses discovery, create and join on %s even with allowInsecureHttp: loopback only",
    async (baseUrl) => {
      const fetch = scriptedFetch([]);
      const options = {
        runtime: testRuntime(fetch),
        baseUrl,
        accessToken: "syt_token",
        allowInsecureHttp: true,
        signal,
      };
      expect((await rendezvousError(discoverV2025Rendezvous(options))).code).toBe("insecure_transport");
      expect((await rendezvousError(createV2025Rendezvous(options))).code).toBe("insecure_transport");
      expect((await rendezvousError(joinV2025Rendezvous({ ...options, id: ID }))).code).toBe(
        "insecure_transport",
      );
      expect(fetch.calls).toHaveLength(0);
    },
  );

  it("joins a QR code's http base URL when the caller allows it (a local development server)", async () => {
    const fetch = scriptedFetch([state("", "T1")]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: HTTP_BASE,
      id: ID,
      allowInsecureHttp: true,
      signal,
    });
    expect(session.baseUrl).toBe(HTTP_BASE);
    expect(fetch.calls[0]?.url).toBe(`${HTTP_BASE}${V2025_UNSTABLE_PATH}/${ID}`);
  });
});

describe("v2025 AAD tokens (MSC4388: sender seals against its precondition, receiver against what it held)", () => {
  it("hands send() the current token and receive() the token held before the GET that brought the message", async () => {
    const fetch = scriptedFetch([
      state("", "T1"),
      json(200, { sequence_token: "T2" }),
      state("INITIATE", "T2"),
      state("OK", "T3"),
    ]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      id: ID,
      signal,
    });
    const sealedWith: unknown[] = [];
    await session.send(
      (aad) => {
        sealedWith.push(aad);
        return "INITIATE";
      },
      { signal },
    );
    expect(sealedWith).toEqual([{ baseUrl: BASE_URL, rendezvousId: ID, sequenceToken: "T1" }]);
    expect(fetch.calls[1]?.json).toEqual({ sequence_token: "T1", data: "INITIATE" });
    expect(session.sequenceToken).toBe("T2");

    const received = await session.receive({ signal, schedule: MACHINE_REPLY_DUE });
    expect(received).toEqual({
      data: "OK",
      aad: { baseUrl: BASE_URL, rendezvousId: ID, sequenceToken: "T2" },
    });
    expect(session.sequenceToken).toBe("T3");
  });
});

describe("v2025 edge cases of a write", () => {
  it("adopts the token when a resend after a lost answer is refused but our data is in the cell", async () => {
    // A server without MSC4388's safe retry refuses the identical resend; the cell shows our write landed.
    const fetch = scriptedFetch([
      state("", "T1"),
      networkFailure,
      matrixError(409, "IO_ELEMENT_MSC4388_CONCURRENT_WRITE"),
      state("INITIATE", "T2"),
    ]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      id: ID,
      signal,
    });
    await session.send(() => "INITIATE", { signal });
    expect(session.sequenceToken).toBe("T2");
    expect(fetch.calls[2]?.json).toEqual(fetch.calls[1]?.json);
  });

  it("gives up with network when the answer was lost and the peer has answered since: its AAD token is gone", async () => {
    const fetch = scriptedFetch([
      state("", "T1"),
      networkFailure,
      matrixError(409, "IO_ELEMENT_MSC4388_CONCURRENT_WRITE"),
      state("OK", "T3"),
    ]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      id: ID,
      signal,
    });
    const error = await rendezvousError(session.send(() => "INITIATE", { signal }));
    expect(error).toMatchObject({ code: "network", reason: "write_answer_lost" });
  });

  it("treats a 5xx like a lost answer: the write may have landed, so a fast peer reply is network, not a conflict", async () => {
    // The server committed our PUT and then failed (a proxy's 503); the peer answered before our retry.
    const fetch = scriptedFetch([
      state("", "T1"),
      matrixError(503, "M_UNKNOWN"),
      matrixError(409, "IO_ELEMENT_MSC4388_CONCURRENT_WRITE"),
      state("OK", "T3"),
    ]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      id: ID,
      signal,
    });
    const error = await rendezvousError(session.send(() => "INITIATE", { signal }));
    expect(error).toMatchObject({ code: "network", reason: "write_answer_lost" });
  });

  it("adopts the token after a 5xx whose write landed when the peer has not answered yet", async () => {
    const fetch = scriptedFetch([
      state("", "T1"),
      matrixError(502, "M_UNKNOWN"),
      matrixError(409, "IO_ELEMENT_MSC4388_CONCURRENT_WRITE"),
      state("INITIATE", "T2"),
    ]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      id: ID,
      signal,
    });
    await session.send(() => "INITIATE", { signal });
    expect(session.sequenceToken).toBe("T2");
  });

  it("reports a 409 with the stable errcode as a concurrent write, and one with a foreign errcode as invalid", async () => {
    const conflict = scriptedFetch([
      state("", "T1"),
      matrixError(409, "M_CONCURRENT_WRITE"),
      state("THEIRS", "T9"),
    ]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(conflict),
      baseUrl: BASE_URL,
      id: ID,
      signal,
    });
    expect((await rendezvousError(session.send(() => "MINE", { signal }))).code).toBe("concurrent_write");

    const odd = scriptedFetch([state("", "T1"), matrixError(409, "M_UNKNOWN")]);
    const other = await joinV2025Rendezvous({ runtime: testRuntime(odd), baseUrl: BASE_URL, id: ID, signal });
    expect((await rendezvousError(other.send(() => "MINE", { signal }))).code).toBe("invalid_response");
  });

  it("falls back to PUT {id}/{txnId} on 405 and keeps that shape, with a fresh txnId per message", async () => {
    const fetch = scriptedFetch([
      state("", "T1"),
      matrixError(405, "M_UNRECOGNIZED"),
      json(200, { sequence_token: "T2" }),
      state("OK", "T3"),
      json(200, { sequence_token: "T4" }),
    ]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      id: ID,
      signal,
    });
    await session.send(() => "INITIATE", { signal });
    await session.receive({ signal, schedule: MACHINE_REPLY_DUE });
    await session.send(() => "NEXT", { signal });
    const puts = fetch.calls.filter((call) => call.method === "PUT").map((call) => call.url);
    expect(puts[0]).toBe(`${UNSTABLE}/${ID}`);
    expect(puts[1]).toMatch(new RegExp(`^${UNSTABLE}/${ID}/[0-9a-f]{32}$`));
    expect(puts[2]).toMatch(new RegExp(`^${UNSTABLE}/${ID}/[0-9a-f]{32}$`));
    expect(puts[2]).not.toBe(puts[1]);
  });

  it("says not_supported when neither PUT shape is served", async () => {
    const fetch = scriptedFetch([
      state("", "T1"),
      matrixError(404, "M_UNRECOGNIZED"),
      matrixError(404, "M_UNRECOGNIZED"),
    ]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      id: ID,
      signal,
    });
    expect((await rendezvousError(session.send(() => "x", { signal }))).code).toBe("not_supported");
  });

  it("refuses data that changed under an unchanged token, naming a proxy's interference", async () => {
    const fetch = scriptedFetch([state("", "T1"), state("sneaky", "T1")]);
    const session = await joinV2025Rendezvous({
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      id: ID,
      signal,
    });
    // Every write changes the token, so this is not what the server stored: it was altered on the way.
    const error = await rendezvousError(session.receive({ signal, schedule: MACHINE_REPLY_DUE }));
    expect(error.code).toBe("proxy_interference");
    expect(error.reason).toBe("data_changed_without_token");
  });

  it("accepts any body on DELETE", async () => {
    for (const answer of [json(200, []), json(200, {}), () => new Response(null, { status: 204 })]) {
      const fetch = scriptedFetch([state("", "T1"), answer]);
      const session = await joinV2025Rendezvous({
        runtime: testRuntime(fetch),
        baseUrl: BASE_URL,
        id: ID,
        signal,
      });
      await expect(session.cancel()).resolves.toBeUndefined();
      expect(fetch.calls[1]?.method).toBe("DELETE");
    }
  });
});

describe("v2025 transcript", () => {
  it("records one entry per request with path, status, sizes and sequence token, never a payload or the token", async () => {
    const entries: TranscriptEntry[] = [];
    const fetch = scriptedFetch([
      json(200, { create_available: true }),
      state("", "T1"),
      json(200, { sequence_token: "T2" }),
      state("SECRET-MESSAGE", "T2"),
      state("SECRET-REPLY", "T3"),
    ]);
    const options = {
      runtime: testRuntime(fetch, { transcript: (entry: TranscriptEntry) => entries.push(entry) }),
      baseUrl: BASE_URL,
      signal,
    };
    await discoverV2025Rendezvous({ ...options, accessToken: "syt_never_logged_token" });
    const session = await joinV2025Rendezvous({ ...options, id: ID });
    await session.send(() => "SECRET-MESSAGE", { signal });
    await session.receive({ signal, schedule: MACHINE_REPLY_DUE });

    expect(entries).toHaveLength(fetch.calls.length);
    expect(
      entries.map((entry) =>
        entry.kind === "http" ? [entry.method, entry.status, entry.sequenceToken] : [],
      ),
    ).toEqual([
      ["GET", 200, undefined],
      ["GET", 200, "T1"],
      ["PUT", 200, "T2"],
      ["GET", 200, "T2"],
      ["GET", 200, "T3"],
    ]);
    const putBody = JSON.stringify({ sequence_token: "T1", data: "SECRET-MESSAGE" });
    expect(entries[2]).toMatchObject({ requestBytes: putBody.length, path: `${V2025_UNSTABLE_PATH}/${ID}` });
    const replyBody = JSON.stringify({ data: "SECRET-REPLY", sequence_token: "T3", expires_in_ms: 120_000 });
    expect(entries[4]).toMatchObject({ responseBytes: replyBody.length });
    const text = JSON.stringify(entries);
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("never_logged");
  });
});
