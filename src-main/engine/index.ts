// The engine's face for the hosts (Electron, the browser host, the command line): one factory. Each host calls it
// once per profile it serves and adapts the EngineHost it gets to its transport.
//
// PLACEHOLDER until the engine itself lands: the factory's signature is what the hosts are written
// against; its body only says that the engine is not built yet.
import type { OpenUrlResult } from "../flows/host";
import type { ProfileLocation, SecretStore } from "../matrix";
import type { Runtime } from "../protocol";
import type { EngineHost } from "./host";

export type { EngineEvent, EngineHost } from "./host";

export interface EngineOptions {
  /** Which host runs the engine, named in the profile's lock: `electron`, `browser-host`, `cli`. */
  readonly app: string;
  readonly runtime: Runtime;
  /** The profile to open (and lock) for the engine's lifetime. */
  readonly profile: ProfileLocation;
  /** Where the profile keeps its secrets (default: the file store in the profile's folder). */
  readonly secretStore?: (dir: string) => SecretStore;
  /**
   * Opens a URL outside the app for the user: the consent page, the account page, and `app.openExternal`. The
   * host checks it again (hosts/external-url.ts) and shows its host first; `needs_user` where only the user's
   * own click can open it (the browser host).
   */
  readonly openUrl: (url: string) => Promise<OpenUrlResult>;
  /** Plain http to loopback hosts (the local devserver). */
  readonly allowInsecureHttp?: boolean;
}

export function createEngine(options: EngineOptions): Promise<EngineHost> {
  return Promise.reject(new Error(`the engine is not built yet (asked for by ${options.app})`));
}
