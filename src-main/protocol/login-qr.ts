// G's QR code, built from what G already holds: the rendezvous session it created and the channel whose key the
// QR carries. Building it here, rather than field by field in each flow, keeps the base URL and rendezvous ID in
// the QR the very bytes the session binds into every v2025 AAD, and the QR's framing the one that names the
// channel's profile to the scanner (`profileForQrFraming`).
import type { GeneratorChannel } from "./channel/types";
import { isBaseUrl } from "./grammar";
import { newV2025LoginQr } from "./qr/codec";
import type { LoginQr } from "./qr/types";
import type { V2024RendezvousSession, V2025RendezvousSession } from "./rendezvous/types";
import { qrPrefixForRendezvousApi } from "./rendezvous/v2025";
import type { Intent } from "./types";
import { OUR_V2025_PROFILE } from "./v2025-profile";

export interface LoginQrOptions {
  /**
   * v2024, `existing_device` only: the homeserver's base URL for the QR's "server name" field. rust-sdk writes
   * the URL there and Element X resolves it as one (docs/protocol.md §1.1), so a URL is required, not a server name.
   */
  readonly homeserverUrl?: string;
}

/**
 * The QR code G shows for `session`, keyed to `channel`, saying that G is the `intent` device. Throws TypeError
 * when our own code pairs things that do not belong together (a session and a channel of different versions, a
 * v2024 existing-device QR without a homeserver URL).
 */
export function loginQrForSession(
  session: V2024RendezvousSession | V2025RendezvousSession,
  channel: GeneratorChannel,
  intent: Intent,
  options: LoginQrOptions = {},
): LoginQr {
  if (session.version !== channel.version) {
    throw new TypeError(`a ${session.version} session cannot carry a ${channel.version} channel`);
  }
  if (session.version === "v2025") {
    const profile = channel.profile ?? OUR_V2025_PROFILE;
    return newV2025LoginQr({
      intent,
      publicKey: channel.publicKey,
      rendezvousId: session.id,
      baseUrl: session.baseUrl,
      prefix: qrPrefixForRendezvousApi(session.api),
      idLength: profile.qrRendezvousIdLength,
      baseUrlLength: profile.qrBaseUrlLength,
    });
  }
  if (intent === "new_device") {
    return { version: "v2024", intent, publicKey: channel.publicKey, rendezvousUrl: session.url };
  }
  const serverName = options.homeserverUrl;
  if (serverName === undefined || !isBaseUrl(serverName)) {
    throw new TypeError("a v2024 existing-device QR needs the homeserver's base URL (homeserverUrl)");
  }
  return { version: "v2024", intent, publicKey: channel.publicKey, rendezvousUrl: session.url, serverName };
}
