// The Electron shell: app lifecycle, the one window, the app:// scheme, CSP and permissions.
// Kept thin on purpose (docs/ARCHITECTURE.md §2): everything it hosts runs and is tested in plain Node and Chromium.
import { app, BrowserWindow, net, protocol, session, shell } from "electron";
import { join, normalize, sep } from "node:path";
import { pathToFileURL } from "node:url";

const RENDERER_DIR = join(import.meta.dirname, "../renderer");
const APP_ORIGIN = "app://renderer";

// Strict CSP: our own code only; inline styles are allowed for React's style attributes.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

protocol.registerSchemesAsPrivileged([
  { scheme: "app", privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

/** Serves out/renderer over app://renderer/, refusing any path that escapes it. */
function serveRenderer(): void {
  protocol.handle("app", async (request) => {
    const url = new URL(request.url);
    if (url.host !== "renderer") return new Response("not found", { status: 404 });
    const relative = decodeURIComponent(url.pathname === "/" ? "/index.html" : url.pathname);
    const file = normalize(join(RENDERER_DIR, relative));
    if (!file.startsWith(RENDERER_DIR + sep)) return new Response("forbidden", { status: 403 });
    const response = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    headers.set("Content-Security-Policy", CSP);
    return new Response(response.body, { status: response.status, headers });
  });
}

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1100,
    height: 760,
    show: false,
    title: "Matrix QR Login",
    webPreferences: {
      preload: join(import.meta.dirname, "../preload/index.cjs"),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  window.once("ready-to-show", () => {
    window.show();
  });
  // Navigation away from our own origin is never legitimate; external links go through the OS browser,
  // and only for https URLs.
  window.webContents.on("will-navigate", (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith("https://")) void shell.openExternal(url);
    return { action: "deny" };
  });
  void window.loadURL(`${APP_ORIGIN}/index.html`);
}

void app.whenReady().then(() => {
  // Camera access is for the QR scanner only; nothing else is granted.
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => {
    callback(permission === "media");
  });
  serveRenderer();
  createWindow();
  app.on("activate", () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on("window-all-closed", () => {
  if (process.platform !== "darwin") app.quit();
});
