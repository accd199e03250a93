// The start commands as a user runs them: `npm start` where the Electron binary cannot be had says so in one line
// and starts the browser host instead, and the browser host's own command line. Both build into a folder of this
// suite's own ($MATRIX_QR_LOGIN_OUT_DIR), so they never race another suite's build of out/.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./electron-build";

const OUT = join(ROOT, "out", "shell-test", "start");
const homes: string[] = [];

afterAll(async () => {
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })));
});

function electronBinary(): string | undefined {
  const pathFile = join(ROOT, "node_modules", "electron", "path.txt");
  if (!existsSync(pathFile)) return undefined;
  const binary = join(ROOT, "node_modules", "electron", "dist", readFileSync(pathFile, "utf8").trim());
  return existsSync(binary) ? binary : undefined;
}

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const READY = /^browser host ready at http:\/\/127\.0\.0\.1:(\d+)\/#token=([A-Za-z0-9_-]{43})$/;

/** Runs a script until it exits, or until its stdout has `ready` ready lines (then stops it). */
async function run(script: string, args: readonly string[], ready = 1): Promise<Ran> {
  const home = await mkdtemp(join(tmpdir(), "mqrl-start-"));
  homes.push(home);
  const child = spawn(process.execPath, [join(ROOT, "scripts", script), ...args], {
    cwd: ROOT,
    env: { ...process.env, MATRIX_QR_LOGIN_HOME: home, MATRIX_QR_LOGIN_OUT_DIR: OUT },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (stdout.split("\n").filter((line) => READY.test(line)).length >= ready) child.kill("SIGTERM");
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stdout, stderr };
}

const binary = electronBinary();
if (binary !== undefined)
  console.log(`npm start's fallback not tested: the Electron binary exists (${binary})`);

describe("npm start", () => {
  it.skipIf(binary !== undefined)(
    "says in one line that there is no Electron binary, and starts the browser host instead",
    { timeout: 120_000 },
    async () => {
      const { stdout, stderr } = await run("start.mjs", ["--no-open", "--profile", "fresh"]);
      const [first, ...rest] = stderr.split("\n");
      expect(first).toMatch(/^npm start: no Electron binary here \(.+\); starting the browser host instead$/);
      // What follows is the browser host's own, with its one ready line.
      expect(stdout, stderr).toMatch(
        /^browser host ready at http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}\n$/,
      );
      expect(rest.join("\n")).not.toMatch(/token=/);
    },
  );
});

describe("npm run start:browser", () => {
  it(
    "serves each profile with its own port and token, one ready line each",
    { timeout: 120_000 },
    async () => {
      const { stdout, stderr } = await run(
        "start-browser.mjs",
        ["--no-open", "--profile", "a", "--profile", "b"],
        2,
      );
      const lines = stdout.split("\n").filter((line) => line !== "");
      expect(lines, stderr).toHaveLength(2);
      const [a, b] = lines.map((line) => READY.exec(line));
      expect(a?.[1]).not.toBe(b?.[1]);
      expect(a?.[2]).not.toBe(b?.[2]);
      // Plain Node has no keychain: said once per profile, on stderr, and the token never is.
      expect(stderr.match(/protected only by file permissions/g)).toHaveLength(2);
      expect(stderr).not.toContain(a?.[2] ?? "none");
    },
  );

  it("explains itself with --help, and refuses what it does not know", { timeout: 120_000 }, async () => {
    const help = await run("start-browser.mjs", ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run start:browser -- \[options\]/);
    expect(help.stdout).toContain("--profile <name>");
    const wrong = await run("start-browser.mjs", ["--profile", "../escape"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toBe("");
    expect(wrong.stderr).toMatch(/^browser host: --profile "\.\.\/escape": a profile name is/);
  });
});
