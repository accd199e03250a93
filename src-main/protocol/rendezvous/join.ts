// S's one entry point over both wire versions: the scanned QR code says where the session is and how to reach it.
import { checkQrIntent } from "../qr/intent";
import type { LoginQr } from "../qr/types";
import type { Intent } from "../types";
import type { RendezvousClientOptions } from "./transport";
import type { RendezvousSession, SignalOption } from "./types";
import { joinV2024Rendezvous } from "./v2024";
import { joinV2025Rendezvous, rendezvousApiForQrPrefix } from "./v2025";

export interface JoinRendezvousOptions extends RendezvousClientOptions, SignalOption {
  /**
   * The role of this (scanning) device. When given, a QR code shown by a device in the same role is refused
   * with ProtocolError `wrong_qr` before any request (PROTOCOL.md §1.3).
   */
  readonly ourRole?: Intent;
}

export async function joinRendezvous(
  qr: LoginQr,
  options: JoinRendezvousOptions,
): Promise<RendezvousSession> {
  if (options.ourRole !== undefined) checkQrIntent(qr, options.ourRole);
  if (qr.version === "v2024") return joinV2024Rendezvous({ ...options, url: qr.rendezvousUrl });
  return joinV2025Rendezvous({
    ...options,
    baseUrl: qr.baseUrl,
    id: qr.rendezvousId,
    api: rendezvousApiForQrPrefix(qr.prefix),
  });
}
