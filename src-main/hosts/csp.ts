// The Content-Security-Policy every host serves the renderer with: Electron's app:// handler and the browser host
// send this one header. The renderer is our own code only: scripts, styles, fonts and workers from its own origin
// (no inline script or style, no eval), images also as data:/blob: (QR codes drawn and images being scanned), and
// connections to its own origin only (the browser host's WebSocket is on the page's origin, which 'self' covers).
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The content types of what the renderer's build holds. */
export const RENDERER_CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
};
