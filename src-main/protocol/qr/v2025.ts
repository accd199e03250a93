// The 2025 sign-in QR code, MSC4388 "QR code format" (docs/protocol.md §1.2, §3.3):
//   prefix ("MATRIX" | "IO_ELEMENT_MSC4388") 0x03 intent(0x00|0x01) key[32] len + rendezvous ID, len + base URL
// Each length is u8 or u16 depending on who wrote the QR (MSC text, rust-sdk main, rust-sdk branch), and
// nothing in the bytes says which, so the decoder tries every reading (docs/protocol.md §1.3) and records the
// widths it found so that re-encoding gives the same bytes.
import { concatBytes, utf8 } from "../bytes";
import { ProtocolError } from "../errors";
import type { Intent } from "../types";
import type { LengthWidth } from "../length-prefix";
import { QR_PREFIX_STABLE, QR_PREFIX_UNSTABLE, QR_TYPE_LOGIN } from "../v2025-profile";
import { baseUrlProblem, opaqueIdProblem } from "../grammar";
import { PUBLIC_KEY_LENGTH } from "./fields";
import { formatByte, type QrReader, rejectField } from "./reader";
import type { QrPrefix, V2025LoginQr } from "./types";
import { encodeText, publicKeyBytes } from "./writer";

const INTENT_NEW_DEVICE = 0x00;
const INTENT_EXISTING_DEVICE = 0x01;
const WIDTHS: readonly LengthWidth[] = ["u8", "u16"];
const PREFIX_TEXT = new Map<string, string>([
  ["MATRIX", QR_PREFIX_STABLE],
  ["IO_ELEMENT_MSC4388", QR_PREFIX_UNSTABLE],
]);

/** Reads what follows the prefix and the type byte 0x03. */
export function decodeV2025(reader: QrReader, prefix: QrPrefix): V2025LoginQr {
  const intentByte = reader.byte("intent byte");
  const intent = intentFromByte(intentByte);
  const publicKey = reader.take(PUBLIC_KEY_LENGTH, "public key");

  const readings: V2025LoginQr[] = [];
  let likelyError: ProtocolError | undefined;
  for (const idLength of WIDTHS) {
    for (const baseUrlLength of WIDTHS) {
      const attempt = reader.fork();
      // When no reading fits, report the failure of the one a person would read: a first length byte of 0x00
      // is the high byte of a u16 (an empty field is invalid), anything else a u8.
      let likely = naturalWidth(attempt.peek()) === idLength;
      try {
        const rendezvousId = attempt.lengthPrefixedText(idLength, "rendezvous ID");
        rejectField("rendezvous ID", opaqueIdProblem(rendezvousId));
        likely &&= naturalWidth(attempt.peek()) === baseUrlLength;
        const baseUrl = attempt.lengthPrefixedText(baseUrlLength, "base URL");
        rejectField("base URL", baseUrlProblem(baseUrl));
        attempt.end();
        readings.push({
          version: "v2025",
          intent,
          publicKey,
          rendezvousId,
          baseUrl,
          prefix,
          idLength,
          baseUrlLength,
        });
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        if (likely) likelyError = error;
      }
    }
  }
  const [only, ...others] = readings;
  if (only !== undefined && others.length === 0) return only;
  // Non-empty fields and IDs of at most 255 bytes leave no two readings that both fit today; refusing rather
  // than picking one keeps a future looser field rule from choosing silently.
  if (only !== undefined) {
    throw new ProtocolError("invalid_qr", "QR code's length prefixes can be read in more than one way");
  }
  throw likelyError ?? new ProtocolError("invalid_qr", "QR code's length prefixes fit no known framing");
}

/** Writes the whole QR; throws TypeError for a value that would not decode. */
export function encodeV2025(qr: V2025LoginQr): Uint8Array {
  // The type system already says so; this guards values that crossed a process boundary.
  const prefixText = PREFIX_TEXT.get(qr.prefix);
  if (prefixText === undefined) throw new TypeError("Unknown QR prefix");
  if (!WIDTHS.includes(qr.idLength) || !WIDTHS.includes(qr.baseUrlLength)) {
    throw new TypeError("QR length widths must be u8 or u16");
  }
  return concatBytes(
    utf8(prefixText),
    Uint8Array.of(QR_TYPE_LOGIN, intentByteFor(qr.intent)),
    publicKeyBytes(qr.publicKey),
    encodeText(qr.rendezvousId, qr.idLength, "rendezvous ID", opaqueIdProblem),
    encodeText(qr.baseUrl, qr.baseUrlLength, "base URL", baseUrlProblem),
  );
}

function naturalWidth(firstLengthByte: number | undefined): LengthWidth {
  return firstLengthByte === 0 ? "u16" : "u8";
}

function intentFromByte(byte: number): Intent {
  if (byte === INTENT_NEW_DEVICE) return "new_device";
  if (byte === INTENT_EXISTING_DEVICE) return "existing_device";
  throw new ProtocolError("invalid_qr", `QR code has intent ${formatByte(byte)} (expected 0x00 or 0x01)`);
}

function intentByteFor(intent: Intent): number {
  switch (intent) {
    case "new_device":
      return INTENT_NEW_DEVICE;
    case "existing_device":
      return INTENT_EXISTING_DEVICE;
  }
}
