// Where profiles live: one data root shared by every host of the app (command line, browser host, Electron), so
// that they all see the same profiles and honour the same locks. `$MATRIX_QR_LOGIN_HOME` overrides the platform's
// per-user configuration folder; profiles are `profiles/<name>/` under it.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export const APP_DIR_NAME = "matrix-qr-login";
export const DEFAULT_PROFILE = "default";

/** Profile names are folder names on every platform: letters, digits, `.`, `_`, `-`; not starting with `.`. */
const PROFILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

export interface DataRootEnvironment {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly platform?: NodeJS.Platform;
  readonly home?: string;
}

/** The data root: `$MATRIX_QR_LOGIN_HOME`, else the platform's per-user configuration folder. */
export function dataRoot(environment: DataRootEnvironment = {}): string {
  const env = environment.env ?? process.env;
  const platform = environment.platform ?? process.platform;
  const home = environment.home ?? homedir();
  const override = env.MATRIX_QR_LOGIN_HOME;
  if (override !== undefined && override !== "") return resolve(override);
  switch (platform) {
    case "darwin":
      return join(home, "Library", "Application Support", APP_DIR_NAME);
    case "win32":
      return join(env.APPDATA ?? join(home, "AppData", "Roaming"), APP_DIR_NAME);
    default: {
      const xdg = env.XDG_CONFIG_HOME;
      return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, ".config"), APP_DIR_NAME);
    }
  }
}

export function isProfileName(name: string): boolean {
  return PROFILE_NAME.test(name);
}

export type ProfileLocation = { readonly name: string } | { readonly dir: string };

/** A profile's directory: `<data root>/profiles/<name>`, or the folder given. Bad names are a TypeError. */
export function resolveProfileDir(location: ProfileLocation, environment: DataRootEnvironment = {}): string {
  if ("dir" in location) return resolve(location.dir);
  if (!isProfileName(location.name)) {
    throw new TypeError("a profile name is 1-64 letters, digits, '.', '_' or '-', not starting with '.'");
  }
  return join(dataRoot(environment), "profiles", location.name);
}
