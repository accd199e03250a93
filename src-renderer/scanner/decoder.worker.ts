// The QR decoder, in a dedicated Worker: the only module that imports zxing's reader (and jsQR, which reads
// what zxing misses in a still picture). It returns the symbol's exact bytes.
//
// zxing turns each segment into text: numeric and alphanumeric segments as ASCII characters, byte segments
// through StringEncoding.decode. With the 1:1 custom decoder below (each byte -> the char with that code),
// `getText()`'s char codes are the bytes of every segment in order. Two tempting shortcuts lose bytes:
// BYTE_SEGMENTS alone drops numeric and alphanumeric segments, and the ISO-8859-1 hint is decoded as
// windows-1252 by browsers' TextDecoder (0x80-0x9f change). The decoder is set here, in the worker's own realm,
// because it is a static of the zxing copy this realm loaded.
//
// zxing's finder-pattern search (@zxing/library 0.23) takes a false finder pattern inside the data of some clean
// codes with large modules, and then finds nothing: 9 % of sample sign-in QR codes drawn at 2 to 10 pixels per
// module (measured over 3840), whatever the hints. The same picture scaled down reads, so each picture is read
// at a few scales (all but 0.2 % then read, costing ~3 ms per attempt on a 640x480 frame). jsQR reads all of
// them, but takes 0.4 to 1.2 s on a camera frame of a textured scene, so it only reads still pictures, and a
// shared screen's frames now and then. Its `binaryData` is the segments' bytes in order, as ours; a Kanji
// segment, which has no such bytes, is refused there as here.
//
// Pictures arrive as ImageBitmaps (an image file) or VideoFrames (a camera or screen frame, transferred from
// the page at almost no cost there; the pixels are read here, off the page's thread). A camera frame's luma
// plane is read as it is; other pictures are drawn into a canvas and their luminance computed. Each answer
// says how long the decoding took, for the scanning benchmark.
// zxing's QR reader only, by its modules' paths: the package's index brings every format along, and the
// worker's first decode waits for its script to load (586 kB then, measured: 0.7 s on a busy machine).
import BinaryBitmap from "@zxing/library/esm/core/BinaryBitmap";
import ChecksumException from "@zxing/library/esm/core/ChecksumException";
import HybridBinarizer from "@zxing/library/esm/core/common/HybridBinarizer";
import DecodeHintType from "@zxing/library/esm/core/DecodeHintType";
import FormatException from "@zxing/library/esm/core/FormatException";
import NotFoundException from "@zxing/library/esm/core/NotFoundException";
import QRCodeReader from "@zxing/library/esm/core/qrcode/QRCodeReader";
import RGBLuminanceSource from "@zxing/library/esm/core/RGBLuminanceSource";
import ZXingStringEncoding from "@zxing/library/esm/core/util/StringEncoding";
import type jsQRType from "jsqr";

/** jsQR, loaded the first time a still picture needs it (it is not needed for video frames). */
let jsQR: typeof jsQRType | undefined;

ZXingStringEncoding.customDecoder = (bytes: Uint8Array): string => {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
};

/** A picture the worker takes (transferred: the worker closes it). */
export type DecodeImage = ImageBitmap | VideoFrame;

/** How hard to look: a video frame gets the quick readings (another frame follows), a still picture all of them. */
export type DecodeEffort = "frame" | "still";

/** What the page sends: an image to decode, with an id to match the answer. */
export interface DecodeRequest {
  readonly id: number;
  readonly image: DecodeImage;
  /** The longest side the picture is read at; larger ones are scaled down first. */
  readonly maxSide: number;
  readonly effort: DecodeEffort;
}

/** Said once, when the worker has loaded and warmed up. */
export interface DecoderReady {
  readonly id: 0;
  readonly ready: true;
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

/** A luminance picture. */
interface Gray {
  readonly pixels: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/** `gray` scaled by `factor` (bilinear). */
function scaled(gray: Gray, factor: number): Gray {
  const { pixels, width, height } = gray;
  const outWidth = Math.max(1, Math.round(width * factor));
  const outHeight = Math.max(1, Math.round(height * factor));
  const out = new Uint8ClampedArray(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.min(height - 1, Math.max(0, (y + 0.5) / factor - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < outWidth; x++) {
      const sx = Math.min(width - 1, Math.max(0, (x + 0.5) / factor - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(width - 1, x0 + 1);
      const fx = sx - x0;
      const top = (pixels[y0 * width + x0] ?? 0) * (1 - fx) + (pixels[y0 * width + x1] ?? 0) * fx;
      const bottom = (pixels[y1 * width + x0] ?? 0) * (1 - fx) + (pixels[y1 * width + x1] ?? 0) * fx;
      out[y * outWidth + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return { pixels: out, width: outWidth, height: outHeight };
}

function inverted(gray: Gray): Gray {
  return { ...gray, pixels: gray.pixels.map((value) => 255 - value) };
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

const TRY_HARDER = new Map<DecodeHintType, unknown>([[DecodeHintType.TRY_HARDER, true]]);

/** zxing's reading of a luminance picture: the bytes, `undefined` for no code, "refused" for a code whose
 * segments have no bytes (Kanji). */
function zxingRead(gray: Gray, tryHarder: boolean): Uint8Array | undefined | "refused" {
  try {
    const source = new RGBLuminanceSource(gray.pixels, gray.width, gray.height);
    const result = new QRCodeReader().decode(
      new BinaryBitmap(new HybridBinarizer(source)),
      tryHarder ? TRY_HARDER : undefined,
    );
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
 * The readings tried, cheapest first among those that often succeed: half size (a quarter of the work, and the
 * first to succeed on 83 % of the sample codes), as it is, with TRY_HARDER, then other sizes. A light code on
 * a dark screen is read inverted, at half and full size.
 */
const READINGS: readonly { readonly scale: number; readonly tryHarder?: true; readonly invert?: true }[] = [
  { scale: 0.5 },
  { scale: 1 },
  { scale: 1, tryHarder: true },
  { scale: 0.75 },
  { scale: 0.4 },
  { scale: 0.25 },
  { scale: 0.5, invert: true },
  { scale: 1, invert: true },
];

/** A reading smaller than this (in pixels, its shorter side) cannot hold a QR code's 21 modules and quiet zone. */
const MIN_SIDE = 64;

/** zxing's readings of a luminance picture, in order, until one finds a code. */
function zxingReadings(gray: Gray): Uint8Array | undefined | "refused" {
  let light: Gray | undefined;
  for (const reading of READINGS) {
    if (Math.min(gray.width, gray.height) * reading.scale < MIN_SIDE) continue;
    const base = reading.invert === true ? (light ??= inverted(gray)) : gray;
    const read = zxingRead(
      reading.scale === 1 ? base : scaled(base, reading.scale),
      reading.tryHarder === true,
    );
    if (read !== undefined) return read;
  }
  return undefined;
}

/**
 * The exact bytes of the QR code in an RGBA image, or undefined when none is found: zxing's readings first, then,
 * for a still picture, jsQR (both ways around).
 */
export function decodeRgba(
  rgba: Uint8ClampedArray | Uint8Array,
  width: number,
  height: number,
  effort: DecodeEffort = "still",
): Uint8Array | undefined {
  const read = zxingReadings({ pixels: luminance(rgba, width, height), width, height });
  if (read === "refused") return undefined;
  if (read !== undefined) return read;
  if (effort === "frame" || jsQR === undefined) return undefined;
  const pixels =
    rgba instanceof Uint8ClampedArray
      ? rgba
      : new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length);
  const found = jsQR(pixels, width, height, { inversionAttempts: "attemptBoth" });
  if (found === null || found.chunks.some((chunk) => (chunk.type as string) === "kanji")) return undefined;
  return Uint8Array.from(found.binaryData);
}

/** The pixel formats whose first plane is the picture's luma (Y), one byte a pixel: what cameras send. */
const LUMA_FIRST: ReadonlySet<string> = new Set(["I420", "I420A", "I422", "I444", "NV12"]);

/**
 * A camera frame's own luma plane, when it has one and needs no scaling: no drawing into a canvas (a YUV to RGBA
 * conversion in software) and no luminance to compute, most of a frame's cost before zxing runs. Undefined for
 * the other frames (a shared screen sends RGBA or BGRA), which take the canvas.
 */
async function lumaPlane(frame: VideoFrame, maxSide: number): Promise<Gray | undefined> {
  const rect = frame.visibleRect;
  if (frame.format === null || !LUMA_FIRST.has(frame.format) || rect === null) return undefined;
  const { width, height } = rect;
  if (Math.max(width, height) > maxSide) return undefined;
  const buffer = new Uint8Array(frame.allocationSize());
  const [luma] = await frame.copyTo(buffer);
  if (luma === undefined) return undefined;
  const pixels = new Uint8ClampedArray(width * height);
  for (let row = 0; row < height; row++) {
    const start = luma.offset + row * luma.stride;
    pixels.set(buffer.subarray(start, start + width), row * width);
  }
  return { pixels, width, height };
}

/** One canvas for every frame of a scan (a camera sends the same size again and again). */
let canvas: OffscreenCanvas | undefined;

function sizeOf(image: DecodeImage): { width: number; height: number } {
  return "displayWidth" in image
    ? { width: image.displayWidth, height: image.displayHeight }
    : { width: image.width, height: image.height };
}

async function decodeImage(
  image: DecodeImage,
  maxSide: number,
  effort: DecodeEffort,
): Promise<Uint8Array | undefined> {
  try {
    if (effort === "frame" && "format" in image) {
      const gray = await lumaPlane(image, maxSide);
      if (gray !== undefined) {
        const read = zxingReadings(gray);
        return read === "refused" ? undefined : read;
      }
    }
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
    if (effort === "still") await loadJsQR();
    return decodeRgba(data.data, data.width, data.height, effort);
  } finally {
    image.close();
  }
}

/** Loads jsQR for the still pictures' last reading (also in Node, for the unit tests). */
export async function loadJsQR(): Promise<void> {
  jsQR ??= (await import("jsqr")).default;
}

/**
 * A small QR code ("MATRIX", version 1), for the warm-up: a first decode runs cold, the decoders' code not yet
 * optimised, and takes ten times as long. The worker does it as it starts, while the camera is still starting,
 * rather than on the camera's first frame.
 */
const WARM_UP_CODE = [
  "#######.#.###.#######",
  "#.....#...##..#.....#",
  "#.###.#.##.#..#.###.#",
  "#.###.#.##..#.#.###.#",
  "#.###.#.#..#..#.###.#",
  "#.....#..####.#.....#",
  "#######.#.#.#.#######",
  "...........##........",
  "####..#.######..###.#",
  ".#.#...#.#.####......",
  "#...#.###..#.....##..",
  ".####....#.#..####.##",
  ".#.##.###...#..#...##",
  "........#..#..#..###.",
  "#######...###..#...#.",
  "#.....#..##....###.##",
  "#.###.#..#..#####...#",
  "#.###.#.##.#..#.#..#.",
  "#.###.#.#.#.#.##.....",
  "#.....#.#.#..#....#..",
  "#######.##...#..#..#.",
];

/** The warm-up code drawn 6 pixels per module with a 4-module quiet zone, as RGBA. */
function warmUpPicture(): { rgba: Uint8ClampedArray; side: number } {
  const scale = 6;
  const side = (WARM_UP_CODE.length + 8) * scale;
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const row = WARM_UP_CODE[Math.floor(y / scale) - 4];
      if (row?.[Math.floor(x / scale) - 4] === "#") rgba.fill(0, (y * side + x) * 4, (y * side + x) * 4 + 3);
    }
  }
  return { rgba, side };
}

export function warmUp(): Uint8Array | undefined {
  const { rgba, side } = warmUpPicture();
  // A miss first (every frame reading runs), then a hit.
  decodeRgba(new Uint8ClampedArray(side * side * 4).fill(255), side, side, "frame");
  return decodeRgba(rgba, side, side, "frame");
}

// Registered only when this module runs as a worker (unit tests import decodeRgba in Node).
const scope = globalThis as unknown as {
  WorkerGlobalScope?: unknown;
  addEventListener?: (type: "message", listener: (event: MessageEvent<DecodeRequest>) => void) => void;
  postMessage?: (message: DecodeResponse | DecoderReady) => void;
};
if (scope.WorkerGlobalScope !== undefined && scope.addEventListener !== undefined) {
  warmUp();
  scope.postMessage?.({ id: 0, ready: true });
  scope.addEventListener("message", (event) => {
    void answer(event.data).then((response) => scope.postMessage?.(response));
  });
}

async function answer(request: DecodeRequest): Promise<DecodeResponse> {
  const { id, image, maxSide, effort } = request;
  const started = performance.now();
  let response: DecodeResponse;
  try {
    const bytes = await decodeImage(image, maxSide, effort);
    const ms = performance.now() - started;
    response = bytes === undefined ? { id, ok: false, reason: "not_found", ms } : { id, ok: true, bytes, ms };
  } catch (error) {
    console.error("QR decoder failed", error);
    response = { id, ok: false, reason: "unreadable", ms: performance.now() - started };
  }
  return response;
}
