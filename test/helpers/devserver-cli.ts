// The devserver's command line as a child process, for the suites that test it: the Node bundle built once per
// test file, then started with flags; whatever a test started is stopped (SIGTERM) after it.
//
//   const cli = useBuiltDevserver("out/oauth-cli-test"); // a folder of its own, so that suites never race
//   const { baseUrl, code, stderr } = await cli.start(["--user", "alice:secret"]);
//
// `run` hands back the process itself, for tests that read stdout or send signals; `ready` waits for its ready line.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { resolve } from "node:path";
import { afterEach, beforeAll } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const READY_LINE = /^devserver ready at (\S+)\n/;

export interface RunningDevserver {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything it printed on stdout so far. */
  readonly stdout: () => string;
  /** Everything it printed on stderr so far. */
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** How a start ended: the base URL once the ready line is out, or the exit code; stderr so far either way. */
export interface StartOutcome {
  readonly baseUrl?: string;
  readonly code?: number | null;
  readonly stderr: string;
}

export interface BuiltDevserver {
  readonly run: (args: readonly string[]) => RunningDevserver;
  /** Starts it; resolves once it is ready or has stopped, whichever comes first. */
  readonly start: (args: readonly string[]) => Promise<StartOutcome>;
}

function build(outDir: string | undefined): void {
  // Without a folder: the npm script, which is what `npm run devserver` builds and starts (out/node).
  const result =
    outDir === undefined
      ? spawnSync("npm", ["run", "-s", "build:node"], { cwd: root, encoding: "utf8" })
      : spawnSync(
          "npx",
          ["vite", "build", "--config", "vite.node.config.ts", "--outDir", outDir, "--emptyOutDir"],
          { cwd: root, encoding: "utf8" },
        );
  if (result.status !== 0) {
    const what = outDir === undefined ? "npm run build:node" : `building the devserver into ${outDir}`;
    throw new Error(`${what} failed:\n${result.stdout}\n${result.stderr}`);
  }
}

/**
 * Registers a `beforeAll` that builds the devserver (into `outDir`, relative to the repository, or with `npm run
 * build:node` into out/node) and an `afterEach` that stops every process the test started.
 */
export function useBuiltDevserver(outDir?: string): BuiltDevserver {
  const entry = resolve(root, outDir ?? "out/node", "devserver.js");
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(() => {
    build(outDir);
  }, 120_000);

  afterEach(() => {
    for (const child of children.splice(0)) child.kill("SIGTERM");
  });

  const run = (args: readonly string[]): RunningDevserver => {
    const child = spawn(process.execPath, [entry, ...args], { cwd: root });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      child.once("exit", (code, signal) => {
        done({ code, signal });
      });
    });
    return { child, stdout: () => stdout, stderr: () => stderr, exited };
  };

  return {
    run,
    start: (args) => {
      const running = run(args);
      return new Promise((done) => {
        running.child.stdout.on("data", () => {
          const baseUrl = READY_LINE.exec(running.stdout())?.[1];
          if (baseUrl !== undefined) done({ baseUrl, stderr: running.stderr() });
        });
        void running.exited.then(({ code }) => {
          done({ code, stderr: running.stderr() });
        });
      });
    },
  };
}

/** Resolves with the base URL once the ready line is out (or rejects if the process exits first). */
export function ready(running: RunningDevserver): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    const check = (): void => {
      const match = READY_LINE.exec(running.stdout());
      if (match?.[1] !== undefined) resolveUrl(match[1]);
    };
    running.child.stdout.on("data", check);
    check();
    void running.exited.then(({ code }) => {
      reject(new Error(`devserver exited (${code}) before it was ready: ${running.stderr()}`));
    });
  });
}
