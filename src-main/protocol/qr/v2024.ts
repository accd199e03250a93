// The 2024 sign-in QR code, MSC4108 @87f8317 "QR code format" (docs/protocol.md §1.1):
//   "MATRIX" 0x02 mode(0x03|0x04) key[32] u16 len + rendezvous URL [u16 len + server name, mode 0x04 only]
// The version byte 0x02 is shared with device-verification QR codes, which use modes 0x00-0x02.
import { concatBytes, utf8 } from "../bytes";
import { ProtocolError } from "../errors";
import type { Intent } from "../types";
import { QR_PREFIX_STABLE } from "../v2025-profile";
import { httpUrlProblem, serverNameOrUrlProblem } from "../grammar";
import { PUBLIC_KEY_LENGTH } from "./fields";
import { formatByte, rejectField, type QrReader } from "./reader";
import type { V2024LoginQr } from "./types";
import { encodeText, publicKeyBytes } from "./writer";

export const V2024_VERSION_BYTE = 0x02;
const MODE_LOGIN = 0x03;
const MODE_RECIPROCATE = 0x04;
/** Spec "QR code format" for device verification: modes 0x00, 0x01, 0x02. */
const LAST_VERIFICATION_MODE = 0x02;

/** Reads what follows `MATRIX 0x02`. */
export function decodeV2024(reader: QrReader): V2024LoginQr {
  const mode = reader.byte("mode byte");
  if (mode <= LAST_VERIFICATION_MODE) {
    throw new ProtocolError("not_a_login_qr", "This is a device-verification QR code, not a sign-in QR code");
  }
  if (mode !== MODE_LOGIN && mode !== MODE_RECIPROCATE) {
    throw new ProtocolError("invalid_qr", `QR code has mode ${formatByte(mode)} (expected 0x03 or 0x04)`);
  }
  const publicKey = reader.take(PUBLIC_KEY_LENGTH, "public key");
  const rendezvousUrl = reader.lengthPrefixedText("u16", "rendezvous URL");
  rejectField("rendezvous URL", httpUrlProblem(rendezvousUrl));
  if (mode === MODE_LOGIN) {
    reader.end();
    return { version: "v2024", intent: "new_device", publicKey, rendezvousUrl };
  }
  const serverName = reader.lengthPrefixedText("u16", "server name");
  rejectField("server name", serverNameOrUrlProblem(serverName));
  reader.end();
  return { version: "v2024", intent: "existing_device", publicKey, rendezvousUrl, serverName };
}

/** Writes the whole QR; throws TypeError for a value that would not decode. */
export function encodeV2024(qr: V2024LoginQr): Uint8Array {
  const mode = modeFor(qr.intent);
  if ((mode === MODE_RECIPROCATE) !== (qr.serverName !== undefined)) {
    throw new TypeError("A v2024 QR has a server name exactly when its intent is existing_device");
  }
  const url = encodeText(qr.rendezvousUrl, "u16", "rendezvous URL", httpUrlProblem);
  const server =
    qr.serverName === undefined
      ? []
      : [encodeText(qr.serverName, "u16", "server name", serverNameOrUrlProblem)];
  return concatBytes(
    utf8(QR_PREFIX_STABLE),
    Uint8Array.of(V2024_VERSION_BYTE, mode),
    publicKeyBytes(qr.publicKey),
    url,
    ...server,
  );
}

function modeFor(intent: Intent): number {
  switch (intent) {
    case "new_device":
      return MODE_LOGIN;
    case "existing_device":
      return MODE_RECIPROCATE;
  }
}
