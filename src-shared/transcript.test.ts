import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createTranscript,
  fingerprint,
  httpEntry,
  messageEntry,
  stepEntry,
  transcriptText,
  withoutUrlQueries,
  type Transcript,
  type TranscriptEntry,
} from "./transcript";

const TOKEN = "syt_YWxpY2U_SECRETtoken_0xDEADBEEF";
const CODE = "AUTHCODE_9f8e7d";
const PASSWORD = "hunter2pw";
const LEAKS = [TOKEN, CODE, PASSWORD];

/** Every way a transcript gives its content away. */
function allOutputs(transcript: Transcript, seen: readonly TranscriptEntry[]): string {
  return [
    JSON.stringify(transcript.list()),
    transcript.toMarkdown(),
    JSON.stringify(transcript.toJSON()),
    JSON.stringify(transcript),
    JSON.stringify(seen),
  ].join("\n");
}

describe("httpEntry", () => {
  it("keeps the host and path of the URL and drops query, fragment and user info", () => {
    const entry = httpEntry({
      layer: "matrix",
      method: "get",
      url: `https://alice:${PASSWORD}@hs.example:8448/_matrix/client/v3/devices/ABC%2B1?access_token=${TOKEN}#code=${CODE}`,
      status: 404,
      time: 1,
    });
    expect(entry).toStrictEqual({
      kind: "http",
      time: 1,
      layer: "matrix",
      method: "GET",
      host: "hs.example:8448",
      path: "/_matrix/client/v3/devices/ABC%2B1",
      status: 404,
    });
  });

  it("accepts a URL object and a relative URL", () => {
    const fromObject = httpEntry({
      layer: "oauth",
      method: "POST",
      url: new URL(`https://auth.example/token?code=${CODE}`),
    });
    expect(fromObject.path).toBe("/token");
    const relative = httpEntry({
      layer: "oauth",
      method: "GET",
      url: `/link?code=${CODE}#access_token=${TOKEN}`,
    });
    expect(relative.path).toBe("/link");
    expect(relative.host).toBeUndefined();
  });

  it("keeps ETags, sequence tokens and sizes, which are not secrets", () => {
    const entry = httpEntry({
      layer: "rendezvous",
      method: "PUT",
      url: "https://hs.example/_synapse/client/rendezvous/01HX9K00Q1H6KPD47EG4G1T3XG",
      status: 202,
      requestBytes: 120,
      responseBytes: 0,
      etag: '"Xy1"',
      sequenceToken: "tok-2",
      time: 5,
    });
    expect(entry).toMatchObject({
      etag: '"Xy1"',
      sequenceToken: "tok-2",
      requestBytes: 120,
      responseBytes: 0,
    });
  });

  it("drops values that cannot be a status or a size, and strips URLs inside the error text", () => {
    const entry = httpEntry({
      layer: "oauth",
      method: "POST",
      url: "https://auth.example/oauth2/token",
      status: 42,
      requestBytes: -1,
      error: `fetch https://auth.example/cb?code=${CODE} failed: Bearer ${TOKEN}`,
    });
    expect(entry.status).toBeUndefined();
    expect(entry.requestBytes).toBeUndefined();
    expect(entry.error).toBe("fetch https://auth.example/cb failed: Bearer [redacted]");
  });
});

describe("messageEntry and stepEntry", () => {
  it("a message entry carries the type and field names only", () => {
    const entry = messageEntry({
      direction: "sent",
      messageType: "m.login.secrets",
      fields: ["cross_signing.master_key", "backup.key", "master_key=MdXbVoda8OfldE3rth25Lo8L", "a b"],
      time: 3,
    });
    expect(entry).toStrictEqual({
      kind: "message",
      time: 3,
      layer: "channel",
      direction: "sent",
      messageType: "m.login.secrets",
      fields: ["cross_signing.master_key", "backup.key"],
    });
  });

  it("a step's detail loses URL queries and secrets", () => {
    const entry = stepEntry({
      layer: "flow",
      name: "open consent page",
      detail: `https://auth.example/link?user_code=ABCDEF and /device?code=${CODE}`,
      time: 9,
    });
    expect(entry.detail).toBe("https://auth.example/link and /device");
  });
});

describe("fingerprint", () => {
  it("is the first 8 characters of the key's unpadded base64 (the MSC4108 example key 2IZoarIZe3gO…)", () => {
    const hex = "d886686ab2197b780e300a9d4a2147480700d7929f39ab31b9e514370248ed6b";
    const key = Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16));
    expect(fingerprint(key)).toBe("2IZoarIZ");
  });

  it("uses the standard alphabet (+ and /), not the URL-safe one", () => {
    expect(fingerprint(Uint8Array.of(0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff, 0x00))).toBe("++++////");
  });

  it("is the whole unpadded encoding of a key shorter than 6 bytes", () => {
    expect(fingerprint(Uint8Array.of(0xfb, 0xff))).toBe("+/8");
  });
});

describe("createTranscript", () => {
  it("appends, lists, notifies subscribers until they unsubscribe", () => {
    const transcript = createTranscript();
    const seen: TranscriptEntry[] = [];
    const unsubscribe = transcript.subscribe((entry) => seen.push(entry));
    transcript.sink(stepEntry({ layer: "flow", name: "showing QR", time: 0 }));
    unsubscribe();
    transcript.append(stepEntry({ layer: "flow", name: "scanned", time: 1 }));
    expect(transcript.list().map((entry) => (entry.kind === "step" ? entry.name : ""))).toStrictEqual([
      "showing QR",
      "scanned",
    ]);
    expect(seen).toHaveLength(1);
  });

  it("writes numbered Markdown with times relative to the first entry", () => {
    const transcript = createTranscript();
    transcript.append(
      httpEntry({
        layer: "rendezvous",
        method: "POST",
        url: "https://hs.example/_matrix/client/unstable/org.matrix.msc4108/rendezvous",
        status: 201,
        etag: '"e1"',
        time: 1_000,
      }),
    );
    transcript.append(
      messageEntry({
        direction: "received",
        messageType: "m.login.protocols",
        fields: ["protocols", "homeserver"],
        time: 1_500,
      }),
    );
    transcript.append(stepEntry({ layer: "flow", name: "check code confirmed", time: 2_250 }));
    expect(transcript.toMarkdown()).toBe(
      [
        "# Sign-in transcript",
        "",
        '1. +0.000 s · **rendezvous** · POST `hs.example/_matrix/client/unstable/org.matrix.msc4108/rendezvous` → 201 · ETag `"e1"`',
        "2. +0.500 s · **channel** · received `m.login.protocols` (protocols, homeserver)",
        "3. +1.250 s · **flow** · check code confirmed",
        "",
      ].join("\n"),
    );
  });

  it("says so when empty, and exports the entries as JSON", () => {
    const transcript = createTranscript();
    expect(transcript.toMarkdown()).toContain("_No entries._");
    transcript.append(stepEntry({ layer: "oauth", name: "registered client", time: 7 }));
    expect(JSON.parse(JSON.stringify(transcript))).toStrictEqual([
      { kind: "step", time: 7, layer: "oauth", name: "registered client" },
    ]);
  });

  it("drops the oldest entries beyond its limit", () => {
    const transcript = createTranscript({ limit: 2 });
    for (const name of ["a", "b", "c"]) transcript.append(stepEntry({ layer: "flow", name, time: 0 }));
    expect(transcript.list().map((entry) => (entry.kind === "step" ? entry.name : ""))).toStrictEqual([
      "b",
      "c",
    ]);
  });

  it("a throwing subscriber neither stops the others nor the reporting layer", () => {
    const errors: unknown[] = [];
    const transcript = createTranscript({ onListenerError: (error) => errors.push(error) });
    const seen: TranscriptEntry[] = [];
    transcript.subscribe(() => {
      throw new Error("view crashed");
    });
    transcript.subscribe((entry) => seen.push(entry));
    expect(() => {
      transcript.append(stepEntry({ layer: "flow", name: "x" }));
    }).not.toThrow();
    expect(seen).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it("a URL with ?access_token=… or #code=… never appears in any output, however the entry was built", () => {
    const transcript = createTranscript();
    const seen: TranscriptEntry[] = [];
    transcript.subscribe((entry) => seen.push(entry));
    const leakyUrl = `https://alice:${PASSWORD}@hs.example/_matrix/client/v3/sync?access_token=${TOKEN}#code=${CODE}`;
    transcript.append(
      httpEntry({ layer: "matrix", method: "GET", url: leakyUrl, error: `retrying ${leakyUrl}`, time: 0 }),
    );
    transcript.append(
      stepEntry({ layer: "oauth", name: `opened ${leakyUrl}`, detail: `callback /cb#code=${CODE}`, time: 0 }),
    );
    transcript.append(
      messageEntry({ direction: "sent", messageType: `m.login.x?access_token=${TOKEN}`, time: 0 }),
    );
    // Built by hand (or arriving over IPC), bypassing the constructors:
    transcript.append({
      kind: "http",
      time: 1,
      layer: "oauth",
      method: "GET",
      path: `/cb?code=${CODE}`,
      host: `alice:${PASSWORD}@auth.example`,
    });
    transcript.append({ kind: "http", time: 2, layer: "oauth", method: "GET", path: leakyUrl });
    transcript.append({ kind: "step", time: 3, layer: "flow", name: "x", detail: `see ${leakyUrl}` });
    const output = allOutputs(transcript, seen);
    for (const leak of LEAKS) expect(output).not.toContain(leak);
    expect(output).toContain("/_matrix/client/v3/sync");
    expect(output).toContain("auth.example");
  });
});

describe("transcript text under random URLs", () => {
  it("never keeps a secret parameter appended to any URL", () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.constantFrom("?access_token=", "&access_token=", "#code=", "?code=", "#access_token="),
        (url, parameter) => {
          const leaky = `${url}${parameter}${TOKEN}`;
          expect(transcriptText(`GET ${leaky} failed`)).not.toContain(TOKEN);
          expect(JSON.stringify(httpEntry({ layer: "matrix", method: "GET", url: leaky }))).not.toContain(
            TOKEN,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

// Adversarial review finding 2, the transcript's half: its two URL patterns scanned a path or a scheme again from
// every ":", "=" or word boundary inside it (quadratic), on text of any length. A megabyte of each shape is read
// without a bound here; a quadratic pattern would take tens of minutes (the vitest timeout is the only clock).
describe("transcript text under adversarial input (linear time, bounded output)", () => {
  const MEGABYTE = 1024 * 1024;
  const SHAPES = [":/", "=/", "http://", "a.", "a-", "/?", "(/", "x://y/"];
  const TAIL = ` https://hs.example/cb?code=${CODE}&x=1 /relative?access_token=${TOKEN}`;

  it.each(SHAPES)(
    "withoutUrlQueries reads a megabyte of %j once and still strips the queries after it",
    { timeout: 5_000 },
    (shape) => {
      const body = shape.repeat(Math.ceil(MEGABYTE / shape.length));
      const out = withoutUrlQueries(`${body}${TAIL}`);
      for (const leak of [CODE, TOKEN]) expect(out).not.toContain(leak);
      expect(out.endsWith(" https://hs.example/cb /relative")).toBe(true);
    },
  );

  it.each(SHAPES)(
    "transcriptText of a megabyte of %j is at most 300 characters and marks the cut",
    (shape) => {
      const out = transcriptText(`see ${shape.repeat(Math.ceil(MEGABYTE / shape.length))}${TAIL}`);
      expect(out.length).toBeLessThanOrEqual(301);
      expect(out.endsWith("…")).toBe(true);
      for (const leak of LEAKS) expect(out).not.toContain(leak);
    },
  );

  it("an HTTP entry for a megabyte-long rendezvous URL keeps a bounded path, the host, and no query", () => {
    const url = `https://hs.example/_synapse/client/rendezvous/${"a.".repeat(MEGABYTE / 2)}?access_token=${TOKEN}`;
    const entry = httpEntry({ layer: "rendezvous", method: "GET", url, time: 0 });
    expect(entry.host).toBe("hs.example");
    expect(entry.path.length).toBe(513);
    expect(entry.path.startsWith("/_synapse/client/rendezvous/a.a.")).toBe(true);
    expect(entry.path.endsWith("…")).toBe(true);
    expect(JSON.stringify(entry)).not.toContain(TOKEN);
  });
});
