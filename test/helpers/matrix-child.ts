// The Matrix device in another process (test/matrix/child/device-child.ts), for the tests that need a second
// process on a profile or one killed mid-request: built once per test file with Vite's build API (Node 20 cannot
// run .ts), started per test, killed (SIGKILL) after the test if it still runs.
//
//   const children = useDeviceChild("out/matrix-processes-test");
//   const child = children.run({ mode: "open", dir });
//   await child.next("opened");
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { resolve } from "node:path";
import { build } from "vite";
import { afterEach, beforeAll } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const ENTRY = resolve(root, "test/matrix/child/device-child.ts");

export interface ChildEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

export interface RunningChild {
  readonly process: ChildProcessWithoutNullStreams;
  /** Resolves with the next event named `name` (or any error event), rejects if the child exits first. */
  next(name: string): Promise<ChildEvent>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: () => string;
}

export interface DeviceChildren {
  run(command: Record<string, unknown>, options?: { shell?: string }): RunningChild;
}

/** Registers a `beforeAll` that builds the child into `outDir` and an `afterEach` that kills what is left. */
export function useDeviceChild(outDir: string): DeviceChildren {
  const entry = resolve(root, outDir, "device-child.js");
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    await build({
      configFile: false,
      root,
      logLevel: "warn",
      build: {
        ssr: true,
        target: "node20",
        outDir: resolve(root, outDir),
        emptyOutDir: true,
        minify: false,
        rolldownOptions: {
          input: { "device-child": ENTRY },
          output: { format: "es", entryFileNames: "[name].js", chunkFileNames: "chunks/[name]-[hash].js" },
        },
      },
      ssr: { target: "node" },
    });
  }, 120_000);

  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  });

  return {
    run: (command, options = {}) => {
      // `shell` runs the child under `sh -c '<shell>; exec node …'` (resource limits such as `ulimit -f`).
      const child =
        options.shell === undefined
          ? spawn(process.execPath, [entry, JSON.stringify(command)], { cwd: root })
          : spawn(
              "sh",
              [
                "-c",
                `${options.shell}; exec "$0" "$1" "$2"`,
                process.execPath,
                entry,
                JSON.stringify(command),
              ],
              {
                cwd: root,
              },
            );
      children.push(child);
      const events: ChildEvent[] = [];
      const waiters: (() => void)[] = [];
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        let newline = stdout.indexOf("\n");
        while (newline >= 0) {
          events.push(JSON.parse(stdout.slice(0, newline)) as ChildEvent);
          stdout = stdout.slice(newline + 1);
          newline = stdout.indexOf("\n");
        }
        for (const wake of waiters.splice(0)) wake();
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
        child.once("exit", (code, signal) => {
          done({ code, signal });
          for (const wake of waiters.splice(0)) wake();
        });
      });
      let seen = 0;
      const next = async (name: string): Promise<ChildEvent> => {
        for (;;) {
          while (seen < events.length) {
            const event = events[seen++];
            if (event !== undefined && (event.event === name || event.event === "error")) return event;
          }
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(
              `the child exited (${child.exitCode ?? child.signalCode}) before "${name}": ${stderr}`,
            );
          }
          await new Promise<void>((wake) => waiters.push(wake));
        }
      };
      return { process: child, next, exited, stderr: () => stderr };
    },
  };
}
