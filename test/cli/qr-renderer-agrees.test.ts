// The renderer's decoder (a Worker in the app) and the command line's Node twin read the same pictures to the same
// bytes: a PNG the command line writes, and a QR code of alphanumeric, byte and numeric segments.
import QRCode from "qrcode";
import pngjs from "pngjs";
import { describe, expect, it } from "vitest";
import { decodeQrPng, qrPng } from "../../src-main/hosts/cli/qr-image";
import { rasterize } from "../../src-renderer/qr/raster.testing";
import { decodeRgba } from "../../src-renderer/scanner/decoder.worker";

const { PNG } = pngjs;
const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

describe("the two QR decoders", () => {
  it("agree on a PNG the command line wrote", () => {
    const bytes = Uint8Array.from([
      ...ascii("MATRIX"),
      0x02,
      0x04,
      ...Array.from({ length: 40 }, (_, i) => (i * 53 + 0x80) % 256),
    ]);
    const file = qrPng(bytes, "Q", 5);
    const png = PNG.sync.read(file);
    expect(decodeRgba(png.data, png.width, png.height)).toEqual(bytes);
    expect(decodeQrPng(file)).toEqual(bytes);
  });

  it("agree on every segment's bytes of a mixed-segment QR code", () => {
    const binary = Uint8Array.from([
      0x02, 0x03, 0x80, 0x81, 0x8d, 0x90, 0x9f, 0xa0, 0xff, 0x00, 0x7f, 0xc3, 0x28,
    ]);
    const code = QRCode.create(
      [
        { mode: "alphanumeric", data: "HTTPS://MATRIX.EXAMPLE.ORG/" },
        { mode: "byte", data: binary },
        { mode: "numeric", data: "0123456789012" },
      ],
      { errorCorrectionLevel: "M" },
    );
    const expected = new Uint8Array([
      ...ascii("HTTPS://MATRIX.EXAMPLE.ORG/"),
      ...binary,
      ...ascii("0123456789012"),
    ]);
    const image = rasterize(code.modules, 4);
    const png = new PNG({ width: image.width, height: image.height, colorType: 6 });
    png.data.set(image.rgba);
    const file = PNG.sync.write(png);
    const read = PNG.sync.read(file);
    expect(decodeRgba(read.data, read.width, read.height)).toEqual(expected);
    expect(decodeQrPng(file)).toEqual(expected);
  });
});
