// The scanner's first check (MSC4108 "QR code intent"; docs/protocol.md §1.3, §5 step A-S1): the QR code must
// come from a device in the other role. Two new devices, or two signed-in ones, have nothing to give each
// other, and saying so before any request spares the user a rendezvous that can only fail later.
import { ProtocolError } from "../errors";
import type { Intent } from "../types";
import type { LoginQr } from "./types";

/**
 * Throws ProtocolError `wrong_qr` when `qr` was shown by a device in `ourRole`, the role of the device that
 * scanned it: a new device must scan an existing device's QR code, and the other way round.
 */
export function checkQrIntent(qr: LoginQr, ourRole: Intent): void {
  if (qr.intent !== ourRole) return;
  throw new ProtocolError(
    "wrong_qr",
    ourRole === "new_device"
      ? "This QR code is shown by another device that wants to sign in: scan the one on a signed-in device"
      : "This QR code is shown by a device that is already signed in: scan the one on the new device",
  );
}
