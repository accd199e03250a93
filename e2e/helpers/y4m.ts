// A YUV4MPEG2 video for Chromium's fake camera (`--use-file-for-fake-video-capture`), made from a screenshot's
// pixels: each pixel's luma (ITU-R BT.601 weights), scaled up by a whole factor (every pixel becomes a square of
// pixels, no filtering), centred on a white frame of a camera's size; the colour planes are neutral (128).
// Header `YUV4MPEG2 W<w> H<h> F10:1 Ip A1:1 C420jpeg`, then per frame `FRAME\n` and the Y, U and V planes.
// Chromium loops the file, so one frame is a still picture held in front of the camera. (Chromium 156 reads
// the luma as limited range, 16 to 235, whatever the header says: black stays black, white stays white.)

export interface Y4mOptions {
  /** Each source pixel becomes scale x scale pixels. */
  readonly scale?: number;
  /** The frame's size (even numbers, as 4:2:0 needs); the picture is centred on white. */
  readonly width?: number;
  readonly height?: number;
  readonly frames?: number;
}

/** One pixel's luma from RGBA, transparent pixels counting as white. */
function luma(rgba: Uint8Array | Uint8ClampedArray, offset: number): number {
  const r = rgba[offset] ?? 0;
  const g = rgba[offset + 1] ?? 0;
  const b = rgba[offset + 2] ?? 0;
  const a = (rgba[offset + 3] ?? 255) / 255;
  const y = (299 * r + 587 * g + 114 * b) / 1000;
  return Math.round(y * a + 255 * (1 - a));
}

export function y4mFromRgba(
  rgba: Uint8Array | Uint8ClampedArray,
  sourceWidth: number,
  sourceHeight: number,
  options: Y4mOptions = {},
): Buffer {
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1)
    throw new TypeError(`scale must be a whole number, not ${scale}`);
  if (rgba.length !== sourceWidth * sourceHeight * 4) throw new TypeError("the pixels do not match the size");
  const even = (value: number) => value + (value % 2);
  const width = options.width ?? even(sourceWidth * scale);
  const height = options.height ?? even(sourceHeight * scale);
  if (width % 2 !== 0 || height % 2 !== 0)
    throw new TypeError(`a 4:2:0 frame needs even sides, not ${width}x${height}`);
  if (sourceWidth * scale > width || sourceHeight * scale > height) {
    throw new TypeError(`${sourceWidth}x${sourceHeight} scaled ${scale}x does not fit ${width}x${height}`);
  }
  const left = Math.floor((width - sourceWidth * scale) / 2);
  const top = Math.floor((height - sourceHeight * scale) / 2);
  const y = Buffer.alloc(width * height, 255);
  for (let row = 0; row < sourceHeight; row++) {
    for (let column = 0; column < sourceWidth; column++) {
      const value = luma(rgba, (row * sourceWidth + column) * 4);
      for (let dy = 0; dy < scale; dy++) {
        const start = (top + row * scale + dy) * width + left + column * scale;
        y.fill(value, start, start + scale);
      }
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  return Buffer.concat([header, ...Array.from({ length: options.frames ?? 1 }, () => frame)]);
}

/** A plain white frame: a camera pointed at a blank wall. */
export function blankY4m(width = 640, height = 480): Buffer {
  return y4mFromRgba(new Uint8Array(4).fill(255), 1, 1, { width, height });
}
