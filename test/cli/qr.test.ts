// The command line's QR code, both ways: the half-block drawing and the PNG file carry the exact bytes (read back
// and decoded, 0x80-0x9f and bytes that look like UTF-8 included), and the Node decoder reads every segment's bytes
// of a QR code written with alphanumeric, byte and numeric segments. (The renderer's decoder is held to the same
// pictures in qr-renderer-agrees.test.ts: it shares zxing's module with this one in Node, so it stays out of here.)
import QRCode from "qrcode";
import pngjs from "pngjs";
import { describe, expect, it } from "vitest";
import { decodeQrPixels } from "../../src-main/hosts/cli/qr-decode";
import { decodeQrPng, isPng, qrPng } from "../../src-main/hosts/cli/qr-image";
import { QUIET_ZONE, qrMatrix } from "../../src-main/hosts/cli/qr-matrix";
import { drawHalfBlocks } from "../../src-main/hosts/cli/terminal-qr";
import { rasterize } from "../../src-renderer/qr/raster.testing";
import { readHalfBlocks } from "../helpers/terminal-qr";

const { PNG } = pngjs;

const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

/** A sign-in-like payload: binary, with every byte a windows-1252 reading would change. */
const PAYLOAD = Uint8Array.from([
  ...ascii("MATRIX"),
  0x02,
  0x03,
  ...Array.from({ length: 32 }, (_, i) => (i * 37 + 0x80) % 256),
  0x00,
  0x2b,
  ...ascii("https://matrix.example.org/_synapse/client/rendezvous/01HX9K"),
  0x80,
  0x8d,
  0x9f,
]);

/** Bytes that happen to be valid UTF-8: zxing guesses UTF-8 for them and would turn two or three bytes into one char. */
const UTF8_LOOKALIKE = Uint8Array.from([
  ...ascii("MATRIX"),
  0x03,
  0x00,
  ...new TextEncoder().encode("é€✓ café"),
]);

function mixedSegments() {
  const binary = Uint8Array.from([
    0x02, 0x03, 0x80, 0x81, 0x8d, 0x90, 0x9f, 0xa0, 0xff, 0x00, 0x7f, 0xc3, 0x28,
  ]);
  const segments = [
    { mode: "alphanumeric" as const, data: "HTTPS://MATRIX.EXAMPLE.ORG/" },
    { mode: "byte" as const, data: binary },
    { mode: "numeric" as const, data: "0123456789012" },
  ];
  const expected = new Uint8Array([
    ...ascii("HTTPS://MATRIX.EXAMPLE.ORG/"),
    ...binary,
    ...ascii("0123456789012"),
  ]);
  return { segments, expected };
}

describe("the terminal drawing", () => {
  it.each([false, true])(
    "reads back to the symbol's modules and decodes to the exact bytes (colour %s)",
    (colour) => {
      const matrix = qrMatrix(PAYLOAD, "M");
      const lines = drawHalfBlocks(matrix, { colour });
      // Half blocks: two module rows per line, the quiet zone included, every line as wide as the symbol and zone.
      const side = matrix.size + 2 * QUIET_ZONE;
      expect(lines).toHaveLength(Math.ceil(side / 2));
      const read = readHalfBlocks(lines.join("\n"));
      expect(read.size).toBe(matrix.size);
      for (let row = 0; row < matrix.size; row++) {
        for (let column = 0; column < matrix.size; column++) {
          expect(read.get(row, column), `module ${row},${column}`).toBe(matrix.dark(row, column));
        }
      }
      const image = rasterize(read, 4);
      expect(decodeQrPixels(image.rgba, image.width, image.height)).toEqual(PAYLOAD);
    },
  );
});

describe("the PNG file", () => {
  it.each([
    ["binary", PAYLOAD],
    ["valid UTF-8", UTF8_LOOKALIKE],
  ])("holds the QR code of the exact bytes (%s), which the decoder reads back", (_, bytes) => {
    const file = qrPng(bytes, "M", 6);
    expect(isPng(file)).toBe(true);
    expect(decodeQrPng(file)).toEqual(bytes);
  });

  it("a QR code of alphanumeric, byte and numeric segments decodes to every segment's bytes, in order", () => {
    const { segments, expected } = mixedSegments();
    const code = QRCode.create(segments, { errorCorrectionLevel: "M" });
    expect(code.segments.map((segment) => segment.mode.id)).toEqual(["Alphanumeric", "Byte", "Numeric"]);
    const image = rasterize(code.modules, 5);
    const png = new PNG({ width: image.width, height: image.height, colorType: 6 });
    png.data.set(image.rgba);
    const file = PNG.sync.write(png);
    expect(decodeQrPng(file)).toEqual(expected);
  });

  it("a picture without a QR code is 'nothing found', not a guess", () => {
    const blank = new PNG({ width: 120, height: 120, colorType: 6 });
    blank.data.fill(255);
    expect(decodeQrPng(PNG.sync.write(blank))).toBeUndefined();
  });
});
