// The sign-in QR codec for both wire versions: one entry point that sorts QR bytes by prefix and version byte
// (docs/protocol.md §1.3, with this project's error codes) and one that writes a value back byte for byte.
import { utf8 } from "../bytes";
import { ProtocolError } from "../errors";
import type { Intent } from "../types";
import {
  type LengthWidth,
  OUR_V2025_PROFILE,
  QR_PREFIX_STABLE,
  QR_PREFIX_UNSTABLE,
  QR_TYPE_LOGIN,
} from "../v2025-profile";
import { formatByte, QrReader } from "./reader";
import type { LoginQr, QrPrefix, V2025LoginQr } from "./types";
import { decodeV2024, encodeV2024, V2024_VERSION_BYTE } from "./v2024";
import { decodeV2025, encodeV2025 } from "./v2025";

const STABLE = utf8(QR_PREFIX_STABLE);
const UNSTABLE = utf8(QR_PREFIX_UNSTABLE);

/**
 * Reads a scanned QR code. Throws ProtocolError `not_a_login_qr` (not a Matrix sign-in QR, e.g. a
 * device-verification one), `unsupported_qr_version` (a Matrix QR of a version we do not speak) or
 * `invalid_qr` (a sign-in QR that is malformed).
 */
export function decodeLoginQr(bytes: Uint8Array): LoginQr {
  if (startsWith(bytes, STABLE)) {
    const reader = new QrReader(bytes, STABLE.length);
    // Under the stable prefix this byte is the v2024 version (0x02, shared with device verification) or the
    // MSC4388 type (0x03).
    const versionOrType = reader.byte("version byte");
    if (versionOrType === V2024_VERSION_BYTE) return decodeV2024(reader);
    if (versionOrType === QR_TYPE_LOGIN) return decodeV2025(reader, "MATRIX");
    throw new ProtocolError(
      "unsupported_qr_version",
      `Matrix QR code of version ${formatByte(versionOrType)} (expected 0x02 or 0x03)`,
    );
  }
  if (startsWith(bytes, UNSTABLE)) {
    const reader = new QrReader(bytes, UNSTABLE.length);
    const type = reader.byte("type byte");
    if (type === QR_TYPE_LOGIN) return decodeV2025(reader, "IO_ELEMENT_MSC4388");
    throw new ProtocolError(
      "unsupported_qr_version",
      `MSC4388 QR code of type ${formatByte(type)} (expected ${formatByte(QR_TYPE_LOGIN)})`,
    );
  }
  throw new ProtocolError("not_a_login_qr", 'QR code does not start with "MATRIX" or "IO_ELEMENT_MSC4388"');
}

/**
 * Writes a QR value, with the length widths the value names. Throws TypeError for a value that would not
 * decode again (bad key length, bad URL, server name present for the wrong intent, field too long for its width).
 */
export function encodeLoginQr(qr: LoginQr): Uint8Array {
  switch (qr.version) {
    case "v2024":
      return encodeV2024(qr);
    case "v2025":
      return encodeV2025(qr);
  }
}

/**
 * A new v2025 QR value. Widths default to our profile (docs/protocol.md §3.3) and the prefix to the unstable one,
 * the only one any server or client implements today (docs/protocol.md §1.2). Throws TypeError for invalid fields.
 */
export function newV2025LoginQr(fields: {
  intent: Intent;
  publicKey: Uint8Array;
  rendezvousId: string;
  baseUrl: string;
  prefix?: QrPrefix;
  idLength?: LengthWidth;
  baseUrlLength?: LengthWidth;
}): V2025LoginQr {
  const qr: V2025LoginQr = {
    version: "v2025",
    intent: fields.intent,
    publicKey: fields.publicKey,
    rendezvousId: fields.rendezvousId,
    baseUrl: fields.baseUrl,
    prefix: fields.prefix ?? "IO_ELEMENT_MSC4388",
    idLength: fields.idLength ?? OUR_V2025_PROFILE.qrRendezvousIdLength,
    baseUrlLength: fields.baseUrlLength ?? OUR_V2025_PROFILE.qrBaseUrlLength,
  };
  encodeV2025(qr);
  return qr;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
}
