// A pseudo-terminal for the command line's human mode: one program in a detached tmux session on a server of its
// own (its own socket, its own configuration), typed into with send-keys and read with capture-pane, as a person
// at a terminal would see it. tmux from Debian; no native npm add-on. The pane stays after the program exits, so
// its last screen can still be read. The exit status comes from a `sh` between tmux and the program, which writes
// it to a file: tmux 3.3a, on a loaded machine, has been seen to leave the exited program a zombie it never reaps,
// with the pane dead and no status.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Terminal {
  /** Everything the terminal showed, scrollback included, without colours (one line per row, wraps joined). */
  capture(): string;
  /** Types `text` and Enter. */
  typeLine(text: string): void;
  /** Resolves with the capture once `pattern` appears in it; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The program's exit status once it has exited (polls), or rejects after `timeoutMs`. */
  exitStatus(timeoutMs?: number): Promise<number>;
  /** The process ID of the program (the child of the pane's `sh`), or of the `sh` before it has started. */
  pid(): number;
  /** The pseudo-terminal's device path (/dev/pts/N). */
  tty(): string;
  /** Ends the tmux server of this terminal (and the program, if it still runs). */
  close(): void;
}

let count = 0;

/** Whether tmux can be run here. */
export function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Starts `command` (no shell) in a terminal of `columns` x `rows` with exactly `env`. */
export function openTerminal(
  command: readonly string[],
  env: Readonly<Record<string, string>>,
  size: { readonly columns: number; readonly rows: number } = { columns: 120, rows: 50 },
): Terminal {
  count += 1;
  const folder = mkdtempSync(join(tmpdir(), "mql-tmux-"));
  const socket = join(folder, "socket");
  const statusFile = join(folder, "status");
  const config = join(folder, "tmux.conf");
  writeFileSync(
    config,
    ["set -g history-limit 50000", "set -g remain-on-exit on", "set -g status off", ""].join("\n"),
  );
  const tmux = (args: readonly string[]): string =>
    execFileSync("tmux", ["-u", "-S", socket, "-f", config, ...args], {
      encoding: "utf8",
      env: { ...env, LC_ALL: "C.UTF-8" },
    });
  const session = `cli${count}`;
  const environment = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  tmux([
    "new-session",
    "-d",
    "-s",
    session,
    "-x",
    String(size.columns),
    "-y",
    String(size.rows),
    // $0 is the status file; the program's own arguments pass through "$@" unquoted by nobody.
    "sh",
    "-c",
    '"$@"; echo "$?" > "$0"',
    statusFile,
    "env",
    "-i",
    ...environment,
    "TERM=xterm-256color",
    "LC_ALL=C.UTF-8",
    ...command,
  ]);

  const capture = (): string => tmux(["capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", session]);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  return {
    capture,
    typeLine: (text) => {
      if (text !== "") tmux(["send-keys", "-t", session, "-l", text]);
      tmux(["send-keys", "-t", session, "Enter"]);
    },
    waitFor: async (pattern, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = capture();
        if (pattern.test(text)) return text;
        if (Date.now() > deadline)
          throw new Error(`the terminal never showed ${String(pattern)}; it shows:\n${text}`);
        await sleep(100);
      }
    },
    exitStatus: async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const written = existsSync(statusFile) ? readFileSync(statusFile, "utf8").trim() : "";
        if (/^\d+$/.test(written)) {
          // sh reports a program killed by signal N as 128 + N.
          const status = Number(written);
          if (status > 128)
            throw new Error(
              `the program was killed by signal ${status - 128}; the terminal shows:\n${capture()}`,
            );
          return status;
        }
        if (Date.now() > deadline) {
          const pane = tmux([
            "display-message",
            "-p",
            "-t",
            session,
            "#{pane_dead}:#{pane_dead_status}",
          ]).trim();
          throw new Error(
            `the program did not exit (tmux says pane_dead:status ${pane}); the terminal shows:\n${capture()}`,
          );
        }
        await sleep(100);
      }
    },
    pid: () => {
      const shell = tmux(["display-message", "-p", "-t", session, "#{pane_pid}"]).trim();
      const children = existsSync(`/proc/${shell}/task/${shell}/children`)
        ? readFileSync(`/proc/${shell}/task/${shell}/children`, "utf8").trim().split(" ")
        : [];
      return Number(children[0] || shell);
    },
    tty: () => tmux(["display-message", "-p", "-t", session, "#{pane_tty}"]).trim(),
    close: () => {
      try {
        tmux(["kill-server"]);
      } catch (error) {
        // A server that has gone already (it ends with its last session) is what closing wants.
        if (!/no server running|error connecting/i.test(String((error as { stderr?: unknown }).stderr)))
          throw error;
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
