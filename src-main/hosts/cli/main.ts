// The command line host (`npm run cli -- <command>`, or the `matrix-qr-login` bin): reads the command line, runs
// one command against the engine of one profile, and exits 0 (done), 2 (usage error, naming what is wrong) or 3
// (the sign-in or the command failed; with --json the last line names the error code). Built to out/node/cli.js
// (vite.node.config.ts). Everything user-facing about each command is in args.ts (its --help).
import "../../../src-shared/polyfills";
import { logger as rootLogger } from "matrix-js-sdk/lib/logger.js";
import { toFlowError } from "../../../src-shared/errors";
import { PROGRAM, parseCommandLine, stringOption, UsageError } from "./args";
import { EXIT, type CliContext } from "./context";
import { errorLines } from "./copy";
import { readFlowArgs } from "./flow-args";
import { Output, type CliStreams } from "./io";

// matrix-js-sdk's rendezvous and OAuth modules log to its root logger (loglevel), which has no per-client option;
// the device's own logger is silent already. Some of those lines are about keys.
// eslint-disable-next-line @typescript-eslint/no-deprecated -- the only way to quiet those modules
(rootLogger as unknown as { setLevel(level: string): void }).setLevel("silent");

function interruptHandler(listener: () => void): () => void {
  process.on("SIGINT", listener);
  process.on("SIGTERM", listener);
  return () => {
    process.off("SIGINT", listener);
    process.off("SIGTERM", listener);
  };
}

async function run(
  argv: readonly string[],
  streams: CliStreams,
  exit: (code: number) => void,
): Promise<number> {
  let json = argv.includes("--json");
  let out = new Output(streams, json);
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === "help") {
      streams.stdout.write(parsed.text);
      return EXIT.ok;
    }
    json = parsed.common.json;
    out = new Output(streams, json);
    const context: CliContext = { streams, out, onInterrupt: interruptHandler, exit };
    // The engine (matrix-js-sdk, the crypto) loads only for a command that runs: help and usage errors are instant.
    switch (parsed.command) {
      case "sign-in":
      case "link": {
        const args = readFlowArgs(parsed.command, parsed.values);
        const { runFlowCommand } = await import("./flow-command");
        return await runFlowCommand(context, parsed.command, parsed.common, args);
      }
      case "doctor": {
        const { runDoctorCommand } = await import("./doctor-command");
        return await runDoctorCommand(context, parsed.common, parsed.positionals[0] ?? "");
      }
      default: {
        if (parsed.command === "login" && stringOption(parsed.values, "homeserver") === undefined) {
          throw new UsageError("give --homeserver <server>", "login");
        }
        const { runAccountCommand } = await import("./account-commands");
        return await runAccountCommand(context, parsed.command, parsed.common, parsed.values);
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const help = error.command === undefined ? `${PROGRAM} --help` : `${PROGRAM} ${error.command} --help`;
      streams.stderr.write(`${PROGRAM}: ${error.message}\nSee "${help}".\n`);
      return EXIT.usage;
    }
    const folded = toFlowError(error);
    for (const line of errorLines(folded, "existing_device")) out.say(line);
    if (folded.code === "internal_error" && error instanceof Error && argv.includes("--verbose")) {
      out.say(error.stack ?? error.message);
    }
    out.line({ type: "exit", code: folded.code });
    return EXIT.failed;
  }
}

const streams: CliStreams = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  platform: process.platform,
};

/** Exits once stdout and stderr have handed everything to the OS (a pipe's reader gets every line). */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = (): void => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}

run(process.argv.slice(2), streams, exitAfterFlush).then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(
    `${PROGRAM}: a bug: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  exitAfterFlush(EXIT.bug);
});
