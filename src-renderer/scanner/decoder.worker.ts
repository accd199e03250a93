// The QR decoder, in a dedicated Worker: the only module that imports zxing's reader (and jsQR, its fallback).
// It returns the symbol's exact bytes. zxing turns each segment into text: numeric and alphanumeric segments as ASCII characters, byte
// segments through StringEncoding.decode. With the 1:1 custom decoder below (each byte -> the char with that
// code), `getText()`'s char codes are the bytes of every segment in order. Two tempting shortcuts lose bytes:
// BYTE_SEGMENTS alone drops numeric and alphanumeric segments, and the ISO-8859-1 hint is decoded as
// windows-1252 by browsers' TextDecoder (0x80-0x9f change). The decoder is set here, in the worker's own realm,
// because it is a static of the zxing copy this realm loaded.
//
// zxing's finder-pattern search (@zxing/library 0.23) takes a false finder pattern inside the data of some
// clean, large codes and then finds nothing: about one sample sign-in QR code in 35 at 5 to 10 pixels per module,
// as drawn on a screen, whatever the hints (measured; TRY_HARDER rescues some and loses others). jsQR reads every
// one of them, so it reads what zxing missed. Its `binaryData` is the segments' bytes in order, as ours; a Kanji
// segment, which has no such bytes, is refused there as here.
//
// Pictures arrive as ImageBitmaps (an image file) or VideoFrames (a camera or screen frame, transferred from
// the page at almost no cost there; the pixels are read here, off the page's thread). Each answer says how long
// the decoding took, for the scanning benchmark.
import {
  BinaryBitmap,
  ChecksumException,
  FormatException,
  HybridBinarizer,
  type LuminanceSource,
  NotFoundException,
  QRCodeReader,
  RGBLuminanceSource,
  ZXingStringEncoding,
} from "@zxing/library";
import jsQR from "jsqr";

ZXingStringEncoding.customDecoder = (bytes: Uint8Array): string => {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
};

/** A picture the worker takes (transferred: the worker closes it). */
export type DecodeImage = ImageBitmap | VideoFrame;

/** What the page sends: an image to decode, with an id to match the answer. */
export interface DecodeRequest {
  readonly id: number;
  readonly image: DecodeImage;
  /** The longest side the picture is read at; larger ones are scaled down first. */
  readonly maxSide: number;
}

/** `ms`: how long the worker spent on this picture, from reading its pixels to the answer. */
export type DecodeResponse =
  | { readonly id: number; readonly ok: true; readonly bytes: Uint8Array; readonly ms: number }
  | {
      readonly id: number;
      readonly ok: false;
      readonly reason: "not_found" | "unreadable";
      readonly ms: number;
    };

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

/** zxing's reading of a luminance picture, or undefined when it finds no code. */
function zxingRead(source: LuminanceSource): Uint8Array | undefined | "refused" {
  try {
    const result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)));
    return textToBytes(result.getText()) ?? "refused";
  } catch (error) {
    // "No code here" is an answer, not a failure; anything else is a bug to surface.
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
 * The exact bytes of the QR code in an RGBA image, or undefined when none is found. zxing reads the image as it
 * is and then inverted (a light code on a dark screen); jsQR, both ways, where zxing found nothing.
 */
export function decodeRgba(
  rgba: Uint8ClampedArray | Uint8Array,
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

/** One canvas for every frame of a scan (a camera sends the same size again and again). */
let canvas: OffscreenCanvas | undefined;

function sizeOf(image: DecodeImage): { width: number; height: number } {
  return "displayWidth" in image
    ? { width: image.displayWidth, height: image.displayHeight }
    : { width: image.width, height: image.height };
}

function decodeImage(image: DecodeImage, maxSide: number): Uint8Array | undefined {
  try {
    const size = sizeOf(image);
    const scale = Math.min(1, maxSide / Math.max(size.width, size.height));
    const width = Math.max(1, Math.round(size.width * scale));
    const height = Math.max(1, Math.round(size.height * scale));
    canvas ??= new OffscreenCanvas(width, height);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const context = canvas.getContext("2d", { willReadFrequently: true });
    if (context === null) throw new Error("no 2d context in the decoder worker");
    context.drawImage(image, 0, 0, width, height);
    const data = context.getImageData(0, 0, width, height);
    return decodeRgba(data.data, data.width, data.height);
  } finally {
    image.close();
  }
}

// Registered only when this module runs as a worker (unit tests import decodeRgba in Node).
const scope = globalThis as unknown as {
  WorkerGlobalScope?: unknown;
  addEventListener?: (type: "message", listener: (event: MessageEvent<DecodeRequest>) => void) => void;
  postMessage?: (message: DecodeResponse) => void;
};
if (scope.WorkerGlobalScope !== undefined && scope.addEventListener !== undefined) {
  scope.addEventListener("message", (event) => {
    const { id, image, maxSide } = event.data;
    const started = performance.now();
    let response: DecodeResponse;
    try {
      const bytes = decodeImage(image, maxSide);
      const ms = performance.now() - started;
      response =
        bytes === undefined ? { id, ok: false, reason: "not_found", ms } : { id, ok: true, bytes, ms };
    } catch (error) {
      console.error("QR decoder failed", error);
      response = { id, ok: false, reason: "unreadable", ms: performance.now() - started };
    }
    scope.postMessage?.(response);
  });
}
