// The scanning device's first step (MSC4108 "QR code intent"; docs/protocol.md §1, steps A-S1 and B-S1): decode
// the QR code and refuse one shown by a device in our own role, before anything touches the network. Joining
// the rendezvous (`joinRendezvous`) and keying the channel (`createScannerChannel`) take only a ScannedQr, and
// only acceptScannedQr makes one, so no path can skip the check.
import type { Intent } from "../types";
import { decodeLoginQr } from "./codec";
import { checkQrIntent } from "./intent";
import type { LoginQr } from "./types";

declare const scannedQrBrand: unique symbol;

/** A sign-in QR code that decoded and was shown by a device in the other role. Made by acceptScannedQr only. */
export interface ScannedQr {
  readonly [scannedQrBrand]: true;
  readonly qr: LoginQr;
  /** The role of this, the scanning, device. */
  readonly ourRole: Intent;
}

/** The values acceptScannedQr made, so that a cast cannot pass for one at runtime either. */
const accepted = new WeakSet<ScannedQr>();

/**
 * Decodes scanned QR bytes and checks their intent against `ourRole`. Throws ProtocolError `not_a_login_qr`,
 * `unsupported_qr_version` or `invalid_qr` as `decodeLoginQr` does, and `wrong_qr` for a QR code shown by a
 * device in our own role (`checkQrIntent`).
 */
export function acceptScannedQr(bytes: Uint8Array, ourRole: Intent): ScannedQr {
  const qr = decodeLoginQr(bytes);
  checkQrIntent(qr, ourRole);
  const scanned = Object.freeze({ qr, ourRole }) as ScannedQr;
  accepted.add(scanned);
  return scanned;
}

/** The QR code inside a ScannedQr; a value acceptScannedQr did not make is our own bug: TypeError. */
export function scannedLoginQr(scanned: ScannedQr): LoginQr {
  if (!accepted.has(scanned)) throw new TypeError("a ScannedQr must come from acceptScannedQr");
  return scanned.qr;
}
