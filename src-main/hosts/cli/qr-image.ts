// The QR code as a PNG file: written by the showing side (`--png <file>`) and read by the scanning side
// (`--scan <file>`), so that a test or a user can carry the code from one process to the other as a picture.
// Writing draws the module matrix of the exact bytes (qr-matrix.ts) dark on white with the quiet zone and a
// whole number of pixels per module; reading decodes any PNG with pngjs and hands its pixels to the decoder.
import pngjs from "pngjs";
import { decodeQrPixels } from "./qr-decode";
import { QUIET_ZONE, qrMatrix, type ErrorCorrection } from "./qr-matrix";

const { PNG } = pngjs;

const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= PNG_SIGNATURE.length && PNG_SIGNATURE.every((byte, i) => bytes[i] === byte);
}

/** A PNG of the QR code of `bytes`: `scale` pixels per module, quiet zone included, dark on white. */
export function qrPng(bytes: Uint8Array, level: ErrorCorrection, scale = 8): Buffer {
  const matrix = qrMatrix(bytes, level);
  const side = (matrix.size + 2 * QUIET_ZONE) * scale;
  const png = new PNG({ width: side, height: side, colorType: 6 });
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const dark = matrix.dark(Math.floor(y / scale) - QUIET_ZONE, Math.floor(x / scale) - QUIET_ZONE);
      const p = (y * side + x) * 4;
      const value = dark ? 0 : 255;
      png.data[p] = value;
      png.data[p + 1] = value;
      png.data[p + 2] = value;
      png.data[p + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** The bytes of the QR code in a PNG picture; undefined when there is none; throws on a damaged PNG. */
export function decodeQrPng(file: Uint8Array): Uint8Array | undefined {
  const png = PNG.sync.read(Buffer.from(file.buffer, file.byteOffset, file.byteLength));
  return decodeQrPixels(png.data, png.width, png.height);
}
