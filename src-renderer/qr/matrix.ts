// The QR code's module matrix from the exact bytes a flow gives us. `qrcode`'s create() gets one byte segment
// built from a Uint8Array: a string would be UTF-8 encoded first and change every byte above 0x7f, and the
// sign-in QR code is binary (docs/protocol.md §1). Drawing is left to QrCode.tsx.
import QRCode from "qrcode";

export type ErrorCorrection = "L" | "M" | "Q" | "H";

/** The quiet zone around the symbol, in modules (ISO/IEC 18004 asks for 4). */
export const QUIET_ZONE = 4;

export interface QrMatrix {
  /** Modules per side, without the quiet zone. */
  readonly size: number;
  /** Row-major, 1 = dark. */
  readonly modules: Uint8Array;
  readonly version: number;
}

export function qrMatrix(bytes: Uint8Array, level: ErrorCorrection): QrMatrix {
  const code = QRCode.create([{ mode: "byte", data: bytes }], { errorCorrectionLevel: level });
  return {
    size: code.modules.size,
    modules: Uint8Array.from(code.modules.data, (dark) => (dark ? 1 : 0)),
    version: code.version,
  };
}

/** One SVG path drawing every dark module as a 1x1 square, offset by the quiet zone. */
export function modulePath(matrix: QrMatrix): string {
  const { size, modules } = matrix;
  let path = "";
  for (let y = 0; y < size; y++) {
    let x = 0;
    while (x < size) {
      if (modules[y * size + x] !== 1) {
        x++;
        continue;
      }
      // A run of dark modules on one row is one rectangle: fewer path commands, no hairline seams.
      let run = 1;
      while (x + run < size && modules[y * size + x + run] === 1) run++;
      path += `M${x + QUIET_ZONE} ${y + QUIET_ZONE}h${run}v1h-${run}z`;
      x += run;
    }
  }
  return path;
}

/** The largest whole number of pixels per module that fits `available` pixels, at least `minimum`. */
export function pixelsPerModule(matrix: QrMatrix, available: number, minimum = 2): number {
  return Math.max(minimum, Math.floor(available / (matrix.size + 2 * QUIET_ZONE)));
}

/** Standard base64 to bytes (the contract carries the QR code's bytes this way). */
export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
