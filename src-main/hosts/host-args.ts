// The options every host of the engine shares on its command line: which profile(s) (`--profile <name>` under
// the data root every host shares, or `--profile-dir <path>` for an explicit folder) and whether plain http to
// this machine is allowed (`--allow-insecure-http`, for the local devserver). Electron passes its own switches
// through (Chromium's, Playwright's `--remote-debugging-port`), so it reads leniently; the browser host strictly.
import { parseArgs } from "node:util";
import { DEFAULT_PROFILE, isProfileName, type ProfileLocation } from "../matrix/paths";

export interface HostArgs {
  /** In the order given; the default profile when none is named. */
  readonly profiles: readonly ProfileLocation[];
  readonly allowInsecureHttp: boolean;
  /** The browser host: do not open a browser window. */
  readonly noOpen: boolean;
  /** Start the local demo at once (`npm run demo`): two windows, no profile of the user's. */
  readonly demo: boolean;
  readonly help: boolean;
}

export class HostArgsError extends Error {
  override readonly name = "HostArgsError";
}

export interface ReadHostArgsOptions {
  /** Refuse unknown options and positionals (the browser host); Electron's own switches pass otherwise. */
  readonly strict: boolean;
}

export function readHostArgs(argv: readonly string[], options: ReadHostArgsOptions): HostArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: options.strict,
      allowPositionals: !options.strict,
      options: {
        profile: { type: "string", multiple: true },
        "profile-dir": { type: "string", multiple: true },
        "allow-insecure-http": { type: "boolean" },
        "no-open": { type: "boolean" },
        demo: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new HostArgsError((error as Error).message);
  }
  const { values } = parsed;
  const names = asStrings(values.profile, "--profile");
  const dirs = asStrings(values["profile-dir"], "--profile-dir");
  for (const name of names) {
    if (!isProfileName(name)) {
      throw new HostArgsError(
        `--profile ${JSON.stringify(name.slice(0, 80))}: a profile name is 1-64 letters, digits, '.', '_' or '-', not starting with '.'`,
      );
    }
  }
  for (const dir of dirs) if (dir === "") throw new HostArgsError("--profile-dir needs a folder");
  const profiles: ProfileLocation[] = [...names.map((name) => ({ name })), ...dirs.map((dir) => ({ dir }))];
  return {
    profiles: profiles.length === 0 ? [{ name: DEFAULT_PROFILE }] : profiles,
    allowInsecureHttp: values["allow-insecure-http"] === true,
    noOpen: values["no-open"] === true,
    demo: values.demo === true,
    help: values.help === true,
  };
}

/** A lenient parse turns `--profile` without a value into `true`: that is a mistake, not a profile. */
function asStrings(value: unknown, flag: string): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return list.map((item) => {
    if (typeof item !== "string") throw new HostArgsError(`${flag} needs a value`);
    return item;
  });
}

/** A profile location as the user would recognise it in a message. */
export function describeProfile(location: ProfileLocation): string {
  return "name" in location ? `profile ${location.name}` : `profile folder ${location.dir}`;
}
