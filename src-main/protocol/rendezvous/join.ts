// S's one entry point over both wire versions: the scanned QR code says where the session is and how to reach it.
import type { LoginQr } from "../qr/types";
import type { RendezvousClientOptions } from "./transport";
import type { RendezvousSession, SignalOption } from "./types";
import { joinV2024Rendezvous } from "./v2024";
import { joinV2025Rendezvous, rendezvousApiForQrPrefix } from "./v2025";

export function joinRendezvous(
  qr: LoginQr,
  options: RendezvousClientOptions & SignalOption,
): Promise<RendezvousSession> {
  if (qr.version === "v2024") return joinV2024Rendezvous({ ...options, url: qr.rendezvousUrl });
  return joinV2025Rendezvous({
    ...options,
    baseUrl: qr.baseUrl,
    id: qr.rendezvousId,
    api: rendezvousApiForQrPrefix(qr.prefix),
  });
}
