// Debian's Chromium driven by playwright-core (no browser download here; docs/testing.md §2). One
// browser per test file, one isolated context per test. Where Chromium is missing, tests skip with a reason that
// says how to install it.
//
//   const browser = useChromium();
//   it("...", async (ctx) => {
//     const context = await browser.newContext(ctx); // skips this test, printing why, without Chromium
//     ...
//   });
import { accessSync, constants } from "node:fs";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from "playwright-core";
import { afterAll, afterEach, beforeAll, type TestContext } from "vitest";

/** Debian's wrapper script; override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Flags that work as root on the CI machines. The background-networking ones stop Chromium from trying to reach the
 * internet (there is none).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const INSTALL_HINT =
  "install it with `apt-get update && apt-get install -y --no-install-recommends chromium` " +
  "(or point CHROMIUM_PATH at a Chromium binary)";

/** Why Chromium cannot run here, or undefined when it can. */
export function chromiumUnavailableReason(): string | undefined {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return undefined;
  } catch {
    return `Chromium not found at ${CHROMIUM_PATH}: ${INSTALL_HINT}`;
  }
}

export interface LaunchOptions {
  /** Run with a window (under xvfb-run); default headless. */
  readonly headed?: boolean;
  /** Extra flags, e.g. the fake camera's. */
  readonly args?: readonly string[];
}

export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const reason = chromiumUnavailableReason();
  if (reason !== undefined) throw new Error(reason);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: options.headed !== true,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}

export interface ChromiumForTests {
  /** Why the tests using it skip, or undefined when Chromium runs. */
  readonly unavailableReason: string | undefined;
  /** A fresh isolated context (own cookies and storage), closed after the test. Skips the test without Chromium. */
  newContext(ctx: TestContext, options?: BrowserContextOptions): Promise<BrowserContext>;
}

/** Registers hooks that launch one browser for the calling test file and close it (and every context) after. */
export function useChromium(options: LaunchOptions = {}): ChromiumForTests {
  const unavailableReason = chromiumUnavailableReason();
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (unavailableReason !== undefined) {
      console.warn(`skipping browser tests: ${unavailableReason}`);
      return;
    }
    browser = await launchChromium(options);
  }, 30_000);

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  afterAll(async () => {
    await browser?.close();
  });

  return {
    unavailableReason,
    async newContext(ctx, contextOptions = {}) {
      if (unavailableReason !== undefined) ctx.skip(unavailableReason);
      if (browser === undefined) throw new Error("the browser did not start (see the beforeAll error)");
      const context = await browser.newContext(contextOptions);
      contexts.push(context);
      return context;
    },
  };
}
