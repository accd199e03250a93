// The terminal the human-mode tests type into (test/helpers/tmux.ts) reports how its program ended: the status
// it exited with, or the signal that killed it, read from the `sh` between tmux and the program.
import { describe, expect, it } from "vitest";
import { hasTmux, openTerminal } from "../helpers/tmux";

const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

describe.skipIf(!hasTmux())("the test terminal", () => {
  it("reads what the program printed, what it was typed, and its exit status", async () => {
    const terminal = openTerminal(["sh", "-c", 'read line; echo "got $line"; exit 3'], ENV);
    try {
      terminal.typeLine("hello");
      await terminal.waitFor(/got hello/);
      expect(await terminal.exitStatus()).toBe(3);
    } finally {
      terminal.close();
    }
  });

  it("names the signal that killed the program", async () => {
    const terminal = openTerminal(["sh", "-c", "kill -TERM $$"], ENV);
    try {
      await expect(terminal.exitStatus()).rejects.toThrow(/killed by signal 15/);
    } finally {
      terminal.close();
    }
  });

  it("says the program did not exit, with what the terminal shows", async () => {
    const terminal = openTerminal(["sh", "-c", "echo waiting; sleep 30"], ENV);
    try {
      await terminal.waitFor(/waiting/);
      await expect(terminal.exitStatus(300)).rejects.toThrow(/did not exit[\s\S]*waiting/);
    } finally {
      terminal.close();
    }
  });
});
