// Helpers for driving the built renderer in Chromium: build it alone (no Electron binary needed), serve it on
// 127.0.0.1 with the CSP the app is served with, open a page that records console errors and CSP
// violations, and turn a PNG screenshot into pixels (in a blank page, outside the app's CSP) for jsQR.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { promisify } from "node:util";
import type { BrowserContext, Page } from "playwright-core";
import { RENDERER_CSP } from "../src-main/hosts/csp";

const root = join(import.meta.dirname, "..");

/** The Content-Security-Policy the app's pages are served with (Electron's app:// and the browser host): the one. */
export { RENDERER_CSP };

/** Builds the renderer alone into `outDir` with the app's own Vite config, as it ships (a production build:
 * Vitest sets NODE_ENV=test, which would otherwise give React's development build). */
export async function buildRenderer(outDir: string): Promise<void> {
  await promisify(execFile)(
    "npx",
    ["vite", "build", "--config", "vite.renderer.config.ts", "--outDir", outDir, "--logLevel", "warn"],
    {
      cwd: root,
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
}

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

export interface StaticServer {
  readonly url: string;
  readonly close: () => Promise<void>;
}

/** Serves `dir` on 127.0.0.1 (a free port), every response with the app's CSP. */
export async function serveRenderer(dir: string): Promise<StaticServer> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
      const file = normalize(join(dir, path === "/" ? "index.html" : decodeURIComponent(path)));
      if (!file.startsWith(dir + sep)) {
        response.writeHead(403).end();
        return;
      }
      try {
        const body = await readFile(file);
        response.writeHead(200, {
          "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
          "Content-Security-Policy": RENDERER_CSP,
          "Cache-Control": "no-store",
        });
        response.end(body);
      } catch {
        response.writeHead(404, { "Content-Security-Policy": RENDERER_CSP }).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the server has no port");
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

export interface WatchedPage {
  readonly page: Page;
  /** Console errors, uncaught exceptions and CSP violations seen so far. */
  readonly problems: () => Promise<string[]>;
}

/** A new page that records every console error, page error and CSP violation. */
export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const seen: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") seen.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => {
    seen.push(`page error: ${error.message}`);
  });
  // Runs before the page's own scripts, outside its CSP (injected by the browser, not the page).
  await page.addInitScript(() => {
    const list: string[] = [];
    (globalThis as unknown as { cspViolations: string[] }).cspViolations = list;
    document.addEventListener("securitypolicyviolation", (event) => {
      list.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return {
    page,
    async problems() {
      const csp = await page.evaluate(
        () => (globalThis as unknown as { cspViolations?: string[] }).cspViolations ?? [],
      );
      return [...seen, ...csp.map((violation) => `CSP: ${violation}`)];
    },
  };
}

/** The RGBA pixels of a PNG, decoded by Chromium in a blank page. */
export async function pngPixels(
  context: BrowserContext,
  png: Buffer,
): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const page = await context.newPage();
  try {
    const decoded = await page.evaluate(async (base64) => {
      const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context2d = canvas.getContext("2d");
      if (context2d === null) throw new Error("no 2d context");
      context2d.drawImage(bitmap, 0, 0);
      const image = context2d.getImageData(0, 0, bitmap.width, bitmap.height);
      let binary = "";
      for (const byte of image.data) binary += String.fromCharCode(byte);
      return { base64: btoa(binary), width: image.width, height: image.height };
    }, png.toString("base64"));
    return {
      data: new Uint8ClampedArray(Buffer.from(decoded.base64, "base64")),
      width: decoded.width,
      height: decoded.height,
    };
  } finally {
    await page.close();
  }
}
