// A child process for the tests that need a second process or one that dies: built by Vite inside the test
// setup (Node 20 cannot run .ts), started with one JSON argument naming what to do, and reporting on stdout as
// JSON lines. Modes:
//   {"mode":"open", "dir"}                          opens the profile and holds it until stdin closes
//   {"mode":"set-up", "dir", "account", "accessToken"} starts the device and sets up encryption
//   {"mode":"write", "file", "bytes"}                writes `bytes` random bytes to `file` atomically
// Each mode loads only what it needs: matrix-js-sdk and the crypto wasm take seconds to load.
import "../../../src-shared/polyfills";
import { randomBytes } from "node:crypto";
import type { ProfileAccount } from "../../../src-main/matrix";

interface Command {
  readonly mode: "open" | "set-up" | "write";
  readonly dir?: string;
  readonly account?: ProfileAccount;
  readonly accessToken?: string;
  readonly file?: string;
  readonly bytes?: number;
}

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function reportError(error: unknown): void {
  const { name, code, holder, file } = error as Record<string, unknown>;
  report({
    event: "error",
    name,
    code,
    holder,
    file,
    message: error instanceof Error ? error.message : String(error),
  });
}

async function main(command: Command): Promise<void> {
  switch (command.mode) {
    case "open": {
      const { Profile } = await import("../../../src-main/matrix/profile");
      const profile = await Profile.open({ location: { dir: command.dir ?? "" }, app: "test-child" });
      report({ event: "opened", pid: process.pid });
      process.stdin.resume();
      await new Promise((resolve) => process.stdin.once("end", resolve));
      await profile.close();
      return;
    }
    case "set-up": {
      const { fixedAccessToken, Profile, startDevice } = await import("../../../src-main/matrix");
      const { createRuntime } = await import("../../../src-main/protocol");
      const profile = await Profile.open({ location: { dir: command.dir ?? "" }, app: "test-child" });
      const device = await startDevice({
        profile,
        runtime: createRuntime(),
        tokens: fixedAccessToken(command.accessToken ?? ""),
        ...(command.account === undefined ? {} : { account: command.account }),
        timings: { deviceKeysTimeoutMs: 4000, pollIntervalMs: 50, firstSyncTimeoutMs: 5000 },
        cryptoStore: { debounceMs: 20, maxDelayMs: 200 },
      });
      report({ event: "started" });
      await device.setUpEncryption(new AbortController().signal);
      report({ event: "set-up" });
      await device.stop();
      await profile.close();
      return;
    }
    case "write": {
      const { writeFileAtomic } = await import("../../../src-main/matrix/atomic-file");
      await writeFileAtomic(command.file ?? "", randomBytes(command.bytes ?? 0));
      report({ event: "written" });
      return;
    }
  }
}

main(JSON.parse(process.argv[2] ?? "{}") as Command).then(
  () => {
    process.exit(0);
  },
  (error: unknown) => {
    reportError(error);
    process.exit(1);
  },
);
