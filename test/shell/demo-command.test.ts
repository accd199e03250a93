// `npm run demo` as a user runs it: it starts the local demo on the browser host (a homeserver in its process,
// one page signed in, one page new), prints one ready line per page, and on Ctrl-C (SIGINT) stops cleanly: every
// process it started has exited and the demo's temporary folder is gone. It builds into a folder of this suite's
// own ($MATRIX_QR_LOGIN_OUT_DIR) and gets a temporary folder of its own ($TMPDIR), which must be empty at the end.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./electron-build";

const OUT = join(ROOT, "out", "shell-test", "demo");
const READY = /^browser host ready at (http:\/\/127\.0\.0\.1:\d+)\/#token=[A-Za-z0-9_-]{43}$/;
const made: string[] = [];

afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids of `pid`'s children, from /proc (Linux; elsewhere none are found and only the script is checked). */
async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (parent === pid) found.push(Number(entry));
  }
  return found;
}

describe("npm run demo", () => {
  it(
    "prints a ready line for each of its two pages, serves them, and leaves no process or folder after SIGINT",
    { timeout: 150_000 },
    async () => {
      const home = await mkdtemp(join(tmpdir(), "mqrl-demo-home-"));
      const temp = await mkdtemp(join(tmpdir(), "mqrl-demo-tmp-"));
      made.push(home, temp);
      const child = spawn(process.execPath, [join(ROOT, "scripts", "demo.mjs"), "--no-open"], {
        cwd: ROOT,
        env: { ...process.env, MATRIX_QR_LOGIN_HOME: home, MATRIX_QR_LOGIN_OUT_DIR: OUT, TMPDIR: temp },
      });
      let stdout = "";
      let stderr = "";
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      // Ready when both pages' lines are out: the ready lines on stdout and their labels on stderr, two pipes
      // that arrive in either order.
      const ready = new Promise<void>((resolve, reject) => {
        const check = () => {
          const readyLines = stdout.split("\n").filter((line) => READY.test(line)).length;
          const labels = stderr.split("\n").filter((line) => line.includes("the page above is")).length;
          if (readyLines >= 2 && labels >= 2) resolve();
        };
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          stdout += chunk;
          check();
        });
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
          stderr += chunk;
          check();
        });
        void exited.then(() => {
          reject(new Error(`npm run demo exited before its pages were ready:\n${stderr}`));
        });
      });
      await ready;

      const lines = stdout.split("\n").filter((line) => line !== "");
      expect(lines, stderr).toHaveLength(2);
      const origins = lines.map((line) => READY.exec(line)?.[1] ?? "");
      expect(new Set(origins).size).toBe(2);
      expect(stderr).toContain('the page above is "This computer, signed in"');
      expect(stderr).toContain('the page above is "New device"');
      for (const origin of origins) expect((await fetch(`${origin}/`)).status).toBe(200);
      // While it runs, the demo's folder is in the temporary folder it was given.
      expect((await readdir(temp)).filter((name) => name.startsWith("matrix-qr-login-demo-"))).toHaveLength(
        1,
      );
      const pid = child.pid ?? 0;
      const started = await childrenOf(pid);
      expect(started.length).toBeGreaterThan(0);
      const grandchildren = (await Promise.all(started.map(childrenOf))).flat();

      child.kill("SIGINT");
      expect(await exited).toBe(0);
      for (const other of [pid, ...started, ...grandchildren]) {
        await expect.poll(() => alive(other), { timeout: 10_000 }).toBe(false);
      }
      expect(await readdir(temp)).toEqual([]);
      for (const origin of origins) await expect(fetch(`${origin}/`)).rejects.toThrow();
    },
  );
});
