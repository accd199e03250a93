// The scanning end of a rendezvous: once G has created a session, S joins it through the very QR code G would show
// (encoded, decoded and intent-checked as a scanner does, docs/protocol.md §1, steps A-S1/A-S2), so that whatever
// would stop a real scanner (a session URL the QR cannot carry, an http URL, a URL that does not lead back to the
// server) stops this one too. The doctor's round trip and the flow benchmark use it.
import {
  acceptScannedQr,
  createGeneratorChannel,
  encodeLoginQr,
  joinRendezvous,
  loginQrForSession,
  type RendezvousClientOptions,
  type RendezvousSession,
  type V2024RendezvousSession,
  type V2025RendezvousSession,
} from "../protocol";

export interface RendezvousEndOptions extends RendezvousClientOptions {
  readonly signal: AbortSignal;
}

/**
 * S's end of `session`: the QR code G would show for it (a throwaway key, G as the new device), read back as the
 * existing device reads it, then joined. Throws what a scanner meets: ProtocolError from the QR codec,
 * RendezvousError from the join.
 */
export function joinThroughQr(
  session: V2024RendezvousSession | V2025RendezvousSession,
  options: RendezvousEndOptions,
): Promise<RendezvousSession> {
  const qr = loginQrForSession(session, createGeneratorChannel(session.version), "new_device");
  const scanned = acceptScannedQr(encodeLoginQr(qr), "existing_device");
  return joinRendezvous(scanned, options);
}
