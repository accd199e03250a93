// Every request has a deadline of its own, never later than the session's end, on the runtime's clock: a server
// that sends its headers and then holds the body back, or trickles it a byte at a time, cannot keep a receive(), a
// send() or a join pending past the session's end (only the caller's signal could end it before). The server here
// is a real node:http server that does exactly that; the client runs on the real clock, moved forward by hand to
// just before the session's end, so that no test waits more than a fraction of a second.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { TranscriptEntry } from "../../src-shared/transcript";
import {
  MACHINE_REPLY_DUE,
  V2024_CREATE_PATH,
  createRuntime,
  createV2024Rendezvous,
  joinV2024Rendezvous,
  realSleep,
  rendezvousError,
} from "../../src-main/protocol/testing";

const TRICKLE_EVERY_MS = 50;
const LIFETIME_MS = 60_000;
/** How much of the session is left when the held-back request starts (real milliseconds the test waits). */
const LEFT_MS = 400;

interface HeldAnswer {
  /** Body bytes the server had trickled when the client hung up. */
  readonly bytesSent: number;
  /** Whether the server ever finished the body (it never should). */
  readonly ended: boolean;
}

/**
 * A v2024 rendezvous server that creates and reads sessions properly, except that a GET with `If-None-Match`
 * (a poll; with `holdEveryRead`, any GET) gets its headers at once and then one body byte every
 * TRICKLE_EVERY_MS, forever, and a PUT is never answered at all. `held` says what the client saw of each held
 * answer by the time it hung up.
 */
class TricklingServer {
  readonly held: Promise<HeldAnswer>[] = [];
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly holdEveryRead: boolean) {
    this.server = createServer((req, res) => {
      this.answer(req, res);
    });
  }

  static async start(options: { holdEveryRead?: boolean } = {}): Promise<TricklingServer> {
    const trickling = new TricklingServer(options.holdEveryRead === true);
    await new Promise<void>((resolve) => trickling.server.listen(0, "127.0.0.1", resolve));
    return trickling;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  private sessionHeaders(etag: string): Record<string, string> {
    const now = Date.now();
    return {
      ETag: etag,
      Date: new Date(now).toUTCString(),
      Expires: new Date(now + LIFETIME_MS).toUTCString(),
      "Content-Type": "text/plain",
    };
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (req.method === "POST" && req.url === V2024_CREATE_PATH) {
      res.writeHead(201, { ...this.sessionHeaders('"e0"'), "Content-Type": "application/json" });
      res.end(JSON.stringify({ url: `${this.baseUrl}/_synapse/client/rendezvous/HELD` }));
      return;
    }
    if (req.method === "GET" && req.headers["if-none-match"] === undefined && !this.holdEveryRead) {
      res.writeHead(200, this.sessionHeaders('"e0"'));
      res.end("");
      return;
    }
    if (req.method === "GET") {
      res.writeHead(200, this.sessionHeaders('"e1"'));
      res.flushHeaders();
      this.hold(res, true);
      return;
    }
    if (req.method === "PUT") {
      this.hold(res, false);
      return;
    }
    res.writeHead(404).end();
  }

  private hold(res: ServerResponse, trickle: boolean): void {
    let bytesSent = 0;
    const timer = setInterval(() => {
      if (!trickle) return;
      res.write("x");
      bytesSent++;
    }, TRICKLE_EVERY_MS);
    this.timers.add(timer);
    this.held.push(
      new Promise((resolve) => {
        res.once("close", () => {
          clearInterval(timer);
          this.timers.delete(timer);
          resolve({ bytesSent, ended: res.writableEnded });
        });
      }),
    );
  }
}

/** The real clock, moved forward by `skip()` without waiting: to just before the session's end. */
function skippingClock(): { now: () => number; skipTo: (time: number) => void } {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    skipTo: (time) => {
      offset += time - (Date.now() + offset);
    },
  };
}

let server: TricklingServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function openSession(options: { requestTimeoutMs?: number } = {}) {
  server = await TricklingServer.start();
  const clock = skippingClock();
  const transcript: TranscriptEntry[] = [];
  const runtime = createRuntime({
    now: clock.now,
    sleep: realSleep,
    transcript: (entry) => transcript.push(entry),
  });
  const session = await createV2024Rendezvous({
    runtime,
    homeserverUrl: server.baseUrl,
    allowInsecureHttp: true,
    backoff: { initialMs: 20, maxMs: 20 },
    ...options,
    signal: new AbortController().signal,
  });
  return { session, clock, transcript, server };
}

describe("a server that sends headers and then holds the body back", () => {
  it("cannot keep receive() past the session's end: it rejects expired there, with the body still trickling", async () => {
    const { session, clock, transcript, server } = await openSession();
    clock.skipTo(session.expiresAt - LEFT_MS);

    const error = await rendezvousError(
      session.receive({ signal: new AbortController().signal, schedule: MACHINE_REPLY_DUE }),
    );
    expect(error.code).toBe("expired");
    // The client hung up on an answer that had begun and was never finished.
    const [held] = await Promise.all(server.held);
    expect(held?.ended).toBe(false);
    expect(held?.bytesSent).toBeGreaterThanOrEqual(1);
    expect(transcript.at(-1)).toMatchObject({
      method: "GET",
      error: "GET: the rendezvous session ended before the server's answer was complete",
    });
  });

  it("cuts off each trickled answer after requestTimeoutMs (network) and polls again, well before the end", async () => {
    const { session, transcript, server } = await openSession({ requestTimeoutMs: 150 });
    const flow = new AbortController();
    const receiving = session.receive({ signal: flow.signal, schedule: MACHINE_REPLY_DUE });
    // Two polls cut off by their own deadline, then the user cancels.
    while (server.held.length < 2) await realSleep(TRICKLE_EVERY_MS, new AbortController().signal);
    await Promise.all(server.held.slice(0, 2));
    const reason = new Error("user cancelled");
    flow.abort(reason);
    await expect(receiving).rejects.toBe(reason);

    const polls = transcript.filter((entry) => entry.kind === "http" && entry.method === "GET");
    expect(polls.slice(0, 2)).toEqual([
      expect.objectContaining({ error: "GET: no complete answer within 150 ms" }),
      expect.objectContaining({ error: "GET: no complete answer within 150 ms" }),
    ]);
    const held = await Promise.all(server.held);
    expect(held.every((answer) => !answer.ended && answer.bytesSent >= 1)).toBe(true);
  });
});

describe("a server that never answers a write", () => {
  it("cannot keep send() past the session's end: it rejects expired there", async () => {
    const { session, clock } = await openSession();
    clock.skipTo(session.expiresAt - LEFT_MS);
    const error = await rendezvousError(
      session.send(() => "INITIATE", { signal: new AbortController().signal }),
    );
    expect(error.code).toBe("expired");
    expect(await Promise.all(server?.held ?? [])).toEqual([{ bytesSent: 0, ended: false }]);
  });
});

describe("a server that never answers a join", () => {
  it("cannot keep the join past its retry window: each read is cut off, and the join fails network", async () => {
    server = await TricklingServer.start({ holdEveryRead: true });
    const transcript: TranscriptEntry[] = [];
    const runtime = createRuntime({ sleep: realSleep, transcript: (entry) => transcript.push(entry) });
    const joining = joinV2024Rendezvous({
      runtime,
      url: `${server.baseUrl}/_synapse/client/rendezvous/HELD`,
      allowInsecureHttp: true,
      retryWindowMs: 300,
      requestTimeoutMs: 100,
      backoff: { initialMs: 20, maxMs: 20 },
      signal: new AbortController().signal,
    });
    const error = await rendezvousError(joining);
    expect(error.code).toBe("network");
    expect(transcript.length).toBeGreaterThanOrEqual(2);
    expect(
      transcript.every((entry) => entry.kind === "http" && entry.error?.startsWith("GET: no complete")),
    ).toBe(true);
    const held = await Promise.all(server.held);
    expect(held.every((answer) => !answer.ended)).toBe(true);
  });
});
