// The command line's QR decoder: a picture's RGBA pixels to the symbol's exact bytes, in Node. It is the
// renderer's decoder itself (src-renderer/scanner/decoder.worker.ts, whose decodeRgba runs outside a Worker too):
// zxing with the 1:1 custom decoder, read at a few scales and inverted, then jsQR, so every segment's bytes come
// back in order (numeric and alphanumeric segments included, 0x80-0x9f unchanged) and a Kanji segment is refused.
// The Node build bundles zxing's ESM modules (vite.node.config.ts), which Node cannot load from the package.
import { decodeRgba, loadJsQR } from "../../../src-renderer/scanner/decoder.worker";

// jsQR reads the still pictures zxing misses; the command line only reads still pictures.
await loadJsQR();

/** The exact bytes of the QR code in an RGBA picture, or undefined when none is found. */
export function decodeQrPixels(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
): Uint8Array | undefined {
  return decodeRgba(rgba, width, height, "still");
}
