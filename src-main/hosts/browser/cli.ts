// `npm run start:browser -- [--profile <name>]... [--profile-dir <path>]... [--no-open] [--allow-insecure-http]`:
// the engine and the renderer in the user's browser instead of Electron, one engine, one server and one token per
// profile. It prints exactly one line per profile on stdout, `browser host ready at http://127.0.0.1:<port>/#token=
// <token>` (scripts and tests wait for it), everything else on stderr, and opens each page in an app window of the
// system's Chromium unless told not to. Built to out/node/browser-host.js (vite.node.config.ts).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../../src-shared/logger";
import { toFlowError } from "../../../src-shared/errors";
import type { EngineHost } from "../../engine/host";
import { createEngine, type Engine } from "../../engine/index";
import { createRuntime } from "../../protocol";
import { describeProfile, HostArgsError, readHostArgs } from "../host-args";
import { findChromium, openAppWindow, type AppWindow } from "./app-window";
import { openUrlThroughPage, startBrowserHost, type BrowserHost } from "./server";

const USAGE = `usage: npm run start:browser -- [options]

Serves the app to your browser on 127.0.0.1, one page per profile.

  --profile <name>        a profile under the data root (repeatable; default: "default")
  --profile-dir <path>    a profile in this folder (repeatable)
  --no-open               print the addresses only; do not open a browser window
  --allow-insecure-http   allow plain http to this machine (the local devserver)
  -h, --help              this text
`;

/** Background failures, on stderr (error level), redacted. */
const log = createLogger("browser host");

/** The renderer's build, beside this file's folder in out/. */
const RENDERER_DIR = join(import.meta.dirname, "..", "renderer");

interface Served {
  readonly engine: EngineHost;
  readonly host: BrowserHost;
}

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

  const served: Served[] = [];
  const windows: AppWindow[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled(windows.map((window) => window.close()));
    await Promise.allSettled(served.map(({ host }) => host.close()));
    await Promise.allSettled(served.map(({ engine }) => engine.close()));
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  for (const profile of args.profiles) {
    // The engine's openUrl needs the server, which needs the engine: the server is filled in once it runs.
    const server: { host?: BrowserHost } = {};
    let engine: Engine;
    try {
      engine = await createEngine({
        app: "browser-host",
        runtime: createRuntime(),
        location: profile,
        allowInsecureHttp: args.allowInsecureHttp,
        openUrl: openUrlThroughPage(() => server.host, args.allowInsecureHttp),
        onError: (error) => {
          log.error(`${describeProfile(profile)}: ${toFlowError(error).message}`);
        },
      });
    } catch (error) {
      process.stderr.write(`browser host: ${describeProfile(profile)}: ${(error as Error).message}\n`);
      await stop(1);
      return;
    }
    // The file store's one-line warning (plain Node has no keychain), once.
    for (const warning of engine.profile.warnings) process.stderr.write(`browser host: ${warning}\n`);
    const host = await startBrowserHost({ rendererDir: RENDERER_DIR, engine });
    server.host = host;
    served.push({ engine, host });
    process.stdout.write(`browser host ready at ${host.url}\n`);
  }

  if (args.noOpen) return;
  const chromium = findChromium();
  if (chromium === undefined) {
    process.stderr.write("browser host: no Chromium found; open the address above in your browser\n");
    return;
  }
  for (const { host } of served) windows.push(await openAppWindow(chromium, host.url));
}

void main().catch((error: unknown) => {
  process.stderr.write(`browser host: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
