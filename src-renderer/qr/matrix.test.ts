// The QR code we draw carries the flow's exact bytes: read back by an independent decoder (jsQR), every byte
// from 0x00 to 0xff survives (a string segment would have been UTF-8 encoded), and the SVG path covers exactly
// the dark modules, inside a 4-module quiet zone.
import jsQR from "jsqr";
import { describe, expect, it } from "vitest";
import { QUIET_ZONE, base64ToBytes, bytesToBase64, modulePath, pixelsPerModule, qrMatrix } from "./matrix";
import { rasterize } from "./raster.testing";

/** A v2024-shaped payload: the MATRIX prefix, then every byte value once, including 0x80-0x9f. */
function binaryPayload(): Uint8Array {
  const bytes = new Uint8Array(6 + 256);
  bytes.set([0x4d, 0x41, 0x54, 0x52, 0x49, 0x58]);
  for (let i = 0; i < 256; i++) bytes[6 + i] = i;
  return bytes;
}

function asGrid(matrix: ReturnType<typeof qrMatrix>) {
  return {
    size: matrix.size,
    get: (row: number, column: number) => matrix.modules[row * matrix.size + column] ?? 0,
  };
}

describe("the QR matrix", () => {
  it("encodes the bytes exactly, as one byte segment, at the chosen error correction", () => {
    const bytes = binaryPayload();
    for (const level of ["L", "M", "Q", "H"] as const) {
      const matrix = qrMatrix(bytes, level);
      const image = rasterize(asGrid(matrix), 4);
      const read = jsQR(image.rgba, image.width, image.height);
      expect(read, level).not.toBeNull();
      expect(Uint8Array.from(read?.binaryData ?? [])).toEqual(bytes);
    }
    // Higher correction needs a bigger symbol for the same bytes.
    expect(qrMatrix(bytes, "H").size).toBeGreaterThan(qrMatrix(bytes, "L").size);
  });

  it("draws exactly the dark modules, offset by the quiet zone", () => {
    const matrix = qrMatrix(binaryPayload(), "M");
    const drawn = new Set<string>();
    for (const match of modulePath(matrix).matchAll(/M(\d+) (\d+)h(\d+)v1h-(\d+)z/g)) {
      const [x, y, run, back] = [match[1], match[2], match[3], match[4]].map(Number) as [
        number,
        number,
        number,
        number,
      ];
      expect(back).toBe(run);
      for (let i = 0; i < run; i++) drawn.add(`${x + i - QUIET_ZONE},${y - QUIET_ZONE}`);
    }
    const dark = new Set<string>();
    for (let y = 0; y < matrix.size; y++) {
      for (let x = 0; x < matrix.size; x++)
        if (matrix.modules[y * matrix.size + x] === 1) dark.add(`${x},${y}`);
    }
    expect(drawn).toEqual(dark);
    expect(QUIET_ZONE).toBe(4);
  });

  it("picks a whole number of pixels per module that fits", () => {
    const matrix = qrMatrix(binaryPayload(), "M");
    const total = matrix.size + 2 * QUIET_ZONE;
    for (const available of [100, 287, 320, 641, 1000]) {
      const px = pixelsPerModule(matrix, available);
      expect(Number.isInteger(px)).toBe(true);
      expect(px * total <= available || px === 2).toBe(true);
      expect((px + 1) * total).toBeGreaterThan(available);
    }
  });

  it("reads and writes the contract's base64", () => {
    const bytes = binaryPayload();
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
  });
});
