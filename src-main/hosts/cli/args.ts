// The command line's grammar: its commands, each one's options and help text, read with node:util's parseArgs in
// strict mode, so that an unknown option, a missing value or a stray argument is a usage error that names it.
// The options every command shares choose the profile (`--profile <name>` under the data root every host of the
// app shares, or `--profile-dir <path>`), the output (`--json`) and whether plain http to this machine is allowed.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DEFAULT_PROFILE, type ProfileLocation } from "../../matrix/paths";
import { HostArgsError, readHostArgs } from "../host-args";

export const PROGRAM = "matrix-qr-login";

/** A mistake on the command line: exit status 2, the message names what is wrong. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    /** The command whose help to point at, if any. */
    readonly command?: CommandName,
  ) {
    super(message);
  }
}

interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** The value's name in the help text (string options). */
  readonly value?: string;
  readonly help: string;
}

const COMMON_OPTIONS = {
  profile: {
    type: "string",
    value: "<name>",
    help: `a profile under the data root (default "${DEFAULT_PROFILE}")`,
  },
  "profile-dir": { type: "string", value: "<path>", help: "a profile in this folder instead" },
  json: {
    type: "boolean",
    help: "machine output: one JSON object per line on stdout, nothing else (human text goes to stderr)",
  },
  "allow-insecure-http": {
    type: "boolean",
    help: "allow plain http, to this machine only (127.0.0.1, [::1], localhost): the local devserver",
  },
  verbose: { type: "boolean", help: "print background errors (redacted) on stderr" },
  help: { type: "boolean", short: "h", help: "this text" },
} as const satisfies Record<string, OptionSpec>;

const FLOW_OPTIONS = {
  show: {
    type: "boolean",
    help: "this device shows the QR code (drawn here, and printed as one base64 line)",
  },
  scan: {
    type: "string",
    value: "<source>",
    help: "this device scans: a PNG file, the code's bytes in base64, or - to read it from stdin",
  },
  version: {
    type: "string",
    value: "v2024|v2025",
    help: "the wire version of a QR code shown here (default v2024)",
  },
  png: { type: "string", value: "<file>", help: "with --show: also write the QR code to this PNG file" },
  transcript: {
    type: "string",
    value: "<file>",
    help: "write the protocol transcript there at the end (Markdown; JSON if the name ends in .json)",
  },
} as const satisfies Record<string, OptionSpec>;

const HOMESERVER = {
  homeserver: {
    type: "string",
    value: "<server>",
    help: "the homeserver: a server name (example.org) or a client-server API URL",
  },
} as const satisfies Record<string, OptionSpec>;

interface CommandSpec {
  readonly summary: string;
  readonly synopsis: string;
  /** What the command does, beyond its summary. */
  readonly about?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** The one positional argument it takes, if any. */
  readonly positional?: { readonly name: string; readonly help: string };
}

const FLOW_ABOUT = `Human mode asks its questions on the terminal (the check code, approving the device, a homeserver
switch) and shows a countdown; Ctrl-C cancels the sign-in properly (the other device is told).
With --json, stdout carries one JSON object per line: {"type":"state","snapshot":...} for every
screen (the QR code as base64), {"type":"transcript","entry":...} for every protocol step,
{"type":"open","url":...} for a page to open, and last {"type":"exit","code":"ok"|<error code>}.
Commands are read from stdin, one JSON object per line, in the app's contract shapes:
  {"type":"submitCheckCode","code":"42"}      {"type":"approveDevice","approve":true}
  {"type":"confirmHomeserver","accept":true}  {"type":"consentOpened"}   {"type":"cancel"}
  {"type":"submitScannedQr","bytes":"<base64>"}
A command the last state does not accept, or a line that is not such an object, is answered
{"type":"rejected","reason":...} and changes nothing.`;

export const COMMANDS = {
  "sign-in": {
    summary: "sign this device in with a QR code (this is the new device)",
    synopsis: "sign-in (--show | --scan <source>) [options]",
    about: FLOW_ABOUT,
    options: { ...FLOW_OPTIONS, ...HOMESERVER },
  },
  link: {
    summary: "let a new device sign in with a QR code (this device is signed in and approves it)",
    synopsis: "link (--show | --scan <source>) [options]",
    about: FLOW_ABOUT,
    options: FLOW_OPTIONS,
  },
  doctor: {
    summary: "check whether a homeserver supports sign-in with a QR code",
    synopsis: "doctor <homeserver> [options]",
    about: `Runs every preflight check, each naming its real cause. Exit status 0 when a QR sign-in can
work, 3 when it cannot; the last line names the missing piece. With --json: one result object.
When the profile is signed in on that homeserver, a server that offers MSC4388 only to signed-in
users is checked with the profile's access token (never printed); otherwise, and when the profile is
in use elsewhere, it checks what a device that is not signed in meets.`,
    options: {},
    positional: { name: "<homeserver>", help: "a server name (example.org) or a client-server API URL" },
  },
  login: {
    summary: "sign this device in with a browser (authorization code with PKCE)",
    synopsis: "login --homeserver <server> [options]",
    about: `Prints the account provider's sign-in page (and opens it where a browser can be opened), then
waits for the browser to come back to this machine (a one-time listener on 127.0.0.1).`,
    options: HOMESERVER,
  },
  bootstrap: {
    summary: "set up encryption (cross-signing, secret storage, key backup) and show the recovery key once",
    synopsis: "bootstrap [options]",
    options: {},
  },
  recover: {
    summary: "get this account's encryption keys with the recovery key, read from stdin",
    synopsis: "recover [options] < recovery-key",
    about: `Reads one line from stdin: the recovery key (never from the command line, where other users of
this machine could see it). In a terminal it asks for it.`,
    options: {},
  },
  devices: {
    summary: "list the account's devices",
    synopsis: "devices [options]",
    options: {},
  },
  logout: {
    summary: "sign this device out (the homeserver removes it)",
    synopsis: "logout [options]",
    options: {},
  },
  whoami: {
    summary: "show who this profile is signed in as (exit status 3 when it is not)",
    synopsis: "whoami [options]",
    options: {},
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

const EXIT_STATUS = `Exit status: 0 done, 2 usage error, 3 the sign-in or the command failed (with --json the
last line names the error code).`;

/** The help text of the whole program. */
export function programHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const rows = Object.entries(COMMANDS).map(
    ([name, spec]) => `  ${name.padEnd(width)}  ${(spec as CommandSpec).summary}`,
  );
  return `usage: ${PROGRAM} <command> [options]    (from the repository: npm run cli -- <command> [options])

Sign in to Matrix with a QR code (MSC4108), as the new device or as the device that approves it,
in both wire versions (v2024, as Element X ships it, and v2025, MSC4388).

Commands:
${rows.join("\n")}

Every command takes --profile <name> or --profile-dir <path>, --json, --allow-insecure-http
and --help. Run "${PROGRAM} <command> --help" for its options.
Profiles live under $MATRIX_QR_LOGIN_HOME, else the user's configuration folder, shared by every host
of the app (the command line, the desktop app, the browser host). For tests and development,
$MATRIX_QR_LOGIN_TIMINGS may shorten the sign-in's waits (JSON, e.g. {"personActing":[{"everyMs":250}]}).

${EXIT_STATUS}
`;
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const left = Object.entries(options).map(([name, spec]) => {
    const short = spec.short === undefined ? "    " : `-${spec.short}, `;
    return `${short}--${name}${spec.value === undefined ? "" : ` ${spec.value}`}`;
  });
  const width = Math.max(...left.map((text) => text.length));
  return Object.values(options).map((spec, i) => `  ${(left[i] ?? "").padEnd(width)}  ${spec.help}`);
}

/** The help text of one command. */
export function commandHelp(name: CommandName): string {
  const spec: CommandSpec = COMMANDS[name];
  const positional =
    spec.positional === undefined
      ? []
      : ["", "Arguments:", `  ${spec.positional.name}  ${spec.positional.help}`];
  const own = Object.keys(spec.options).length === 0 ? [] : ["", "Options:", ...optionLines(spec.options)];
  return [
    `usage: ${PROGRAM} ${spec.synopsis}`,
    "",
    `${spec.summary[0]?.toUpperCase() ?? ""}${spec.summary.slice(1)}.`,
    ...(spec.about === undefined ? [] : ["", spec.about]),
    ...positional,
    ...own,
    "",
    "Common options:",
    ...optionLines(COMMON_OPTIONS),
    "",
    EXIT_STATUS,
    "",
  ].join("\n");
}

export interface CommonArgs {
  readonly json: boolean;
  readonly location: ProfileLocation;
  readonly allowInsecureHttp: boolean;
  readonly verbose: boolean;
}

export type ParsedCommandLine =
  | { readonly kind: "help"; readonly text: string }
  | {
      readonly kind: "run";
      readonly command: CommandName;
      readonly common: CommonArgs;
      readonly values: Readonly<Record<string, string | boolean | undefined>>;
      readonly positionals: readonly string[];
    };

interface NodeParseError {
  readonly code?: string;
  readonly message: string;
}

/** parseArgs' own message, reworded to name the option or argument and nothing else. */
function usageFromParseError(error: NodeParseError, command: CommandName): UsageError {
  const quoted = /'([^']*)'/.exec(error.message)?.[1];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new UsageError(`unknown option ${quoted ?? error.message}`, command);
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const flag = /(--?[A-Za-z][\w-]*)/.exec(error.message)?.[1] ?? quoted ?? "an option";
      return new UsageError(
        error.message.includes("does not take")
          ? `option ${flag} takes no value`
          : `option ${flag} needs a value`,
        command,
      );
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return new UsageError(
        `unexpected argument ${quoted === undefined ? error.message : JSON.stringify(quoted)}`,
        command,
      );
    default:
      return new UsageError(error.message, command);
  }
}

function toParseConfig(
  options: Readonly<Record<string, OptionSpec>>,
): NonNullable<ParseArgsConfig["options"]> {
  return Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [
      name,
      spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short },
    ]),
  );
}

function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

/** Reads the command line (without the node and script paths). Throws UsageError. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError("no command given");
  if (first === "--help" || first === "-h") return { kind: "help", text: programHelp() };
  if (first === "help") {
    const topic = rest[0];
    if (topic === undefined) return { kind: "help", text: programHelp() };
    if (!isCommandName(topic)) throw new UsageError(`unknown command ${JSON.stringify(topic)}`);
    return { kind: "help", text: commandHelp(topic) };
  }
  if (first.startsWith("-")) throw new UsageError(`give the command first, before ${first}`);
  if (!isCommandName(first)) throw new UsageError(`unknown command ${JSON.stringify(first.slice(0, 40))}`);
  const command = first;
  if (wantsHelp(rest)) return { kind: "help", text: commandHelp(command) };
  const spec: CommandSpec = COMMANDS[command];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: spec.positional !== undefined,
      options: toParseConfig({ ...COMMON_OPTIONS, ...spec.options }),
    });
  } catch (error) {
    throw usageFromParseError(error as NodeParseError, command);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (spec.positional !== undefined) {
    if (parsed.positionals.length === 0) throw new UsageError(`${spec.positional.name} is missing`, command);
    if (parsed.positionals.length > 1) {
      throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[1])}`, command);
    }
  }
  return {
    kind: "run",
    command,
    common: commonArgs(values, command),
    values,
    positionals: parsed.positionals,
  };
}

function commonArgs(
  values: Readonly<Record<string, string | boolean | undefined>>,
  command: CommandName,
): CommonArgs {
  const name = values.profile;
  const dir = values["profile-dir"];
  if (typeof name === "string" && typeof dir === "string") {
    throw new UsageError("give --profile or --profile-dir, not both", command);
  }
  // The profile is read as every host reads it (src-main/hosts/host-args.ts): the same names, the same data root.
  let host;
  try {
    host = readHostArgs(
      [
        ...(typeof name === "string" ? [`--profile=${name}`] : []),
        ...(typeof dir === "string" ? [`--profile-dir=${dir}`] : []),
      ],
      { strict: true },
    );
  } catch (error) {
    if (error instanceof HostArgsError) throw new UsageError(error.message, command);
    throw error;
  }
  const [location = { name: DEFAULT_PROFILE }] = host.profiles;
  return {
    json: values.json === true,
    location,
    allowInsecureHttp: values["allow-insecure-http"] === true,
    verbose: values.verbose === true,
  };
}

/** A string option's value, or undefined. */
export function stringOption(
  values: Readonly<Record<string, string | boolean | undefined>>,
  name: string,
): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}
