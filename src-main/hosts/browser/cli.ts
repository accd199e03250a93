// `npm run start:browser -- [--profile <name>]... [--profile-dir <path>]... [--demo] [--no-open]
// [--allow-insecure-http]`: the engine and the renderer in the user's browser instead of Electron, one engine, one
// server and one token per profile (with `--demo`, per window of the local demo, src-main/demo/; a page that
// starts the demo adds one). It prints exactly one line per page on stdout, `browser host ready at http://127.0.0.1:<port>/#token=
// <token>` (scripts and tests wait for it), everything else on stderr, and opens each page in an app window of the
// system's Chromium unless told not to. Built to out/node/browser-host.js (vite.node.config.ts).
// matrix-js-sdk calls Promise.withResolvers, which Node 20 lacks: before anything that loads it.
import "../../../src-shared/polyfills";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../../src-shared/logger";
import { toFlowError } from "../../../src-shared/errors";
import { createRuntime } from "../../protocol";
import { describeProfile, HostArgsError, readHostArgs } from "../host-args";
import { findChromium, openAppWindow, type AppWindow } from "./app-window";
import { BrowserWindows } from "./windows";

const USAGE = `usage: npm run start:browser -- [options]

Serves the app to your browser on 127.0.0.1, one page per profile.

  --profile <name>        a profile under the data root (repeatable; default: "default")
  --profile-dir <path>    a profile in this folder (repeatable)
  --demo                  the local demo instead: a homeserver in this process and two pages, one signed in
                          and one new device, in a temporary folder removed on exit (npm run demo)
  --no-open               print the addresses only; do not open a browser window
  --allow-insecure-http   allow plain http to this machine (the local devserver)
  -h, --help              this text
`;

/** Background failures, on stderr (error level), redacted. */
const log = createLogger("browser host");

/** The renderer's build, beside this file's folder in out/. */
const RENDERER_DIR = join(import.meta.dirname, "..", "renderer");

async function main(): Promise<void> {
  let args;
  try {
    args = readHostArgs(process.argv.slice(2), { strict: true });
  } catch (error) {
    if (!(error instanceof HostArgsError)) throw error;
    process.stderr.write(`browser host: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!existsSync(join(RENDERER_DIR, "index.html"))) {
    process.stderr.write(
      `browser host: no renderer build in ${RENDERER_DIR}; run it with npm run start:browser, which builds it\n`,
    );
    process.exit(1);
  }

  const appWindows: AppWindow[] = [];
  const chromium = args.noOpen ? undefined : findChromium();
  if (!args.noOpen && chromium === undefined) {
    process.stderr.write("browser host: no Chromium found; open the addresses printed in your browser\n");
  }
  const windows = new BrowserWindows({
    rendererDir: RENDERER_DIR,
    allowInsecureHttp: args.allowInsecureHttp,
    engine: {
      runtime: createRuntime(),
      onError: (error) => {
        log.error(toFlowError(error).message);
      },
    },
    onWindow: async ({ host, label }) => {
      process.stdout.write(`browser host ready at ${host.url}\n`);
      if (label !== undefined) process.stderr.write(`browser host: the page above is "${label}"\n`);
      if (chromium !== undefined) appWindows.push(await openAppWindow(chromium, host.url));
    },
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled(appWindows.map((window) => window.close()));
    await windows.close().catch((error: unknown) => {
      process.stderr.write(`browser host: did not stop cleanly: ${(error as Error).message}\n`);
      code = code === 0 ? 1 : code;
    });
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  if (args.demo) {
    try {
      await windows.startDemo();
    } catch (error) {
      process.stderr.write(`browser host: the local demo did not start: ${toFlowError(error).message}\n`);
      await stop(1);
    }
    return;
  }
  for (const profile of args.profiles) {
    try {
      const { engine } = await windows.serveProfile(profile);
      // The file store's one-line warning (plain Node has no keychain), once.
      for (const warning of engine.profile.warnings) process.stderr.write(`browser host: ${warning}\n`);
    } catch (error) {
      process.stderr.write(`browser host: ${describeProfile(profile)}: ${(error as Error).message}\n`);
      await stop(1);
      return;
    }
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`browser host: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
