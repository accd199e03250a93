// The part of pngjs 5 (no bundled types) the command line uses: synchronous PNG reading and writing, RGBA.
declare module "pngjs" {
  interface PNGOptions {
    width?: number;
    height?: number;
    /** 6: RGBA. */
    colorType?: number;
  }
  class PNG {
    constructor(options?: PNGOptions);
    width: number;
    height: number;
    /** RGBA, 4 bytes per pixel, row-major. */
    data: Buffer;
    static sync: {
      read(buffer: Buffer): PNG;
      write(png: PNG): Buffer;
    };
  }
  const pngjs: { PNG: typeof PNG };
  export default pngjs;
  export { PNG };
}
