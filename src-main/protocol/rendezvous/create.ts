// G's one entry point over both wire versions: create a rendezvous session for the QR code, whichever version the
// flow speaks, without branching on it (docs/protocol.md §2; join.ts is S's counterpart).
import type { WireVersion } from "../types";
import type { RendezvousClientOptions } from "./transport";
import type { RendezvousApi, SignalOption, V2024RendezvousSession, V2025RendezvousSession } from "./types";
import { createV2024Rendezvous } from "./v2024";
import { createV2025Rendezvous } from "./v2025";

export interface CreateRendezvousOptions extends RendezvousClientOptions, SignalOption {
  /**
   * The homeserver's client-server API base URL: where the session is created, and (v2025) what the QR code and
   * every message's AAD carry, byte for byte.
   */
  readonly baseUrl: string;
  /**
   * v2025: sent where the server creates sessions only for signed-in users (MSC4388 `authenticated` mode).
   * v2024 sends none: MSC4108's create is unauthenticated and may be delegated (307) to another server.
   */
  readonly accessToken?: string;
  /** v2025: which MSC4388 base path, default `unstable` (the only one served today). v2024 has one path. */
  readonly api?: RendezvousApi;
}

export function createRendezvous(
  version: "v2024",
  options: CreateRendezvousOptions,
): Promise<V2024RendezvousSession>;
export function createRendezvous(
  version: "v2025",
  options: CreateRendezvousOptions,
): Promise<V2025RendezvousSession>;
export function createRendezvous(
  version: WireVersion,
  options: CreateRendezvousOptions,
): Promise<V2024RendezvousSession | V2025RendezvousSession>;
export function createRendezvous(
  version: WireVersion,
  options: CreateRendezvousOptions,
): Promise<V2024RendezvousSession | V2025RendezvousSession> {
  const { baseUrl, accessToken, api, ...common } = options;
  if (version === "v2024") return createV2024Rendezvous({ ...common, homeserverUrl: baseUrl });
  return createV2025Rendezvous({
    ...common,
    baseUrl,
    ...(accessToken === undefined ? {} : { accessToken }),
    ...(api === undefined ? {} : { api }),
  });
}
