// The v2024 (ETag) rendezvous client against a scripted fetch: the edge cases a real server does not easily
// produce (307 delegation, odd or missing headers, clock skew, a proxy's rewritten validators, failures until the
// deadline, aborts). The devserver suite (test/devserver/rendezvous-clients.test.ts) covers the ordinary flow.
import { describe, expect, it } from "vitest";
import type { TranscriptEntry } from "../../../src-shared/transcript";
import {
  LOCAL_START,
  fakeTime,
  rendezvousError,
  scriptedFetch,
  testRuntime,
  type Call,
  type Step,
} from "./doubles.testing";
import { MACHINE_REPLY_DUE } from "./timing";
import type { FetchFunction } from "./transport";
import { V2024_CREATE_PATH, createV2024Rendezvous, joinV2024Rendezvous } from "./v2024";

const HOMESERVER = "https://matrix.example.org";
const SESSION = "https://matrix.example.org/_synapse/client/rendezvous/01HX9K00Q1H6KPD47EG4G1T3XG";
/** The client's clock (LOCAL_START) is six years ahead of the server's: only `Expires - Date` can be trusted. */
const SERVER_NOW = Date.parse("2020-01-01T00:00:00Z");

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Synapse's session headers, dated by the server's (skewed) clock. */
function sessionHeaders(etag: string, ttlMs = 60_000): Record<string, string> {
  return {
    ETag: etag,
    Date: httpDate(SERVER_NOW),
    Expires: httpDate(SERVER_NOW + ttlMs),
    "Last-Modified": httpDate(SERVER_NOW),
    "Cache-Control": "no-store, no-transform",
  };
}

const created = (etag = '"e0"'): Step => {
  return () => Response.json({ url: SESSION }, { status: 201, headers: sessionHeaders(etag) });
};
const content = (text: string, etag: string): Step => {
  return () =>
    new Response(text, { status: 200, headers: { ...sessionHeaders(etag), "Content-Type": "text/plain" } });
};
const notModified = (etag: string): Step => {
  return () => new Response(null, { status: 304, headers: sessionHeaders(etag) });
};
const accepted = (etag: string): Step => {
  return () => new Response(null, { status: 202, headers: sessionHeaders(etag) });
};
const matrixError = (status: number, errcode: string, headers: Record<string, string> = {}): Step => {
  return () => Response.json({ errcode, error: "scripted" }, { status, headers });
};
const networkFailure: Step = () => {
  throw new TypeError("fetch failed");
};

const signal = new AbortController().signal;

describe("v2024 create (G shows the QR code)", () => {
  it("posts an empty text/plain body, exactly that content type, as bytes", async () => {
    const fetch = scriptedFetch([created()]);
    const session = await createV2024Rendezvous({
      runtime: testRuntime(fetch),
      homeserverUrl: `${HOMESERVER}/`,
      signal,
    });

    const [post] = fetch.calls;
    expect(post?.method).toBe("POST");
    expect(post?.url).toBe(`${HOMESERVER}${V2024_CREATE_PATH}`);
    expect(post?.headers.get("content-type")).toBe("text/plain");
    expect(post?.body).toEqual(new Uint8Array(0));
    expect(session.url).toBe(SESSION);
    expect(session.etag).toBe('"e0"');
  });

  it("keeps a base URL's path prefix", async () => {
    const fetch = scriptedFetch([created()]);
    await createV2024Rendezvous({
      runtime: testRuntime(fetch),
      homeserverUrl: "https://example.org/matrix/",
      signal,
    });
    expect(fetch.calls[0]?.url).toBe(`https://example.org/matrix${V2024_CREATE_PATH}`);
  });

  it("follows a 307 delegation to its Location, posting the same body again, one transcript entry per hop", async () => {
    const delegate = "https://rendezvous.example.net/create";
    const entries: TranscriptEntry[] = [];
    const fetch = scriptedFetch([
      () => new Response(null, { status: 307, headers: { Location: delegate } }),
      created(),
    ]);
    const session = await createV2024Rendezvous({
      runtime: testRuntime(fetch, { transcript: (entry) => entries.push(entry) }),
      homeserverUrl: HOMESERVER,
      initialData: "hello",
      signal,
    });

    expect(fetch.calls.map((call) => [call.method, call.url])).toEqual([
      ["POST", `${HOMESERVER}${V2024_CREATE_PATH}`],
      ["POST", delegate],
    ]);
    expect(fetch.calls[1]?.body).toEqual(new TextEncoder().encode("hello"));
    expect(fetch.calls[1]?.headers.get("content-type")).toBe("text/plain");
    expect(session.url).toBe(SESSION);
    expect(entries.map((entry) => (entry.kind === "http" ? [entry.host, entry.status] : []))).toEqual([
      ["matrix.example.org", 307],
      ["rendezvous.example.net", 201],
    ]);
  });

  it("resolves a relative session url against the server that answered", async () => {
    const fetch = scriptedFetch([
      () =>
        Response.json(
          { url: "/_synapse/client/rendezvous/ABC" },
          { status: 201, headers: sessionHeaders('"x"') },
        ),
    ]);
    const session = await createV2024Rendezvous({
      runtime: testRuntime(fetch),
      homeserverUrl: HOMESERVER,
      signal,
    });
    expect(session.url).toBe(`${HOMESERVER}/_synapse/client/rendezvous/ABC`);
  });

  it.each([
    [
      "a redirect loop",
      Array<Step>(6).fill(() => new Response(null, { status: 307, headers: { Location: "/x" } })),
    ],
    ["a 307 without Location", [() => new Response(null, { status: 307 })]],
    [
      "a method-changing 302",
      [() => new Response(null, { status: 302, headers: { Location: "/get-instead" } })],
    ],
  ])("refuses %s", async (_label, steps: Step[]) => {
    const created = createV2024Rendezvous({
      runtime: testRuntime(scriptedFetch(steps)),
      homeserverUrl: HOMESERVER,
      signal,
    });
    expect((await rendezvousError(created)).code).toBe("invalid_response");
  });

  it("reads the session's ETag with a GET when the 201 carries none", async () => {
    const fetch = scriptedFetch([
      () => Response.json({ url: SESSION }, { status: 201 }),
      content("", '"empty"'),
    ]);
    const session = await createV2024Rendezvous({
      runtime: testRuntime(fetch),
      homeserverUrl: HOMESERVER,
      signal,
    });
    expect(session.etag).toBe('"empty"');
    expect(fetch.calls[1]?.method).toBe("GET");
  });

  it.each([
    [404, "M_UNRECOGNIZED", "not_supported"],
    [405, "M_UNRECOGNIZED", "not_supported"],
    [403, "M_FORBIDDEN", "forbidden"],
    [413, "M_TOO_LARGE", "too_large"],
    [400, "M_INVALID_PARAM", "invalid_response"],
  ])("maps %i %s to %s", async (status, errcode, code) => {
    const fetch = scriptedFetch([matrixError(status, errcode)]);
    expect(
      (
        await rendezvousError(
          createV2024Rendezvous({ runtime: testRuntime(fetch), homeserverUrl: HOMESERVER, signal }),
        )
      ).code,
    ).toBe(code);
  });

  it("refuses a session url that is not http(s)", async () => {
    const fetch = scriptedFetch([
      () => Response.json({ url: "javascript:alert(1)" }, { status: 201, headers: sessionHeaders('"x"') }),
    ]);
    expect(
      (
        await rendezvousError(
          createV2024Rendezvous({ runtime: testRuntime(fetch), homeserverUrl: HOMESERVER, signal }),
        )
      ).code,
    ).toBe("invalid_response");
  });
});

describe("v2024 over plain http (refused unless allowInsecureHttp)", () => {
  const HTTP_SESSION = "http://127.0.0.1:8008/_synapse/client/rendezvous/01HX9K00Q1H6KPD47EG4G1T3XG";

  it("refuses to join a QR code's http session URL before any request", async () => {
    const fetch = scriptedFetch([]);
    const error = await rendezvousError(
      joinV2024Rendezvous({ runtime: testRuntime(fetch), url: HTTP_SESSION, signal }),
    );
    expect(error.code).toBe("insecure_transport");
    expect(fetch.calls).toHaveLength(0);
  });

  it("refuses to create on an http homeserver before any request", async () => {
    const fetch = scriptedFetch([]);
    const created = createV2024Rendezvous({
      runtime: testRuntime(fetch),
      homeserverUrl: "http://127.0.0.1:8008",
      signal,
    });
    expect((await rendezvousError(created)).code).toBe("insecure_transport");
    expect(fetch.calls).toHaveLength(0);
  });

  it("refuses a delegation or a session URL that downgrades an https homeserver to http", async () => {
    const redirected = scriptedFetch([
      () => new Response(null, { status: 307, headers: { Location: "http://rendezvous.example.net/" } }),
    ]);
    const viaRedirect = createV2024Rendezvous({
      runtime: testRuntime(redirected),
      homeserverUrl: HOMESERVER,
      signal,
    });
    expect((await rendezvousError(viaRedirect)).code).toBe("insecure_transport");
    expect(redirected.calls).toHaveLength(1);

    const downgraded = scriptedFetch([
      () => Response.json({ url: HTTP_SESSION }, { status: 201, headers: sessionHeaders('"e0"') }),
    ]);
    const viaSessionUrl = createV2024Rendezvous({
      runtime: testRuntime(downgraded),
      homeserverUrl: HOMESERVER,
      signal,
    });
    expect((await rendezvousError(viaSessionUrl)).code).toBe("insecure_transport");
  });

  it.each([
    ["a LAN address", "http://192.168.1.20:8008/_synapse/client/rendezvous/X"],
    ["a public host name", "http://matrix.example.org/_synapse/client/rendezvous/X"],
    ["an IPv4-mapped loopback (not in the list)", "http://[::ffff:127.0.0.1]/_synapse/client/rendezvous/X"],
    ["a name that only starts like localhost", "http://localhost.example.org/_synapse/client/rendezvous/X"],
  ])("refuses http to %s even with allowInsecureHttp, before any request", async (_label, url) => {
    const fetch = scriptedFetch([]);
    const error = await rendezvousError(
      joinV2024Rendezvous({ runtime: testRuntime(fetch), url, allowInsecureHttp: true, signal }),
    );
    expect(error.code).toBe("insecure_transport");
    expect(error.message).toContain("loopback hosts only");
    expect(fetch.calls).toHaveLength(0);
  });

  it("refuses a local development server's delegation to http on the LAN, even with allowInsecureHttp", async () => {
    const redirected = scriptedFetch([
      () => new Response(null, { status: 307, headers: { Location: "http://10.0.0.7:8008/create" } }),
    ]);
    const created = createV2024Rendezvous({
      runtime: testRuntime(redirected),
      homeserverUrl: "http://127.0.0.1:8008",
      allowInsecureHttp: true,
      signal,
    });
    expect((await rendezvousError(created)).code).toBe("insecure_transport");
    expect(redirected.calls.map((call) => call.url)).toEqual([`http://127.0.0.1:8008${V2024_CREATE_PATH}`]);
  });

  it.each([
    "http://127.0.0.1:8008/s/X",
    "http://127.45.0.9/s/X",
    "http://[::1]:8008/s/X",
    "http://localhost:8008/s/X",
    "http://LOCALHOST/s/X",
  ])("joins %s over http with allowInsecureHttp (loopback)", async (url) => {
    const fetch = scriptedFetch([content("", '"e0"')]);
    await joinV2024Rendezvous({ runtime: testRuntime(fetch), url, allowInsecureHttp: true, signal });
    expect(fetch.calls).toHaveLength(1);
  });

  it("joins over http when the caller allows it (a local development server)", async () => {
    const fetch = scriptedFetch([content("", '"e0"')]);
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(fetch),
      url: HTTP_SESSION,
      allowInsecureHttp: true,
      signal,
    });
    expect(session.url).toBe(HTTP_SESSION);
    expect(fetch.calls[0]?.url).toBe(HTTP_SESSION);
  });
});

describe("v2024 expiry (Expires - Date, on the local clock)", () => {
  it("adds the server's remaining lifetime to the local receive time, whatever the skew", async () => {
    const time = fakeTime();
    const fetch = scriptedFetch([created()]);
    const session = await createV2024Rendezvous({
      runtime: testRuntime(fetch, { clock: time }),
      homeserverUrl: HOMESERVER,
      signal,
    });
    expect(session.expiresAt).toBe(LOCAL_START + 60_000);
  });

  it("moves the expiry with every response that says (a sliding TTL, as Tuwunel has)", async () => {
    const time = fakeTime();
    const fetch = scriptedFetch([
      content("", '"e0"'),
      () => new Response(null, { status: 304, headers: sessionHeaders('"e0"', 600_000) }),
      content("reply", '"e1"'),
    ]);
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(fetch, { clock: time }),
      url: SESSION,
      signal,
    });
    await session.receive({ signal, schedule: MACHINE_REPLY_DUE });
    // The last answer (sent with a 60 s lifetime) arrived after the client's clock had moved on.
    expect(session.expiresAt).toBe(time.now() + 60_000);
  });

  it("takes Expires as it is when the server sends no Date", async () => {
    const expires = LOCAL_START + 42_000;
    const fetch = scriptedFetch([
      () =>
        Response.json(
          { url: SESSION },
          { status: 201, headers: { ETag: '"e0"', Expires: httpDate(expires) } },
        ),
    ]);
    const session = await createV2024Rendezvous({
      runtime: testRuntime(fetch),
      homeserverUrl: HOMESERVER,
      signal,
    });
    expect(session.expiresAt).toBe(expires);
  });

  it.each([
    ["a lifetime of 0", 0, 5_000],
    ["an Expires in the past", -3_600_000, 5_000],
    ["a lifetime of a day", 86_400_000, 1_800_000],
  ])("clamps %s to [5 s, 30 min]", async (_label, lifetimeMs, clampedMs) => {
    const time = fakeTime();
    const fetch = scriptedFetch([
      () =>
        Response.json(
          { url: SESSION },
          {
            status: 201,
            headers: {
              ETag: '"e0"',
              Date: httpDate(SERVER_NOW),
              Expires: httpDate(SERVER_NOW + lifetimeMs),
            },
          },
        ),
    ]);
    const session = await createV2024Rendezvous({
      runtime: testRuntime(fetch, { clock: time }),
      homeserverUrl: HOMESERVER,
      signal,
    });
    expect(session.expiresAt).toBe(LOCAL_START + clampedMs);
  });

  it("assumes Synapse's 60 s when a joined session says nothing", async () => {
    const fetch = scriptedFetch([() => new Response("", { status: 200, headers: { ETag: '"e0"' } })]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    expect(session.expiresAt).toBe(LOCAL_START + 60_000);
  });
});

describe("v2024 validators a proxy rewrote", () => {
  it("refuses a weak ETag at once", async () => {
    const fetch = scriptedFetch([content("", 'W/"e0"')]);
    const error = await rendezvousError(
      joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal }),
    );
    expect(error.code).toBe("proxy_interference");
    expect(error.reason).toBe("weak_etag");
  });

  it("refuses a 200 without an ETag", async () => {
    const fetch = scriptedFetch([() => new Response("", { status: 200 })]);
    expect(
      (await rendezvousError(joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal })))
        .reason,
    ).toBe("etag_missing");
  });

  it("names a full answer to If-None-Match that carries the very ETag we sent", async () => {
    const fetch = scriptedFetch([content("", '"e0"'), content("", '"e0"')]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    const error = await rendezvousError(session.receive({ signal, schedule: MACHINE_REPLY_DUE }));
    expect(error.reason).toBe("validator_ignored");
    expect(fetch.calls[1]?.headers.get("if-none-match")).toBe('"e0"');
  });

  it("names an ETag that changed while the content did not", async () => {
    const fetch = scriptedFetch([content("", '"e0"'), content("", '"e0-gzip"')]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    expect((await rendezvousError(session.receive({ signal, schedule: MACHINE_REPLY_DUE }))).reason).toBe(
      "etag_changed_without_write",
    );
  });

  it("names a 412 that reports our own If-Match as the current ETag", async () => {
    const fetch = scriptedFetch([content("", '"e0"'), matrixError(412, "M_UNKNOWN", sessionHeaders('"e0"'))]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    expect((await rendezvousError(session.send(() => "msg", { signal }))).reason).toBe("precondition_loop");
  });
});

describe("v2024 send", () => {
  it("puts the message with If-Match and adopts the new ETag", async () => {
    const fetch = scriptedFetch([content("", '"e0"'), accepted('"e1"')]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    await session.send(
      (aad) => {
        expect(aad).toBeUndefined();
        return "INITIATE";
      },
      { signal },
    );
    const put = fetch.calls[1];
    expect(put?.method).toBe("PUT");
    expect(put?.headers.get("if-match")).toBe('"e0"');
    expect(put?.headers.get("content-type")).toBe("text/plain");
    expect(new TextDecoder().decode(put?.body)).toBe("INITIATE");
    expect(session.etag).toBe('"e1"');
  });

  it("settles a retry after a 502 whose write had in fact landed (412, then our content is there)", async () => {
    const fetch = scriptedFetch([
      content("", '"e0"'),
      matrixError(502, "M_UNKNOWN"),
      matrixError(412, "M_UNKNOWN", sessionHeaders('"e1"')),
      content("INITIATE", '"e1"'),
    ]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    await session.send(() => "INITIATE", { signal });
    expect(session.etag).toBe('"e1"');
  });

  it("takes the peer's fast reply as the next message after a 502 whose write had landed (not a conflict)", async () => {
    // Our PUT landed but its answer was a 502; the peer read INITIATE and answered before our retry.
    const fetch = scriptedFetch([
      content("", '"e0"'),
      matrixError(502, "M_UNKNOWN"),
      matrixError(412, "M_UNKNOWN", sessionHeaders('"e2"')),
      content("LOGIN_OK", '"e2"'),
    ]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    await session.send(() => "INITIATE", { signal });
    expect(session.etag).toBe('"e2"');

    const calls = fetch.calls.length;
    expect(await session.receive({ signal, schedule: MACHINE_REPLY_DUE })).toEqual({
      data: "LOGIN_OK",
      aad: undefined,
    });
    expect(fetch.calls).toHaveLength(calls);
  });

  it("still reports someone else's write as a concurrent write when no attempt of ours may have landed", async () => {
    const fetch = scriptedFetch([
      content("", '"e0"'),
      matrixError(412, "M_UNKNOWN", sessionHeaders('"e9"')),
      content("INTRUDER", '"e9"'),
    ]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    expect((await rendezvousError(session.send(() => "INITIATE", { signal }))).code).toBe("concurrent_write");
  });

  it("calls the sealing callback once, however often the message is resent", async () => {
    const fetch = scriptedFetch([
      content("", '"e0"'),
      matrixError(503, "M_UNKNOWN"),
      matrixError(503, "M_UNKNOWN"),
      accepted('"e1"'),
    ]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    let sealed = 0;
    await session.send(() => `message ${++sealed}`, { signal });
    expect(sealed).toBe(1);
    expect(fetch.calls.slice(1).map((call) => new TextDecoder().decode(call.body))).toEqual([
      "message 1",
      "message 1",
      "message 1",
    ]);
  });

  it("resends a PUT that never reached the server (the content is unchanged)", async () => {
    const fetch = scriptedFetch([content("", '"e0"'), networkFailure, content("", '"e0"'), accepted('"e1"')]);
    const time = fakeTime();
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(fetch, { clock: time }),
      url: SESSION,
      signal,
    });
    await session.send(() => "INITIATE", { signal });
    expect(fetch.calls.map((call) => call.method)).toEqual(["GET", "PUT", "GET", "PUT"]);
    expect(session.etag).toBe('"e1"');
  });
});

describe("v2024 transient failures until the deadline", () => {
  it("waits as long as Retry-After says after a 429", async () => {
    const time = fakeTime();
    const fetch = scriptedFetch([
      content("", '"e0"'),
      () => new Response("slow down", { status: 429, headers: { "Retry-After": "3" } }),
      content("reply", '"e1"'),
    ]);
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(fetch, { clock: time }),
      url: SESSION,
      signal,
    });
    await session.receive({ signal, schedule: MACHINE_REPLY_DUE });
    expect(time.sleeps).toContain(3000);
  });

  it("throws network once retrying could not start before the session expires", async () => {
    const time = fakeTime();
    const failures = Array<Step>(50).fill(networkFailure);
    const fetch = scriptedFetch([content("", '"e0"'), ...failures]);
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(fetch, { clock: time }),
      url: SESSION,
      signal,
    });
    const error = await rendezvousError(session.receive({ signal, schedule: MACHINE_REPLY_DUE }));
    expect(error.code).toBe("network");
    expect(time.now()).toBeLessThan(session.expiresAt);
    // Backoff doubles from 500 ms and is capped at 5 s. (The wait left out is the schedule's first look, 25 ms after
    // the join; it was the 250 ms request spacing before the rate ceiling allowed a burst.)
    expect(time.sleeps.filter((ms) => ms !== 25).slice(0, 5)).toEqual([500, 1000, 2000, 4000, 5000]);
  });

  it("throws server_error after 5xx until the deadline, rate_limited after 429s", async () => {
    for (const [status, code] of [
      [503, "server_error"],
      [429, "rate_limited"],
    ] as const) {
      const fetch = scriptedFetch([
        content("", '"e0"'),
        ...Array<Step>(200).fill(matrixError(status, "M_X")),
      ]);
      const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
      const error = await rendezvousError(session.receive({ signal, schedule: MACHINE_REPLY_DUE }));
      expect(error.code).toBe(code);
      expect(error.status).toBe(status);
    }
  });

  it("reports a 404 on the session as expired", async () => {
    const fetch = scriptedFetch([content("", '"e0"'), matrixError(404, "M_NOT_FOUND")]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    expect((await rendezvousError(session.receive({ signal, schedule: MACHINE_REPLY_DUE }))).code).toBe(
      "expired",
    );
  });
});

/** A fetch that answers the join's first GET, then leaves every request hanging until its signal aborts. */
function hangingAfterJoin(): FetchFunction & { readonly calls: Call[] } {
  const calls: Call[] = [];
  const fetch: FetchFunction = (url, init) => {
    calls.push({
      url,
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: undefined,
      json: undefined,
    });
    if (calls.length === 1) return Promise.resolve(content("", '"e0"')(calls[0] as Call));
    return new Promise((_resolve, reject) => {
      init.signal?.addEventListener("abort", () => {
        reject(new DOMException("aborted", "AbortError"));
      });
    });
  };
  return Object.assign(fetch, { calls });
}

describe("v2024 deadlines on the runtime's clock (every request ends by the session's end)", () => {
  it("receive() against a server that never answers ends expired exactly at the session's end", async () => {
    const time = fakeTime();
    const fetch = hangingAfterJoin();
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(fetch, { clock: time }),
      url: SESSION,
      signal,
    });
    const error = await rendezvousError(session.receive({ signal, schedule: MACHINE_REPLY_DUE }));
    expect(error.code).toBe("expired");
    expect(time.now()).toBe(session.expiresAt);
    // Each GET was cut off after 15 s and retried with backoff; the last one at the session's end.
    expect(fetch.calls.map((call) => call.method)).toEqual(["GET", "GET", "GET", "GET", "GET"]);
  });

  it("send() against a server that never answers ends expired at the session's end", async () => {
    const time = fakeTime();
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(hangingAfterJoin(), { clock: time }),
      url: SESSION,
      requestTimeoutMs: 120_000,
      signal,
    });
    const error = await rendezvousError(session.send(() => "INITIATE", { signal }));
    expect(error.code).toBe("expired");
    expect(time.now()).toBe(session.expiresAt);
  });

  it("cancel()'s timeout runs on the runtime's clock, not on real timers", async () => {
    const time = fakeTime();
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(hangingAfterJoin(), { clock: time }),
      url: SESSION,
      signal,
    });
    const error = await rendezvousError(session.cancel({ timeoutMs: 30_000 }));
    expect(error.code).toBe("network");
    // 30 virtual seconds of DELETEs (cut off after 15 s, 500 ms backoff, the rest); the DELETE goes out at once, in
    // the burst the rate ceiling allows (it waited 250 ms for the request spacing before).
    expect(time.now()).toBe(LOCAL_START + 30_000);
  });

  it("cancel()'s timeout is virtual time: a DELETE that takes real time while the clock stands still completes", async () => {
    const time = fakeTime();
    // The clock is held while each request is under way (as for a real server), so no virtual time passes.
    const slowDelete = time.holding(async (url, init) => {
      if (init.method !== "DELETE") return content("", '"e0"')({} as Call);
      await new Promise((resolve) => setTimeout(resolve, 30));
      return new Response(null, { status: 204 });
    });
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(slowDelete, { clock: time }),
      url: SESSION,
      signal,
    });
    await expect(session.cancel({ timeoutMs: 1 })).resolves.toBeUndefined();
  });

  it("refuses a request timeout that is not a positive number (our own bug)", async () => {
    await expect(
      joinV2024Rendezvous({
        runtime: testRuntime(scriptedFetch([])),
        url: SESSION,
        requestTimeoutMs: 0,
        signal,
      }),
    ).rejects.toThrow(TypeError);
  });
});

describe("v2024 cancellation and misuse", () => {
  it("rethrows the signal's reason when aborted while waiting between polls, never a network error", async () => {
    const controller = new AbortController();
    const reason = new Error("user cancelled");
    let polls = 0;
    const fetch = scriptedFetch([
      content("", '"e0"'),
      ...Array<Step>(5).fill(() => {
        if (++polls === 3) controller.abort(reason);
        return new Response(null, { status: 304, headers: sessionHeaders('"e0"') });
      }),
    ]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    await expect(session.receive({ signal: controller.signal, schedule: MACHINE_REPLY_DUE })).rejects.toBe(
      reason,
    );
  });

  it("rethrows the signal's reason when aborted during a request", async () => {
    const controller = new AbortController();
    const reason = new Error("gone");
    const fetch = scriptedFetch([
      content("", '"e0"'),
      () => {
        controller.abort(reason);
        throw new DOMException("This operation was aborted", "AbortError");
      },
    ]);
    const entries: TranscriptEntry[] = [];
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(fetch, { transcript: (entry) => entries.push(entry) }),
      url: SESSION,
      signal,
    });
    await expect(session.send(() => "x", { signal: controller.signal })).rejects.toBe(reason);
    expect(entries.at(-1)).toMatchObject({ method: "PUT", error: "aborted" });
  });

  it("refuses overlapping operations and use after cancel as programming errors", async () => {
    const fetch = scriptedFetch([
      content("", '"e0"'),
      notModified('"e0"'),
      content("reply", '"e1"'),
      () => new Response(null, { status: 204 }),
    ]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    const receiving = session.receive({ signal, schedule: MACHINE_REPLY_DUE });
    await expect(session.send(() => "x", { signal })).rejects.toThrow(TypeError);
    await receiving;
    await session.cancel();
    await expect(session.receive({ signal, schedule: MACHINE_REPLY_DUE })).rejects.toThrow(TypeError);
  });

  it("cancel() still sends its DELETE after the flow's signal aborted, on a short timeout of its own", async () => {
    const flow = new AbortController();
    const fetch = scriptedFetch([content("", '"e0"'), () => new Response(null, { status: 204 })]);
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(fetch),
      url: SESSION,
      signal: flow.signal,
    });
    flow.abort(new Error("user cancelled"));
    await session.cancel();
    expect(fetch.calls.map((call) => call.method)).toEqual(["GET", "DELETE"]);
  });

  it("cancel() gives up with network when the DELETE hangs past its timeout", async () => {
    let deleteSignal: AbortSignal | undefined;
    const fetch: FetchFunction = (_url, init) => {
      if (init.method !== "DELETE") {
        return Promise.resolve(
          new Response("", {
            status: 200,
            headers: { ...sessionHeaders('"e0"'), "Content-Type": "text/plain" },
          }),
        );
      }
      deleteSignal = init.signal ?? undefined;
      return new Promise((_resolve, reject) => {
        init.signal?.addEventListener("abort", () => {
          reject(new DOMException("aborted", "AbortError"));
        });
      });
    };
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    const error = await rendezvousError(session.cancel({ timeoutMs: 50 }));
    expect(error.code).toBe("network");
    expect(deleteSignal?.aborted).toBe(true);
  });

  it("refuses send() while the peer's reply that arrived during a recovered write is unread", async () => {
    const fetch = scriptedFetch([
      content("", '"e0"'),
      matrixError(502, "M_UNKNOWN"),
      matrixError(412, "M_UNKNOWN", sessionHeaders('"e2"')),
      content("LOGIN_OK", '"e2"'),
    ]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    await session.send(() => "INITIATE", { signal });
    await expect(session.send(() => "NEXT", { signal })).rejects.toThrow(TypeError);
    expect((await session.receive({ signal, schedule: MACHINE_REPLY_DUE })).data).toBe("LOGIN_OK");
  });

  it("counts a 404 on DELETE as done: the session is gone either way", async () => {
    const fetch = scriptedFetch([content("", '"e0"'), matrixError(404, "M_NOT_FOUND")]);
    const session = await joinV2024Rendezvous({ runtime: testRuntime(fetch), url: SESSION, signal });
    await expect(session.cancel()).resolves.toBeUndefined();
  });
});

describe("v2024 transcript", () => {
  it("records one entry per request with path, status, sizes and ETag, never a payload", async () => {
    const entries: TranscriptEntry[] = [];
    const fetch = scriptedFetch([
      content("", '"e0"'),
      accepted('"e1"'),
      notModified('"e1"'),
      content("SECRET-REPLY", '"e2"'),
    ]);
    const session = await joinV2024Rendezvous({
      runtime: testRuntime(fetch, { transcript: (entry) => entries.push(entry) }),
      url: `${SESSION}?access_token=never-logged`,
      signal,
    });
    await session.send(() => "SECRET-MESSAGE", { signal });
    await session.receive({ signal, schedule: MACHINE_REPLY_DUE });

    expect(entries).toHaveLength(fetch.calls.length);
    expect(
      entries.map((entry) => (entry.kind === "http" ? [entry.method, entry.status, entry.etag] : [])),
    ).toEqual([
      ["GET", 200, '"e0"'],
      ["PUT", 202, '"e1"'],
      ["GET", 304, '"e1"'],
      ["GET", 200, '"e2"'],
    ]);
    expect(entries[1]).toMatchObject({
      requestBytes: "SECRET-MESSAGE".length,
      path: new URL(SESSION).pathname,
    });
    expect(entries[3]).toMatchObject({ responseBytes: "SECRET-REPLY".length });
    const text = JSON.stringify(entries);
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("never-logged");
  });
});
