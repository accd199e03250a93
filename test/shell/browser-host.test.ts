// The browser host, in process, on a test engine: who may fetch the page and open the WebSocket (Host, Origin,
// token), the contract's refusals over the WebSocket for generated wrong messages, the built renderer driven in
// Chromium through it (the same CSP, the bridge found from #token=, the token gone from the address), a URL the
// engine wants opened arriving as a button the user clicks, and two profiles served side by side.
import { request as httpRequest, createServer, type Server } from "node:http";
import { join } from "node:path";
import fc from "fast-check";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  BRIDGE_PATH,
  BRIDGE_SUBPROTOCOL,
  COMMAND_NAMES,
  COMMANDS,
  tokenSubprotocol,
  type CommandName,
} from "../../src-shared/contract";
import { TestEngine } from "../../src-main/engine/test-engine.testing";
import { RENDERER_CSP } from "../../src-main/hosts/csp";
import { openUrlThroughPage, startBrowserHost, type BrowserHost } from "../../src-main/hosts/browser/server";
import { t } from "../../src-renderer/copy/format";
import { buildRenderer, watchedPage } from "../../e2e/renderer-page";
import { useChromium } from "../helpers/chromium";
import { invalid, oversize, unknownName } from "./contract-arbitraries";
import { ROOT } from "./electron-build";

const RENDERER = join(ROOT, "out", "shell-test", "browser-renderer");
const browser = useChromium();
const started: { host: BrowserHost; engine: TestEngine }[] = [];

beforeAll(async () => {
  await buildRenderer(RENDERER);
}, 120_000);

afterEach(async () => {
  await Promise.all(started.splice(0).map(({ host }) => host.close()));
});

async function serve(
  profile = "default",
  allowLoopbackHttp = false,
): Promise<{ host: BrowserHost; engine: TestEngine }> {
  const server: { host?: BrowserHost } = {};
  const engine = new TestEngine({
    profile,
    openUrl: openUrlThroughPage(() => server.host, allowLoopbackHttp),
  });
  const host = await startBrowserHost({ rendererDir: RENDERER, engine });
  server.host = host;
  const served = { host, engine };
  started.push(served);
  return served;
}

/** What the host's bridge puts on the page's window. */
interface PageWindow {
  matrixQrLogin?: {
    host?: string;
    commands?: Record<string, ((request: unknown) => Promise<unknown>) | undefined>;
  };
}

/** The signed-out welcome screen, which shows only once the engine answered `account.get`. */
async function welcome(page: Page): Promise<void> {
  await page.getByRole("button", { name: t("welcome.signIn") }).waitFor();
}

function tokenOf(host: BrowserHost): string {
  return new URL(host.url).hash.replace("#token=", "");
}

/** A raw HTTP GET with the exact path and Host header given. */
function get(
  port: number,
  path: string,
  hostHeader: string,
): Promise<{ status: number; csp: unknown; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers: { Host: hostHeader } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, csp: res.headers["content-security-policy"], body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

interface SocketTry {
  readonly token?: string | undefined;
  readonly origin?: string | undefined;
  readonly hostHeader?: string;
  readonly path?: string;
  readonly protocols?: string[];
}

/** Opens the bridge as a client would; resolves with the open socket or the HTTP status it was refused with. */
function connect(host: BrowserHost, attempt: SocketTry = {}): Promise<WebSocket | number> {
  const token = "token" in attempt ? attempt.token : tokenOf(host);
  const protocols = attempt.protocols ?? [
    BRIDGE_SUBPROTOCOL,
    ...(token === undefined ? [] : [tokenSubprotocol(token)]),
  ];
  const origin = "origin" in attempt ? attempt.origin : host.origin;
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}${attempt.path ?? BRIDGE_PATH}`, protocols, {
    headers: {
      ...(origin === undefined ? {} : { Origin: origin }),
      ...(attempt.hostHeader === undefined ? {} : { Host: attempt.hostHeader }),
    },
  });
  return new Promise((resolve, reject) => {
    ws.once("open", () => {
      resolve(ws);
    });
    ws.once("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.once("error", reject);
  });
}

function rawText(data: WebSocket.RawData): string {
  return (
    Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
  ).toString("utf8");
}

/** Sends frames and collects the answers, one per frame, in order. */
async function exchange(ws: WebSocket, frames: readonly (string | Buffer)[]): Promise<unknown[]> {
  const answers: unknown[] = [];
  const done = new Promise<void>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(rawText(data)) as { type: string };
      if (frame.type === "event") return;
      answers.push(frame);
      if (answers.length === frames.length) {
        ws.off("message", onMessage);
        resolve();
      }
    };
    ws.on("message", onMessage);
  });
  for (const frame of frames) ws.send(frame);
  await done;
  return answers;
}

describe("the browser host's door", () => {
  it("serves the renderer with the app's CSP to its own Host only, and nothing outside the build", async () => {
    const { host } = await serve();
    const own = `127.0.0.1:${host.port}`;
    const page = await get(host.port, "/", own);
    expect([page.status, page.csp]).toEqual([200, RENDERER_CSP]);
    expect(page.body).toContain('<div id="root">');
    // A DNS name rebound to 127.0.0.1 carries its own name in Host: refused.
    for (const foreign of [
      "evil.example",
      `evil.example:${host.port}`,
      `localhost:${host.port}`,
      "127.0.0.1",
      `127.0.0.1:${host.port + 1}`,
    ]) {
      expect.soft((await get(host.port, "/", foreign)).status, foreign).toBe(403);
    }
    for (const path of [
      "/../package.json",
      "/%2e%2e/package.json",
      "/assets/..%2f..%2fpackage.json",
      "//etc/passwd",
      "/%2fetc%2fpasswd",
      "/..%5cpackage.json",
      "/nothing.js",
    ]) {
      const answer = await get(host.port, path, own);
      expect.soft(answer.status, path).toBe(404);
      expect.soft(answer.csp, path).toBe(RENDERER_CSP);
    }
  });

  it("opens the WebSocket only with the token, the page's Origin and its Host", async () => {
    const { host, engine } = await serve();
    const other = await serve("other");
    const wrongToken = tokenOf(other.host);
    expect(await connect(host, { token: undefined })).toBe(403);
    expect(await connect(host, { token: wrongToken })).toBe(403);
    expect(await connect(host, { token: tokenOf(host).replace(/^./, (c) => (c === "A" ? "B" : "A")) })).toBe(
      403,
    );
    expect(
      await connect(host, {
        protocols: [BRIDGE_SUBPROTOCOL, tokenSubprotocol(tokenOf(host)), tokenSubprotocol(wrongToken)],
      }),
    ).toBe(403);
    expect(await connect(host, { protocols: [tokenSubprotocol(tokenOf(host))] })).toBe(403);
    expect(await connect(host, { origin: undefined })).toBe(403);
    expect(await connect(host, { origin: "https://evil.example" })).toBe(403);
    expect(await connect(host, { origin: `http://localhost:${host.port}` })).toBe(403);
    expect(await connect(host, { origin: other.host.origin })).toBe(403);
    expect(await connect(host, { hostHeader: `evil.example:${host.port}` })).toBe(403);
    expect(await connect(host, { path: "/elsewhere" })).toBe(404);
    expect(engine.received).toEqual([]);

    const ws = await connect(host);
    if (typeof ws === "number") throw new Error(`refused with ${ws}`);
    expect(ws.protocol).toBe(BRIDGE_SUBPROTOCOL);
    const [answer] = await exchange(ws, [
      JSON.stringify({ type: "invoke", id: 1, name: "account.get", request: {} }),
    ]);
    expect(answer).toEqual({ type: "result", id: 1, outcome: { ok: true, value: engine.account } });
    ws.close();
  });

  it("refuses every wrong message with a typed answer, and the engine never sees one", async () => {
    const { host, engine } = await serve();
    const ws = await connect(host);
    if (typeof ws === "number") throw new Error(`refused with ${ws}`);
    const name = fc.constantFrom(...COMMAND_NAMES);
    await fc.assert(
      fc.asyncProperty(
        name.chain((command: CommandName) =>
          fc.tuple(
            fc.constant(command),
            fc.oneof(invalid(COMMANDS[command].request), oversize(COMMANDS[command].request)),
          ),
        ),
        unknownName,
        async ([command, payload], unknown) => {
          const answers = await exchange(ws, [
            JSON.stringify({ type: "invoke", id: 1, name: command, request: payload }),
            JSON.stringify({ type: "invoke", id: 2, name: unknown, request: {} }),
          ]);
          const [first, second] = answers as { outcome: { contractError: { code: string } } }[];
          expect(["invalid_request", "too_large"]).toContain(first?.outcome.contractError.code);
          expect(second).toMatchObject({
            id: 2,
            outcome: { ok: false, contractError: { code: "unknown_command" } },
          });
        },
      ),
      { numRuns: 40 },
    );
    const oddities = await exchange(ws, [
      "not json",
      JSON.stringify({ type: "invoke", id: 5, name: "account.get", request: {}, extra: 1 }),
      JSON.stringify({ type: "hello" }),
      Buffer.from([1, 2, 3]),
      "x".repeat(5 * 1024 * 1024 + 1),
    ]);
    expect(oddities).toEqual([
      { type: "refused", error: expect.objectContaining({ code: "invalid_request" }) as unknown },
      {
        type: "result",
        id: 5,
        outcome: {
          ok: false,
          contractError: expect.objectContaining({ code: "invalid_request" }) as unknown,
        },
      },
      { type: "refused", error: expect.objectContaining({ code: "invalid_request" }) as unknown },
      { type: "refused", error: expect.objectContaining({ code: "invalid_request" }) as unknown },
      { type: "refused", error: expect.objectContaining({ code: "too_large" }) as unknown },
    ]);
    expect(engine.received).toEqual([]);
    ws.close();
  });
});

describe("the app in the browser through the host", () => {
  let target: Server | undefined;
  afterAll(async () => {
    await new Promise((resolve) => target?.close(resolve));
  });

  it("runs on the host's engine with the app's CSP, and takes the token out of the address", async (ctx) => {
    const context = await browser.newContext(ctx);
    const { host, engine } = await serve("alice");
    const { page, problems } = await watchedPage(context);
    await page.goto(host.url);
    await welcome(page);
    expect(engine.received.map((item) => item.name)).toContain("account.get");
    expect(page.url()).toBe(`${host.origin}/`);
    expect(await page.evaluate(() => (window as unknown as PageWindow).matrixQrLogin?.host)).toBe("browser");
    // The page has no fake engine behind it.
    expect(await page.evaluate(() => "matrixQrLoginPreview" in window)).toBe(false);
    // A reload keeps working: the token stays in this tab's session storage.
    await page.reload();
    await welcome(page);
    expect(engine.received.filter((item) => item.name === "account.get")).toHaveLength(2);
    expect(await problems()).toEqual([]);
  });

  it("asks the page to open a URL the engine wants opened, from the user's click", async (ctx) => {
    target = createServer((_request, response) => {
      response.writeHead(200, { "Content-Type": "text/html" }).end("<title>consent</title>");
    });
    await new Promise<void>((resolve) => target?.listen(0, "127.0.0.1", resolve));
    const address = target.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const consent = `http://127.0.0.1:${address.port}/consent?device=NEWDEVICE`;

    const context = await browser.newContext(ctx);
    const { host, engine } = await serve("alice", true);
    const { page, problems } = await watchedPage(context);
    await page.goto(host.url);
    await welcome(page);
    engine.showPhase({
      phase: "consent",
      role: "existing_device",
      side: "generator",
      version: "v2024",
      verificationUri: consent,
      host: `127.0.0.1:${address.port}`,
      deviceId: "NEWDEVICE",
      accepts: ["openConsentAgain", "cancel"],
    });
    await page.getByRole("heading", { level: 1, name: t("phase.consent.title") }).waitFor();

    // The engine opens it (as a flow's consent step or `app.openExternal` would): the host cannot, the page offers it.
    const opened = await page.evaluate(async (url) => {
      return (window as unknown as PageWindow).matrixQrLogin?.commands?.["app.openExternal"]?.({ url });
    }, consent);
    expect(opened).toEqual({ ok: true, value: { ok: true } });
    expect(engine.opened).toEqual([{ url: consent, result: "needs_user" }]);
    const newPage = context.waitForEvent("page");
    await page
      .getByRole("button", { name: t("phase.consent.open", { host: `127.0.0.1:${address.port}` }) })
      .click();
    const popup = await newPage;
    await popup.waitForLoadState();
    expect(popup.url()).toBe(consent);

    // Nothing but https (and, here, http to this machine) is ever offered.
    const refused = await page.evaluate(async () => {
      return (window as unknown as PageWindow).matrixQrLogin?.commands?.["app.openExternal"]?.({
        url: "javascript:alert(1)",
      });
    });
    expect(refused).toMatchObject({ ok: false, error: { code: "internal_error" } });
    expect(await problems()).toEqual([]);
  });

  it("serves two profiles at once, each with its own engine and token", async (ctx) => {
    const context = await browser.newContext(ctx);
    const alice = await serve("alice");
    const bob = await serve("bob");
    expect(alice.host.port).not.toBe(bob.host.port);
    expect(tokenOf(alice.host)).not.toBe(tokenOf(bob.host));
    for (const { host } of [alice, bob]) {
      expect(`browser host ready at ${host.url}`).toMatch(
        /^browser host ready at http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/,
      );
    }
    const pageA = await context.newPage();
    const pageB = await context.newPage();
    await pageA.goto(alice.host.url);
    await pageB.goto(bob.host.url);
    for (const page of [pageA, pageB]) await welcome(page);
    expect(alice.engine.received.map((item) => item.name)).toContain("account.get");
    expect(bob.engine.received.map((item) => item.name)).toContain("account.get");
    // Alice's page with Bob's token in its address: Bob's host refuses the socket (the Origin is Alice's).
    const crossed = await context.newPage();
    await crossed.goto(`${alice.host.origin}/#token=${tokenOf(bob.host)}`);
    await crossed.getByText(t("app.engineFailed")).waitFor();
    expect(alice.engine.received.filter((item) => item.name === "account.get")).toHaveLength(1);
  });
});
