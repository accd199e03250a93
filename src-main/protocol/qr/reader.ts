// A cursor over QR bytes. Every read that runs past the end fails with `invalid_qr` naming the field, so a
// truncation anywhere is reported the same way and never as an out-of-range read.
import { decodeUtf8 } from "../bytes";
import { ProtocolError } from "../errors";
import type { LengthWidth } from "../length-prefix";

export class QrReader {
  #offset: number;
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array, offset = 0) {
    this.#bytes = bytes;
    this.#offset = offset;
  }

  fork(): QrReader {
    return new QrReader(this.#bytes, this.#offset);
  }

  /** The next byte without consuming it, or undefined at the end. */
  peek(): number | undefined {
    return this.#bytes[this.#offset];
  }

  byte(field: string): number {
    return this.take(1, field)[0] ?? 0;
  }

  take(length: number, field: string): Uint8Array {
    const remaining = this.#bytes.length - this.#offset;
    if (length > remaining) {
      throw new ProtocolError(
        "invalid_qr",
        `QR code is cut short: the ${field} needs ${length} bytes but only ${remaining} remain`,
      );
    }
    const out = this.#bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  /** A big-endian length prefix of the given width. */
  length(width: LengthWidth, field: string): number {
    const bytes = this.take(width === "u8" ? 1 : 2, `${field} length`);
    return width === "u8" ? (bytes[0] ?? 0) : ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
  }

  /** A length-prefixed string, strict UTF-8, not empty. */
  lengthPrefixedText(width: LengthWidth, field: string): string {
    const length = this.length(width, field);
    if (length === 0) throw new ProtocolError("invalid_qr", `QR code has an empty ${field}`);
    const text = decodeUtf8(this.take(length, field));
    if (text === undefined) throw new ProtocolError("invalid_qr", `QR code's ${field} is not valid UTF-8`);
    return text;
  }

  end(): void {
    const trailing = this.#bytes.length - this.#offset;
    if (trailing > 0) {
      throw new ProtocolError("invalid_qr", `QR code has ${trailing} unexpected bytes after its last field`);
    }
  }
}

/** Turns a grammar rule's complaint (../grammar.ts) into the decoder's error. */
export function rejectField(field: string, problem: string | undefined): void {
  if (problem !== undefined) throw new ProtocolError("invalid_qr", `QR code's ${field} ${problem}`);
}

export function formatByte(byte: number): string {
  return `0x${byte.toString(16).padStart(2, "0")}`;
}
