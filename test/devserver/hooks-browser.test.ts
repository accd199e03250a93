// The test hooks against a web page in real Chromium: a page served from another origin (another port on this
// machine, as any local web app would be) can neither read `/_devserver/*` nor act through it, while it can still
// read the Matrix API, which keeps Synapse's CORS. Adversarial review finding 5; hooks.test.ts checks each rule
// over plain HTTP. Skips, saying how to install it, where Chromium is missing.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevserver, type Devserver } from "../../devserver/index";
import { useChromium } from "../helpers/chromium";

const browser = useChromium();

let devserver: Devserver;
/** An unrelated local web server: the page it serves has an origin of its own. */
let otherSite: Server;
let otherOrigin: string;

beforeAll(async () => {
  devserver = await startDevserver({ testHooks: true, users: ["alice:secret"] });
  otherSite = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end("<!doctype html><title>some other local site</title>");
  });
  await new Promise<void>((resolve) => otherSite.listen(0, "127.0.0.1", resolve));
  otherOrigin = `http://127.0.0.1:${(otherSite.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await devserver.close();
  await new Promise<void>((resolve) => {
    otherSite.close(() => {
      resolve();
    });
  });
});

interface PageResult {
  readonly readable: boolean;
  readonly detail: string;
}

describe("the test hooks and a web page on another origin", () => {
  it("the page cannot read the rendezvous log, nor add a fault or mint a token, but can read the Matrix API", async (ctx) => {
    const context = await browser.newContext(ctx);
    const page = await context.newPage();
    await page.goto(`${otherOrigin}/`);
    expect(new URL(page.url()).origin).not.toBe(new URL(devserver.baseUrl).origin);

    const results = await page.evaluate(async (base: string): Promise<Record<string, PageResult>> => {
      async function read(path: string): Promise<PageResult> {
        try {
          const response = await fetch(`${base}${path}`);
          return { readable: true, detail: await response.text() };
        } catch (error) {
          return { readable: false, detail: String(error) };
        }
      }
      // What a malicious page would do without reading the answer: "simple" requests need no preflight.
      const blind = (path: string, body: unknown): Promise<unknown> =>
        fetch(`${base}${path}`, {
          method: "POST",
          mode: "no-cors",
          headers: { "Content-Type": "text/plain" },
          body: JSON.stringify(body),
        }).catch((error: unknown) => String(error));
      await blind("/_devserver/faults", { method: "*", pathPattern: ".*", count: 5, status: 500 });
      await blind("/_devserver/token", { user: "alice", device_id: "PAGEDEVICE1" });
      return {
        log: await read("/_devserver/rendezvous-log"),
        faults: await read("/_devserver/faults"),
        versions: await read("/_matrix/client/versions"),
      };
    }, devserver.baseUrl);

    expect(results.log?.readable).toBe(false);
    expect(results.faults?.readable).toBe(false);
    // The control: the same page reads the Matrix API, so it is the hooks' own rules that refused it above.
    expect(results.versions?.readable).toBe(true);
    expect(results.versions?.detail).toContain('"versions"');
    // Nothing the page sent blind was acted on.
    expect(devserver.hooks.pendingFaults()).toEqual([]);
    expect(devserver.accounts.getDevice(devserver.accounts.userIdOf("alice"), "PAGEDEVICE1")).toBeUndefined();
  });
});
