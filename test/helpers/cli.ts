// The command line host (src-main/hosts/cli) as child processes, for the suites that drive it: the Node bundle
// built once per test file into a folder of its own, then started with arguments and an environment of the
// test's choosing (a data root of its own, no graphical session). With --json, every stdout line is parsed as it
// arrives and a test waits for the line it needs; stdin takes one command per line.
//
//   const cli = useBuiltCli();
//   const existing = cli.run(["link", "--show", "--json", "--profile-dir", dir, "--allow-insecure-http"]);
//   const qr = (await existing.state("showing_qr")).qr;
//   existing.send({ type: "submitCheckCode", code: "42" });
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, expect } from "vitest";
import type { FlowPhaseName, FlowSnapshot, WireVersion } from "../../src-shared/flow";
import { startDevserver, type Devserver } from "../../devserver/index";
import { approveOverHttp } from "./consent";
import { postHook } from "./matrix-device";

export const ROOT = resolve(import.meta.dirname, "../..");

/** One JSON line of stdout. */
export type CliLine = { readonly type: string } & Readonly<Record<string, unknown>>;

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Every stdout line parsed as JSON so far (--json), in order. */
  readonly lines: CliLine[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Writes one line to stdin: an object as JSON, a string as it is. */
  send(line: unknown): void;
  /** The first line (from `from` on) for which `match` holds; rejects on exit or after `timeoutMs`. */
  waitFor(what: string, match: (line: CliLine) => boolean, options?: WaitOptions): Promise<CliLine>;
  /** The first state line of `phase` (from `from` on). */
  state<P extends FlowPhaseName>(
    phase: P,
    options?: WaitOptions,
  ): Promise<Extract<FlowSnapshot, { phase: P }>>;
  /** Every snapshot of the state lines so far. */
  snapshots(): FlowSnapshot[];
  /** Resolves with the exit line's code and the exit status. */
  finished(timeoutMs?: number): Promise<{ code: string; status: number | null }>;
}

export interface WaitOptions {
  readonly timeoutMs?: number;
  /** Look only at lines from this index on. */
  readonly from?: number;
}

export interface BuiltCli {
  readonly entry: string;
  run(args: readonly string[], options?: { env?: Readonly<Record<string, string>> }): CliProcess;
}

/** Waits shortened for tests: the other device's answer is looked for every 250 ms while a person acts. */
export const FAST_TIMINGS = JSON.stringify({ personActing: [{ everyMs: 250 }] });

/** An environment without a graphical session (no browser is ever started) and with the given data root. */
export function cliEnv(home: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== "DISPLAY" && key !== "WAYLAND_DISPLAY") env[key] = value;
  }
  return { ...env, MATRIX_QR_LOGIN_HOME: home, NO_COLOR: "1", ...extra };
}

/** Where the cli lane's global setup (test/cli/build.global.ts) builds the bundle, relative to the repository. */
export const CLI_TEST_OUT = "out/cli-test";

export function buildCli(outDir: string): void {
  const result = spawnSync(
    "npx",
    ["vite", "build", "--config", "vite.node.config.ts", "--outDir", outDir, "--emptyOutDir"],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (result.status !== 0)
    throw new Error(`building the CLI into ${outDir} failed:\n${result.stdout}\n${result.stderr}`);
}

/**
 * The bundle in `outDir` (relative to the repository): by default the one the cli lane's global setup built; the
 * Synapse lane passes "out/node", which its script built. Registers an `afterEach` that kills every process the
 * test left running.
 */
export function useBuiltCli(outDir: string = CLI_TEST_OUT): BuiltCli {
  const entry = resolve(ROOT, outDir, "cli.js");
  const children: ChildProcessWithoutNullStreams[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  });
  return {
    entry,
    run: (args, runOptions = {}) => {
      const child = spawn(process.execPath, [entry, ...args], {
        cwd: ROOT,
        env: runOptions.env ?? cliEnv(resolve(ROOT, "out", "cli-test-home")),
      });
      children.push(child);
      return watch(child, args);
    },
  };
}

function watch(child: ChildProcessWithoutNullStreams, args: readonly string[]): CliProcess {
  let stdout = "";
  let stderr = "";
  let partial = "";
  const lines: CliLine[] = [];
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    partial += chunk;
    let newline = partial.indexOf("\n");
    while (newline !== -1) {
      const text = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      try {
        lines.push(JSON.parse(text) as CliLine);
      } catch {
        // Human mode, or a broken line: a test that wants JSON checks `stdout()` itself.
      }
      newline = partial.indexOf("\n");
    }
    wake();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let exitedNow = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once("exit", (code, signal) => {
      exitedNow = true;
      // Let the last stdout chunk land before anyone gives up on a line.
      setTimeout(() => {
        wake();
        done({ code, signal });
      }, 50);
    });
  });
  const label = `cli ${args.slice(0, 2).join(" ")}`;

  const waitFor = (what: string, match: (line: CliLine) => boolean, options: WaitOptions = {}) =>
    new Promise<CliLine>((resolvePromise, reject) => {
      let at = options.from ?? 0;
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${label}: timed out waiting for ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      }, options.timeoutMs ?? 30_000);
      const check = (): void => {
        for (; at < lines.length; at++) {
          const line = lines[at];
          if (line !== undefined && match(line)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolvePromise(line);
            return;
          }
        }
        if (exitedNow) {
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`${label}: exited before ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      };
      waiters.add(check);
      check();
    });

  const isState = (line: CliLine): line is CliLine & { snapshot: FlowSnapshot } => line.type === "state";

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    lines,
    exited,
    send: (line) => {
      child.stdin.write(`${typeof line === "string" ? line : JSON.stringify(line)}\n`);
    },
    waitFor,
    state: async <P extends FlowPhaseName>(phase: P, options?: WaitOptions) => {
      const line = await waitFor(
        `state ${phase}`,
        (candidate) => isState(candidate) && candidate.snapshot.phase === phase,
        options,
      );
      return (line as CliLine & { snapshot: Extract<FlowSnapshot, { phase: P }> }).snapshot;
    },
    snapshots: () => lines.filter(isState).map((line) => line.snapshot),
    finished: async (timeoutMs = 30_000) => {
      const last = await waitFor("the exit line", (line) => line.type === "exit", { timeoutMs });
      const { code } = await exited;
      return { code: String(last.code), status: code };
    },
  };
}

/** The user's part of `login` in the browser, over HTTP: the devserver's pages, then the redirect back. */
async function consentToLogin(url: string, user: string, password: string): Promise<void> {
  const outcome = await approveOverHttp({ verificationUri: url, user, password, approve: true });
  if (outcome.kind !== "redirect")
    throw new Error(`login: expected the redirect back, got ${outcome.result}`);
  const back = await fetch(outcome.url);
  if (back.status !== 200) throw new Error(`login: the loopback listener answered ${back.status}`);
}

export interface SignInOptions {
  readonly homeserver: string;
  /** The flags that name the profile: ["--profile", name] or ["--profile-dir", path]. */
  readonly profile: readonly string[];
  readonly user: string;
  readonly password: string;
  readonly env?: Readonly<Record<string, string>>;
}

function runJson(cli: BuiltCli, options: SignInOptions, args: readonly string[]): CliProcess {
  return cli.run(
    [...args, ...options.profile, "--json", "--allow-insecure-http"],
    options.env === undefined ? {} : { env: options.env },
  );
}

/** `login` with the browser's part answered over HTTP; resolves with the account line. */
export async function loginWithCli(
  cli: BuiltCli,
  options: SignInOptions,
): Promise<Readonly<Record<string, unknown>>> {
  const login = runJson(cli, options, ["login", "--homeserver", options.homeserver]);
  const open = await login.waitFor("the sign-in page", (line) => line.type === "open");
  await consentToLogin(String(open.url), options.user, options.password);
  const account = await login.waitFor("the account", (line) => line.type === "account");
  const ended = await login.finished();
  if (ended.code !== "ok" || ended.status !== 0)
    throw new Error(`login ended ${JSON.stringify(ended)}: ${login.stderr()}`);
  return account.account as Record<string, unknown>;
}

/**
 * Signs the profile in with `login` and sets up its encryption with `bootstrap`, as a user would before linking
 * other devices. Resolves with the recovery key `bootstrap` showed.
 */
export async function signInWithLogin(
  cli: BuiltCli,
  options: SignInOptions,
): Promise<{ recoveryKey: string }> {
  await loginWithCli(cli, options);
  const bootstrap = runJson(cli, options, ["bootstrap"]);
  const key = await bootstrap.waitFor("the recovery key", (line) => line.type === "recoveryKey");
  const ended = await bootstrap.finished();
  if (ended.code !== "ok") throw new Error(`bootstrap ended ${JSON.stringify(ended)}: ${bootstrap.stderr()}`);
  return { recoveryKey: String(key.recoveryKey) };
}

// --- two processes, one sign-in -------------------------------------------------------------------------------

/** Where one sign-in between a signed-in `link` profile and a new `sign-in` profile happens. */
export interface PairSetup {
  readonly cli: BuiltCli;
  readonly env: Readonly<Record<string, string>>;
  /** What the new device is given as --homeserver (a URL or a server name). */
  readonly homeserver: string;
  /** The existing device's profile folder, signed in and with encryption set up. */
  readonly existingDir: string;
  /** A folder for the new device's profile, unused so far. */
  readonly newDir: string;
  /** Where the showing process writes the QR code when it is carried as a PNG. */
  readonly png: string;
  /** The user's answer on the consent page: approve the new device. */
  approve(consent: { userCode: string; verificationUri: string }): Promise<void>;
}

/**
 * A devserver (test hooks, alice:secret, a 1 s device-code interval), a fresh folder named `prefix…`, the CLI's
 * environment there with fast timings, and `<root>/existing` signed in as alice with `login`.
 */
export async function startSignedInDevserver(
  cli: BuiltCli,
  prefix: string,
): Promise<{ server: Devserver; root: string; env: Record<string, string> }> {
  const server = await startDevserver({
    testHooks: true,
    users: ["alice:secret"],
    deviceCode: { intervalS: 1 },
  });
  const root = await mkdtemp(join(tmpdir(), prefix));
  const env = cliEnv(join(root, "home"), { MATRIX_QR_LOGIN_TIMINGS: FAST_TIMINGS });
  await signInWithLogin(cli, {
    homeserver: server.baseUrl,
    profile: ["--profile-dir", join(root, "existing")],
    user: "alice",
    password: "secret",
    env,
  });
  return { server, root, env };
}

/**
 * A pair on the devserver: run `run`'s new-device folder and PNG path under `root`, and the consent approved as
 * alice through the devserver's test hook.
 */
export function devserverPairSetup(input: {
  readonly cli: BuiltCli;
  readonly env: Readonly<Record<string, string>>;
  readonly server: Devserver;
  readonly root: string;
  readonly existingDir: string;
  readonly run: number;
}): PairSetup {
  const { cli, env, server, root, existingDir, run } = input;
  return {
    cli,
    env,
    homeserver: server.baseUrl,
    existingDir,
    newDir: join(root, `new-${run}`),
    png: join(root, `qr-${run}.png`),
    approve: async ({ userCode }) => {
      const answer = await postHook(server, "/_devserver/approve", {
        user_code: userCode,
        user: "alice",
        approve: true,
      });
      expect(answer.status).toBe(200);
    },
  };
}

export interface PairRun {
  readonly existing: CliProcess;
  readonly fresh: CliProcess;
  readonly shower: CliProcess;
  readonly scanner: CliProcess;
}

/**
 * Starts both processes with --json: the showing one first, then the scanning one with the QR code as the showing
 * one put it out, its base64 line or the PNG file it wrote.
 */
export async function startPair(
  setup: PairSetup,
  shows: "existing" | "new",
  version: WireVersion,
  carry: "base64" | "png",
): Promise<PairRun> {
  const flags = ["--json", "--allow-insecure-http"];
  const existingArgs = ["link", "--profile-dir", setup.existingDir, ...flags];
  const newArgs = ["sign-in", "--profile-dir", setup.newDir, "--homeserver", setup.homeserver, ...flags];
  const showArgs = ["--show", "--version", version, ...(carry === "png" ? ["--png", setup.png] : [])];
  const run = { env: setup.env };
  const shower = setup.cli.run([...(shows === "existing" ? existingArgs : newArgs), ...showArgs], run);
  const shown = await shower.state("showing_qr");
  expect(shown.version).toBe(version);
  if (carry === "png") await until("the PNG file", () => existsSync(setup.png));
  const source = carry === "png" ? setup.png : shown.qr;
  const scanner = setup.cli.run([...(shows === "existing" ? newArgs : existingArgs), "--scan", source], run);
  const [existing, fresh] = shows === "existing" ? [shower, scanner] : [scanner, shower];
  return { existing, fresh, shower, scanner };
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 50));
  }
}

/** Plays both users: reads the check code on one device and types it on the other, approves, opens the consent. */
export async function playUsers(setup: PairSetup, run: PairRun): Promise<void> {
  const { existing, fresh, shower, scanner } = run;
  await Promise.all([
    (async () => {
      const { code } = await scanner.state("check_code_display");
      await shower.state("check_code_entry");
      shower.send({ type: "submitCheckCode", code });
    })(),
    (async () => {
      await existing.state("approve_device");
      existing.send({ type: "approveDevice", approve: true });
      await existing.waitFor(
        "the consent screen waiting for the user",
        (line) =>
          line.type === "state" && (line.snapshot as { accepts: string[] }).accepts.includes("consentOpened"),
      );
      existing.send({ type: "consentOpened" });
    })(),
    (async () => {
      const waiting = await fresh.state("waiting_for_approval");
      await setup.approve({ userCode: waiting.userCode, verificationUri: waiting.verificationUri });
    })(),
  ]);
}

const LINE_TYPES = new Set(["state", "transcript", "open", "exit", "rejected"]);

/** stdout is JSON lines only, of the documented types, and the exit line is the last. */
export function expectOnlyJson(process: CliProcess): void {
  const texts = process
    .stdout()
    .split("\n")
    .filter((text) => text !== "");
  expect(process.lines.length).toBe(texts.length);
  for (const line of process.lines) expect(LINE_TYPES.has(line.type), line.type).toBe(true);
  expect(process.lines.at(-1)?.type).toBe("exit");
}
