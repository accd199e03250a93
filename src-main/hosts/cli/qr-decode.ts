// The command line's QR decoder: a picture's RGBA pixels to the symbol's exact bytes, in Node. The renderer
// decodes in a Worker (src-renderer/scanner/decoder.worker.ts); this is its Node twin, and a test holds both to
// the same mixed-segment QR code. zxing turns each segment into text: numeric and alphanumeric segments as
// ASCII characters, byte segments through StringEncoding.decode. With the 1:1 custom decoder below (each byte ->
// the char with that code), `getText()`'s char codes are the bytes of every segment in order. BYTE_SEGMENTS
// alone would drop the numeric and alphanumeric segments, and an ISO-8859-1 hint may be read as windows-1252.
// Where zxing finds nothing (its finder-pattern search misses some clean codes), jsQR reads the picture; its
// `binaryData` is likewise the segments' bytes in order.
import { createRequire } from "node:module";
import type * as Zxing from "@zxing/library";
import jsQR from "jsqr";

// zxing's package gives Node its UMD build, whose exports Node's ESM loader cannot name: load it as CommonJS.
const {
  BinaryBitmap,
  ChecksumException,
  FormatException,
  HybridBinarizer,
  NotFoundException,
  QRCodeReader,
  RGBLuminanceSource,
  ZXingStringEncoding,
} = createRequire(import.meta.url)("@zxing/library") as typeof Zxing;

// A static of the zxing copy this process loaded: the command line decodes nothing else with it.
ZXingStringEncoding.customDecoder = (bytes: Uint8Array): string => {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
};

/** Luminance of RGBA pixels (ITU-R BT.601 weights); transparent pixels count as white paper. */
function luminance(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += 4) {
    const r = rgba[p] ?? 0;
    const g = rgba[p + 1] ?? 0;
    const b = rgba[p + 2] ?? 0;
    const a = rgba[p + 3] ?? 255;
    const lum = (r * 299 + g * 587 + b * 114) / 1000;
    out[i] = Math.round((lum * a + 255 * (255 - a)) / 255);
  }
  return out;
}

/** The text's char codes as bytes; undefined when one is above 0xff (a Kanji or ECI segment: never guessed). */
function textToBytes(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) return undefined;
    bytes[i] = code;
  }
  return bytes;
}

function zxingRead(source: Zxing.LuminanceSource): Uint8Array | "refused" | undefined {
  try {
    const result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)));
    return textToBytes(result.getText()) ?? "refused";
  } catch (error) {
    // "No code here" is an answer; anything else is a bug to surface.
    if (
      error instanceof NotFoundException ||
      error instanceof ChecksumException ||
      error instanceof FormatException
    ) {
      return undefined;
    }
    throw error;
  }
}

/**
 * The exact bytes of the QR code in an RGBA picture, or undefined when none is found. zxing reads it as it is and
 * inverted (a light code on a dark background); jsQR, both ways, where zxing found nothing.
 */
export function decodeQrPixels(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
): Uint8Array | undefined {
  const source = new RGBLuminanceSource(luminance(rgba, width, height), width, height);
  for (const candidate of [source, source.invert()]) {
    const read = zxingRead(candidate);
    if (read === "refused") return undefined;
    if (read !== undefined) return read;
  }
  const pixels =
    rgba instanceof Uint8ClampedArray
      ? rgba
      : new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length);
  const found = jsQR(pixels, width, height, { inversionAttempts: "attemptBoth" });
  if (found === null || found.chunks.some((chunk) => (chunk.type as string) === "kanji")) return undefined;
  return Uint8Array.from(found.binaryData);
}
