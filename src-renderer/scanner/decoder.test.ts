// The decoder returns a QR code's exact bytes whatever segments it was written with: a payload split into
// alphanumeric, byte and numeric segments (as other encoders do to save space) comes back whole, byte for byte,
// and agrees with an independent reader (jsQR). Bytes 0x80-0x9f, which a windows-1252 reading would change,
// survive. Codes that zxing's finder search misses (a false finder pattern in the data of some clean codes with
// large modules, as a screen shows them) are read all the same: as video frames, by reading them at a few
// scales; as still pictures, also by jsQR.
import {
  BinaryBitmap,
  HybridBinarizer,
  NotFoundException,
  QRCodeReader,
  RGBLuminanceSource,
} from "@zxing/library";
import jsQR from "jsqr";
import QRCode from "qrcode";
import { beforeAll, describe, expect, it } from "vitest";
import { sampleQrBytes } from "../canned";
import { qrMatrix } from "../qr/matrix";
import { rasterize } from "../qr/raster.testing";
import { decodeRgba, loadJsQR, luminance, warmUp } from "./decoder.worker";

const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

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

/** A picture centred on a white 1280x720 frame, as a camera sees a code held up to it. */
function inFrame(picture: { rgba: Uint8ClampedArray; width: number; height: number }) {
  const width = 1280;
  const height = 720;
  const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
  const left = Math.floor((width - picture.width) / 2);
  const top = Math.floor((height - picture.height) / 2);
  for (let row = 0; row < picture.height; row++) {
    rgba.set(
      picture.rgba.subarray(row * picture.width * 4, (row + 1) * picture.width * 4),
      ((top + row) * width + left) * 4,
    );
  }
  return { rgba, width, height };
}

const equalBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

beforeAll(loadJsQR);

describe("the QR decoder", () => {
  it("keeps every segment's bytes, in order", () => {
    const { segments, expected } = mixedSegments();
    const code = QRCode.create(segments, { errorCorrectionLevel: "M" });
    // The symbol really has three segments of three modes (the point of the test).
    expect(code.segments.map((segment) => segment.mode.id)).toEqual(["Alphanumeric", "Byte", "Numeric"]);
    const image = rasterize(code.modules, 4);
    expect(decodeRgba(image.rgba, image.width, image.height)).toEqual(expected);
    const independent = jsQR(image.rgba, image.width, image.height);
    expect(Uint8Array.from(independent?.binaryData ?? [])).toEqual(expected);
  });

  it("reads a light code on a dark background", () => {
    const { segments, expected } = mixedSegments();
    const code = QRCode.create(segments, { errorCorrectionLevel: "Q" });
    const image = rasterize(code.modules, 3, { inverted: true });
    expect(decodeRgba(image.rgba, image.width, image.height)).toEqual(expected);
  });

  it("reads the codes zxing alone misses", () => {
    // Sample sign-in codes, drawn as a screen draws them, that @zxing/library 0.23 cannot find (measured).
    const misses = [
      { bytes: sampleQrBytes("existing_device", "v2024", 1), level: "M", scale: 6 },
      { bytes: sampleQrBytes("existing_device", "v2024", 1), level: "M", scale: 8 },
      { bytes: sampleQrBytes("existing_device", "v2025", 4), level: "H", scale: 5 },
      { bytes: sampleQrBytes("new_device", "v2024", 3), level: "H", scale: 10 },
    ] as const;
    for (const { bytes, level, scale } of misses) {
      const matrix = qrMatrix(bytes, level);
      const image = rasterize(
        { size: matrix.size, get: (row, column) => matrix.modules[row * matrix.size + column] === 1 },
        scale,
      );
      const source = new RGBLuminanceSource(
        luminance(image.rgba, image.width, image.height),
        image.width,
        image.height,
      );
      expect(() => new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)))).toThrow(
        NotFoundException,
      );
      expect(decodeRgba(image.rgba, image.width, image.height)).toEqual(bytes);
    }
  });

  it("reads every sample sign-in code in a camera frame, at 2 to 8 pixels per module", () => {
    const kinds = [
      ["existing_device", "v2024"],
      ["new_device", "v2024"],
      ["existing_device", "v2025"],
      ["new_device", "v2025"],
    ] as const;
    const unread: string[] = [];
    for (const [role, version] of kinds) {
      const bytes = sampleQrBytes(role, version, 1);
      for (const level of ["L", "M", "Q", "H"] as const) {
        const matrix = qrMatrix(bytes, level);
        for (let scale = 2; scale <= 8; scale++) {
          const frame = inFrame(
            rasterize(
              { size: matrix.size, get: (row, column) => matrix.modules[row * matrix.size + column] === 1 },
              scale,
            ),
          );
          const read = decodeRgba(frame.rgba, frame.width, frame.height, "frame");
          if (read === undefined || !equalBytes(read, bytes))
            unread.push(`${role} ${version} ${level} ${scale}px`);
        }
      }
    }
    expect(unread).toEqual([]);
  }, 30_000);

  it("warms up on a code it reads", () => {
    expect(warmUp()).toEqual(ascii("MATRIX"));
  });

  it("answers 'nothing found' for an image without a QR code", () => {
    const blank = new Uint8ClampedArray(200 * 200 * 4).fill(255);
    expect(decodeRgba(blank, 200, 200)).toBeUndefined();
  });
});
