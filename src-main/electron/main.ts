// The Electron shell's entry (built to out/main/index.js): one profile per process, its window, and the engine
// behind the contract. Before `ready`: the renderer sandbox for every window, the app:// scheme's privileges, the
// profile's own userData folder (so the single-instance lock is per profile and several profiles run side by
// side) and that lock. After: the app:// handler, the permission rules, the IPC handlers, the window, and the
// engine, imported after the window is up so the first paint does not wait for the crypto libraries. The local
// demo ("Try it on this computer") opens a second window on its new device; which engine answers which window is
// decided in hosts/desktop-windows.ts, not here.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  app,
  BrowserWindow,
  desktopCapturer,
  dialog,
  ipcMain,
  protocol,
  safeStorage,
  session,
  shell,
  systemPreferences,
  type WebContents,
} from "electron";
import { toFlowError } from "../../src-shared/errors";
import { createLogger } from "../../src-shared/logger";
import type { DemoEngineRequest } from "../demo/local-demo";
import type { DemoPort } from "../engine/demo-port";
import type { Engine } from "../engine/index";
import { DesktopWindows } from "../hosts/desktop-windows";
import { describeProfile, HostArgsError, readHostArgs } from "../hosts/host-args";
import { resolveProfileDir } from "../matrix/paths";
import { appProtocolHandler, APP_SCHEME_PRIVILEGES } from "./app-protocol";
import { approvalGate } from "./approval";
import { FlowWatch } from "./flow-watch";
import { forwardEvents, serveContractOverIpc } from "./ipc";
import { createOpenExternal } from "./open-external";
import { installPermissionHandlers } from "./permissions";
import { SafeStorageSecretStore } from "./safe-storage-secret-store";
import { APP_ENTRY, APP_SCHEME, isAppMainFrame, OwnContents } from "./trust";
import { demoWindowOptions, hardenWebContents, mainWindowOptions } from "./window";

const RENDERER_DIR = join(import.meta.dirname, "../renderer");
const PRELOAD_DIR = join(import.meta.dirname, "../preload");

// Electron's checklist: sandbox every renderer, and give app:// its privileges; both only work before `ready`.
app.enableSandbox();
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

function reportAndExit(title: string, message: string): void {
  console.error(`${title}: ${message}`);
  dialog.showErrorBox(title, message);
  app.exit(2);
}

/** Before `ready` nothing may run on: app.exit ends the process, and the throw ends this module meanwhile. */
function fail(title: string, message: string): never {
  reportAndExit(title, message);
  throw new Error(message);
}

function profileDirFromArgs(): { dir: string; allowInsecureHttp: boolean } {
  let args;
  try {
    args = readHostArgs(process.argv.slice(1), { strict: false });
  } catch (error) {
    if (error instanceof HostArgsError || error instanceof TypeError) fail("Matrix QR Login", error.message);
    throw error;
  }
  const [profile, ...more] = args.profiles;
  if (profile === undefined || more.length > 0) {
    fail("Matrix QR Login", "one profile per window: start the app once for each --profile");
  }
  const dir = resolveProfileDir(profile);
  console.log(`matrix-qr-login: ${describeProfile(profile)} (${dir})`);
  // Plain http to this machine (the local devserver) in development, or when asked for.
  return { dir, allowInsecureHttp: args.allowInsecureHttp || !app.isPackaged };
}

const { dir: profileDir, allowInsecureHttp } = profileDirFromArgs();
mkdirSync(profileDir, { recursive: true, mode: 0o700 });
// Chromium's own files (caches, local storage) beside the profile's, and the single-instance lock with them.
app.setPath("userData", join(profileDir, "electron"));

/** Background failures of the engine, redacted. */
const log = createLogger("matrix-qr-login");
const own = new OwnContents();
const flows = new FlowWatch();
let mainWindow: BrowserWindow | undefined;
let windows: DesktopWindows<WebContents> | undefined;
let engineClosed = false;

const openExternal = createOpenExternal({
  shell,
  dialog,
  allowLoopbackHttp: allowInsecureHttp,
  parent: () => mainWindow,
});
/** The local demo's homeserver is plain http on this machine, packaged or not. */
const openDemoExternal = createOpenExternal({
  shell,
  dialog,
  allowLoopbackHttp: true,
  parent: () => mainWindow,
});

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions(PRELOAD_DIR));
  const contents = window.webContents;
  own.add(contents);
  window.once("ready-to-show", () => {
    window.show();
  });
  window.on("closed", () => {
    if (mainWindow === window) mainWindow = undefined;
    windows?.closed(contents);
  });
  void window.loadURL(APP_ENTRY);
  return window;
}

/** The demo's second window, on its new device; closing it stops its routing (the demo runs until quit). */
function openDemoWindow(label: string): WebContents {
  const window = new BrowserWindow(demoWindowOptions(PRELOAD_DIR, label));
  const contents = window.webContents;
  own.add(contents);
  window.once("ready-to-show", () => {
    window.show();
  });
  window.on("closed", () => {
    windows?.closed(contents);
  });
  void window.loadURL(APP_ENTRY);
  return contents;
}

async function engineModules() {
  const [{ createEngine }, { createRuntime }] = await Promise.all([
    import("../engine/index"),
    import("../protocol"),
  ]);
  return { createEngine, createRuntime };
}

function onEngineError(error: unknown): void {
  log.error(toFlowError(error).message);
}

/** A profile of the local demo: a throwaway folder, its secrets in a file there (no keychain question). */
async function startDemoEngine(request: DemoEngineRequest): Promise<Engine> {
  const { createEngine, createRuntime } = await engineModules();
  return createEngine({
    app: "electron",
    runtime: createRuntime(),
    location: request.location,
    label: request.label,
    demo: request.demo,
    allowInsecureHttp: request.allowInsecureHttp,
    openUrl: openDemoExternal,
    onError: onEngineError,
  });
}

async function startEngine(demo: DemoPort): Promise<Engine> {
  const { createEngine, createRuntime } = await engineModules();
  return createEngine({
    app: "electron",
    runtime: createRuntime(),
    location: { dir: profileDir },
    allowInsecureHttp,
    openUrl: openExternal,
    demo,
    onError: onEngineError,
    secretStore: (dir) =>
      new SafeStorageSecretStore(dir, {
        safeStorage,
        platform: process.platform,
        askToStoreWithoutKeychain: async () => {
          const question = {
            type: "warning" as const,
            title: "No system keychain",
            message: "Keep this profile's sign-in without a keychain?",
            detail:
              "This desktop has no keychain running (no GNOME Keyring or KWallet), so the tokens and the encryption " +
              "key can only be kept in a file that your user account can read. Anything running as you could " +
              "read them too.",
            buttons: ["Keep them in a private file", "Don't sign in"],
            defaultId: 1,
            cancelId: 1,
          };
          const { response } = await (mainWindow === undefined
            ? dialog.showMessageBox(question)
            : dialog.showMessageBox(mainWindow, question));
          return response === 0;
        },
        onMoved: (notice) => {
          console.log(`matrix-qr-login: ${notice}`);
          void dialog.showMessageBox({
            type: "info",
            title: "Sign-in moved to the keychain",
            message: notice,
          });
        },
      }),
  });
}

function start(): void {
  installPermissionHandlers(session.defaultSession, desktopCapturer, {
    isOwn: (contents) => own.has(contents),
    scannerOpen: () => flows.scannerOpen,
  });
  protocol.handle(APP_SCHEME, appProtocolHandler(RENDERER_DIR));
  const routed = new DesktopWindows<WebContents>({
    createEngine: startEngine,
    createDemoEngine: startDemoEngine,
    openWindow: openDemoWindow,
    forward: (host, contents) =>
      forwardEvents(
        host,
        () => contents,
        (event) => {
          flows.see(event);
        },
      ),
  });
  windows = routed;
  serveContractOverIpc({
    ipcMain,
    engine: (event) =>
      routed.engineFor(event.sender) ?? Promise.reject(new TypeError("no engine serves this window")),
    isTrustedSender: (event) => isAppMainFrame(own, event.sender, event.senderFrame),
    beforeFlowCommand: approvalGate(process.platform, systemPreferences, flows),
  });
  mainWindow = createMainWindow();
  routed.openProfile(mainWindow.webContents).catch((error: unknown) => {
    reportAndExit("Matrix QR Login cannot open this profile", toFlowError(error).message);
  });
}

if (!app.requestSingleInstanceLock()) {
  // This profile is open in another window of the app: that one comes to the front instead.
  app.quit();
} else {
  app.on("second-instance", () => {
    if (mainWindow === undefined) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on("web-contents-created", (_event, contents) => {
    hardenWebContents(contents, (url) => {
      openExternal(url).catch((error: unknown) => {
        console.error(`matrix-qr-login: not opened: ${(error as Error).message}`);
      });
    });
  });
  app.on("window-all-closed", () => {
    if (process.platform !== "darwin") app.quit();
  });
  app.on("activate", () => {
    if (!app.isReady() || mainWindow !== undefined || windows === undefined) return;
    mainWindow = createMainWindow();
    // An engine that failed to start ended the app when it started; this is the same failure, logged.
    windows.openProfile(mainWindow.webContents).catch((error: unknown) => {
      log.error(toFlowError(error).message);
    });
  });
  // The engine writes the crypto store and releases the profile's lock before the process ends.
  app.on("before-quit", (event) => {
    const running = windows;
    if (running === undefined || engineClosed) return;
    event.preventDefault();
    engineClosed = true;
    void running
      .close()
      .catch((error: unknown) => {
        console.error(`matrix-qr-login: the engine did not close cleanly: ${(error as Error).message}`);
      })
      .finally(() => {
        app.quit();
      });
  });
  void app.whenReady().then(start);
}
