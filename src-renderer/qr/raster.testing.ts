// Test helper: a QR code's modules as RGBA pixels (dark on white, or inverted), with the quiet zone, so the
// decoders can read what we draw without a browser.
import { QUIET_ZONE } from "./matrix";

export interface Raster {
  readonly rgba: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

export function rasterize(
  modules: { readonly size: number; get(row: number, column: number): boolean | number },
  scale: number,
  options: { readonly inverted?: boolean } = {},
): Raster {
  const total = modules.size + 2 * QUIET_ZONE;
  const width = total * scale;
  const rgba = new Uint8ClampedArray(width * width * 4);
  const [dark, light] = options.inverted === true ? [255, 0] : [0, 255];
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      const row = Math.floor(y / scale) - QUIET_ZONE;
      const column = Math.floor(x / scale) - QUIET_ZONE;
      const inside = row >= 0 && column >= 0 && row < modules.size && column < modules.size;
      const value = inside && Boolean(modules.get(row, column)) ? dark : light;
      const p = (y * width + x) * 4;
      rgba[p] = value;
      rgba[p + 1] = value;
      rgba[p + 2] = value;
      rgba[p + 3] = 255;
    }
  }
  return { rgba, width, height: width };
}
