// A pseudo-terminal for the command line's human mode: one program in a detached tmux session on a server of its
// own (its own socket, its own configuration), typed into with send-keys and read with capture-pane, as a person
// at a terminal would see it. tmux from Debian; no native npm add-on. The pane stays after the program exits, so
// its last screen and its exit status can still be read.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
        const [dead = "", status = "", signal = ""] = tmux([
          "display-message",
          "-p",
          "-t",
          session,
          "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}",
        ])
          .trim()
          .split(":");
        // tmux may mark the pane dead a moment before it has recorded how the program ended.
        if (dead === "1" && /^\d+$/.test(status)) return Number(status);
        if (dead === "1" && /^[1-9]\d*$/.test(signal))
          throw new Error(`the program was killed by signal ${signal}; the terminal shows:\n${capture()}`);
        if (Date.now() > deadline)
          throw new Error(`the program did not exit; the terminal shows:\n${capture()}`);
        await sleep(100);
      }
    },
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
