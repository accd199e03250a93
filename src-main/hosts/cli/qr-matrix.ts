// The sign-in QR code's module matrix, from its exact bytes, for the terminal drawing and the PNG file. One byte
// segment built from a Uint8Array: a string would be UTF-8 encoded first and change every byte above 0x7f, and
// the sign-in QR code is binary (docs/protocol.md §1).
import QRCode from "qrcode";

export type ErrorCorrection = "L" | "M" | "Q" | "H";

/** The quiet zone around the symbol, in modules (ISO/IEC 18004 asks for 4). */
export const QUIET_ZONE = 4;

export interface QrMatrix {
  /** Modules per side, without the quiet zone. */
  readonly size: number;
  /** Whether the module at (row, column) is dark; false outside the symbol (the quiet zone). */
  dark(row: number, column: number): boolean;
}

export function qrMatrix(bytes: Uint8Array, level: ErrorCorrection): QrMatrix {
  const code = QRCode.create([{ mode: "byte", data: bytes }], { errorCorrectionLevel: level });
  const size = code.modules.size;
  const data = code.modules.data;
  return {
    size,
    dark: (row, column) =>
      row >= 0 && column >= 0 && row < size && column < size && data[row * size + column] === 1,
  };
}
