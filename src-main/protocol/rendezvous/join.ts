// S's one entry point over both wire versions: the scanned QR code says where the session is and how to reach
// it. It takes only a QR code whose intent was checked (acceptScannedQr), so that a QR of our own role never
// leads to a request.
import { scannedLoginQr, type ScannedQr } from "../qr/scanned";
import type { RendezvousClientOptions } from "./transport";
import type { RendezvousSession, SignalOption } from "./types";
import { joinV2024Rendezvous } from "./v2024";
import { joinV2025Rendezvous, rendezvousApiForQrPrefix } from "./v2025";

export type JoinRendezvousOptions = RendezvousClientOptions & SignalOption;

export async function joinRendezvous(
  scanned: ScannedQr,
  options: JoinRendezvousOptions,
): Promise<RendezvousSession> {
  const qr = scannedLoginQr(scanned);
  if (qr.version === "v2024") return joinV2024Rendezvous({ ...options, url: qr.rendezvousUrl });
  return joinV2025Rendezvous({
    ...options,
    baseUrl: qr.baseUrl,
    id: qr.rendezvousId,
    api: rendezvousApiForQrPrefix(qr.prefix),
  });
}
