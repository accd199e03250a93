// The command line's grammar, as a user meets it: --help on the program and on every command (exit 0, on stdout),
// and every mistake a usage error (exit 2) whose message names what is wrong: the unknown option, the missing
// value or argument, the option that does not fit. None of these opens a profile. The `matrix-qr-login` bin
// launcher starts the same build.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../src-main/hosts/cli/args";
import { CLI_TEST_OUT, cliEnv, ROOT, useBuiltCli } from "../helpers/cli";

const cli = useBuiltCli();

let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "mql-cli-usage-"));
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

function runCli(args: readonly string[], extra: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cli.entry, ...args], {
    cwd: ROOT,
    env: cliEnv(home, extra),
    encoding: "utf8",
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("help", () => {
  it("the program's help lists every command", () => {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const { status, stdout, stderr } = runCli(args);
      expect(status).toBe(0);
      expect(stderr).toBe("");
      expect(stdout).toMatch(/^usage: matrix-qr-login <command> \[options\]/);
      for (const name of Object.keys(COMMANDS)) expect(stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    }
  });

  it.each(Object.keys(COMMANDS))("%s --help shows its synopsis and options", (name) => {
    const { status, stdout } = runCli([name, "--help"]);
    expect(status).toBe(0);
    expect(stdout).toContain(`usage: matrix-qr-login ${COMMANDS[name as keyof typeof COMMANDS].synopsis}`);
    expect(stdout).toContain("--allow-insecure-http");
    expect(stdout).toContain("--profile-dir <path>");
    expect(runCli(["help", name]).stdout).toBe(stdout);
  });
});

describe("usage errors: exit status 2, naming what is wrong", () => {
  const cases: [args: string[], message: string][] = [
    [[], "no command given"],
    [["frobnicate"], 'unknown command "frobnicate"'],
    [["--json", "whoami"], "give the command first, before --json"],
    [["link", "--show", "--bogus"], "unknown option --bogus"],
    [["sign-in", "--show", "-x"], "unknown option -x"],
    [["whoami", "--homeserver", "example.org"], "unknown option --homeserver"],
    [["link", "--show", "--homeserver", "example.org"], "unknown option --homeserver"],
    [["sign-in", "--scan"], "option --scan needs a value"],
    [["sign-in"], "give --show or --scan <source>"],
    [["link", "--show", "--scan", "AAAA"], "give --show or --scan, not both"],
    [["link", "--show", "--version", "v2023"], '--version must be v2024 or v2025, not "v2023"'],
    [["link", "--scan", "AAAA", "--png", "qr.png"], "--png goes with --show"],
    [
      ["link", "--scan", "not base64 and no file!"],
      '--scan "not base64 and no file!": no such file, and not base64',
    ],
    [["whoami", "--profile", "a", "--profile-dir", "/tmp/b"], "give --profile or --profile-dir, not both"],
    [["whoami", "--profile", "../escape"], '--profile "../escape": a profile name is'],
    [["doctor"], "<homeserver> is missing"],
    [["doctor", "a.example", "b.example"], 'unexpected argument "b.example"'],
    [["whoami", "extra"], 'unexpected argument "extra"'],
    [["login"], "give --homeserver <server>"],
    [["whoami", "--json=yes"], "option --json takes no value"],
  ];

  it.each(cases)("%j", (args, message) => {
    const { status, stdout, stderr } = runCli(args);
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(`matrix-qr-login: ${message}`);
    expect(stderr).toMatch(/See "matrix-qr-login( [a-z-]+)? --help"\./);
  });

  it("a malformed MATRIX_QR_LOGIN_TIMINGS is named", () => {
    const { status, stderr } = runCli(["whoami"], {
      MATRIX_QR_LOGIN_TIMINGS: '{"personActing":[{"everyMs":-1}]}',
    });
    expect(status).toBe(2);
    expect(stderr).toContain("MATRIX_QR_LOGIN_TIMINGS: personActing.0.everyMs");
  });

  it("no profile was created by any of these", () => {
    expect(existsSync(join(home, "profiles"))).toBe(false);
  });
});

describe("the bin launcher", () => {
  it("starts the build it finds beside it", async () => {
    // The package's layout: bin/matrix-qr-login.js next to out/node/cli.js.
    const pack = await mkdtemp(join(tmpdir(), "mql-cli-bin-"));
    try {
      mkdirSync(join(pack, "bin"));
      mkdirSync(join(pack, "out"));
      copyFileSync(join(ROOT, "bin", "matrix-qr-login.js"), join(pack, "bin", "matrix-qr-login.js"));
      const launcher = join(pack, "bin", "matrix-qr-login.js");
      const missing = spawnSync(process.execPath, [launcher, "--help"], { encoding: "utf8" });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain('build it with "npm run build:node"');
      symlinkSync(join(ROOT, CLI_TEST_OUT), join(pack, "out", "node"));
      const help = spawnSync(process.execPath, [launcher, "whoami", "--help"], { encoding: "utf8" });
      expect(help.status).toBe(0);
      expect(help.stdout).toContain("usage: matrix-qr-login whoami");
    } finally {
      await rm(pack, { recursive: true, force: true });
    }
  });
});
