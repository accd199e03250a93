// The QR decoder, in a dedicated Worker: the only module that imports zxing's reader. It returns the symbol's
// exact bytes. zxing turns each segment into text: numeric and alphanumeric segments as ASCII characters, byte
// segments through StringEncoding.decode. With the 1:1 custom decoder below (each byte -> the char with that
// code), `getText()`'s char codes are the bytes of every segment in order. Two tempting shortcuts lose bytes:
// BYTE_SEGMENTS alone drops numeric and alphanumeric segments, and the ISO-8859-1 hint is decoded as
// windows-1252 by browsers' TextDecoder (0x80-0x9f change). The decoder is set here, in the worker's own realm,
// because it is a static of the zxing copy this realm loaded.
import {
  BinaryBitmap,
  ChecksumException,
  DecodeHintType,
  FormatException,
  HybridBinarizer,
  NotFoundException,
  QRCodeReader,
  RGBLuminanceSource,
  ZXingStringEncoding,
} from "@zxing/library";

ZXingStringEncoding.customDecoder = (bytes: Uint8Array): string => {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
};

/** What the page sends: an image to decode, with an id to match the answer. */
export interface DecodeRequest {
  readonly id: number;
  readonly image: ImageBitmap;
}

export type DecodeResponse =
  | { readonly id: number; readonly ok: true; readonly bytes: Uint8Array }
  | { readonly id: number; readonly ok: false; readonly reason: "not_found" | "unreadable" };

/** Luminance of RGBA pixels (ITU-R BT.601 weights, integer arithmetic). */
export function luminance(
  rgba: Uint8ClampedArray | Uint8Array,
  width: number,
  height: number,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += 4) {
    const r = rgba[p] ?? 0;
    const g = rgba[p + 1] ?? 0;
    const b = rgba[p + 2] ?? 0;
    const a = rgba[p + 3] ?? 255;
    // Transparent pixels count as white paper, as they show on a light page.
    const lum = (r * 299 + g * 587 + b * 114) / 1000;
    out[i] = Math.round((lum * a + 255 * (255 - a)) / 255);
  }
  return out;
}

function textToBytes(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Only an ECI or Kanji segment decoded without our decoder could give more than a byte; refuse, never guess.
    if (code > 0xff) return undefined;
    bytes[i] = code;
  }
  return bytes;
}

const HINTS = new Map<DecodeHintType, unknown>([[DecodeHintType.TRY_HARDER, true]]);

/**
 * The exact bytes of the QR code in an RGBA image, or undefined when none is found. Tries the image as it is
 * and then inverted (a light code on a dark screen).
 */
export function decodeRgba(
  rgba: Uint8ClampedArray | Uint8Array,
  width: number,
  height: number,
): Uint8Array | undefined {
  const source = new RGBLuminanceSource(luminance(rgba, width, height), width, height);
  for (const candidate of [source, source.invert()]) {
    try {
      const result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(candidate)), HINTS);
      return textToBytes(result.getText());
    } catch (error) {
      // "No code here" is an answer, not a failure; anything else is a bug to surface.
      if (
        error instanceof NotFoundException ||
        error instanceof ChecksumException ||
        error instanceof FormatException
      ) {
        continue;
      }
      throw error;
    }
  }
  return undefined;
}

function decodeBitmap(image: ImageBitmap): Uint8Array | undefined {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (context === null) throw new Error("no 2d context in the decoder worker");
  context.drawImage(image, 0, 0);
  image.close();
  const data = context.getImageData(0, 0, canvas.width, canvas.height);
  return decodeRgba(data.data, data.width, data.height);
}

// Registered only when this module runs as a worker (unit tests import decodeRgba in Node).
const scope = globalThis as unknown as {
  WorkerGlobalScope?: unknown;
  addEventListener?: (type: "message", listener: (event: MessageEvent<DecodeRequest>) => void) => void;
  postMessage?: (message: DecodeResponse) => void;
};
if (scope.WorkerGlobalScope !== undefined && scope.addEventListener !== undefined) {
  scope.addEventListener("message", (event) => {
    const { id, image } = event.data;
    let response: DecodeResponse;
    try {
      const bytes = decodeBitmap(image);
      response = bytes === undefined ? { id, ok: false, reason: "not_found" } : { id, ok: true, bytes };
    } catch (error) {
      console.error("QR decoder failed", error);
      response = { id, ok: false, reason: "unreadable" };
    }
    scope.postMessage?.(response);
  });
}
