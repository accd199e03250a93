// A recording fake of the `electron` module, enough of it to load the built main bundle (out/main/index.js) and
// preload (out/preload/index.cjs) in Node and drive them: it keeps every call in order (`calls`), enforces the
// rules real Electron enforces where the shell's correctness depends on them (enableSandbox and privileged
// schemes only before `ready`, one handler per IPC channel, an invoke on a channel without a handler rejects), and
// hands the test what the shell registered (the app:// handler, the permission handlers, the IPC handlers, the
// windows and their web contents' listeners) so the test can call them with crafted input.
import { EventEmitter } from "node:events";

export interface Call {
  readonly api: string;
  readonly args: readonly unknown[];
}

export class FakeFrame {
  url: string;
  parent: FakeFrame | null;
  constructor(url: string, parent: FakeFrame | null = null) {
    this.url = url;
    this.parent = parent;
  }
}

type WindowOpenHandler = (details: { url: string }) => { action: "allow" | "deny" };

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly sent: { channel: string; payload: unknown }[] = [];
  windowOpenHandler: WindowOpenHandler | undefined;
  mainFrame: FakeFrame;
  destroyed = false;
  readonly #fake: FakeElectron;

  constructor(fake: FakeElectron, url = "about:blank") {
    super();
    this.#fake = fake;
    this.mainFrame = new FakeFrame(url);
  }

  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.#fake.record("webContents.setWindowOpenHandler", []);
    this.windowOpenHandler = handler;
  }

  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
    this.#fake.deliverToRenderer(channel, payload);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  getURL(): string {
    return this.mainFrame.url;
  }

  /** Emits a cancellable Electron event (`will-navigate`...) and says whether a listener prevented it. */
  emitPreventable(name: string, ...args: unknown[]): boolean {
    let prevented = false;
    const event = {
      preventDefault: () => {
        prevented = true;
      },
    };
    this.emit(name, event, ...args);
    return prevented;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static all: FakeBrowserWindow[] = [];
  static fake: FakeElectron;
  readonly options: Record<string, unknown>;
  readonly webContents: FakeWebContents;
  loadedUrl: string | undefined;
  shown = false;

  constructor(options: Record<string, unknown>) {
    super();
    const fake = FakeBrowserWindow.fake;
    fake.record("new BrowserWindow", [options]);
    this.options = options;
    this.webContents = new FakeWebContents(fake);
    FakeBrowserWindow.all.push(this);
    fake.app.emit("web-contents-created", {}, this.webContents);
  }

  static getAllWindows(): FakeBrowserWindow[] {
    return FakeBrowserWindow.all;
  }

  loadURL(url: string): Promise<void> {
    FakeBrowserWindow.fake.record("BrowserWindow.loadURL", [url]);
    this.loadedUrl = url;
    this.webContents.mainFrame = new FakeFrame(url);
    return Promise.resolve();
  }

  show(): void {
    this.shown = true;
  }
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean {
    return false;
  }
}

type PermissionRequestHandler = (
  contents: FakeWebContents | null,
  permission: string,
  callback: (granted: boolean) => void,
  details: Record<string, unknown>,
) => void;
type PermissionCheckHandler = (
  contents: FakeWebContents | null,
  permission: string,
  origin: string,
  details: Record<string, unknown>,
) => boolean;
type DisplayMediaHandler = (
  request: Record<string, unknown>,
  callback: (streams: Record<string, unknown> | null) => void,
) => void;
type IpcHandler = (event: unknown, ...args: unknown[]) => unknown;

export class FakeElectron {
  readonly calls: Call[] = [];
  readonly app: EventEmitter & Record<string, unknown>;
  readonly schemes: unknown[] = [];
  readonly protocolHandlers = new Map<string, (request: Request) => Promise<Response>>();
  permissionRequest: PermissionRequestHandler | undefined;
  permissionCheck: PermissionCheckHandler | undefined;
  displayMedia: DisplayMediaHandler | undefined;
  readonly ipcHandlers = new Map<string, IpcHandler>();
  readonly ipcListeners: string[] = [];
  readonly opened: string[] = [];
  readonly messageBoxes: Record<string, unknown>[] = [];
  readonly errorBoxes: { title: string; content: string }[] = [];
  /** The button the fake user picks in the next message boxes. */
  dialogResponse = 0;
  singleInstance = true;
  storageBackend = "gnome_libsecret";
  encryptionAvailable = true;
  isReady = false;
  exitCode: number | undefined;
  quitCalls = 0;
  readonly paths = new Map<string, string>();
  /** What the preload exposed to the page. */
  readonly exposed = new Map<string, unknown>();
  readonly #rendererListeners = new EventEmitter();
  /** Who the fake page's IPC comes from (set by the test). */
  rendererSender: { sender: FakeWebContents; senderFrame: FakeFrame | null } | undefined;
  #resolveReady: () => void = () => undefined;
  readonly #ready = new Promise<void>((resolve) => {
    this.#resolveReady = resolve;
  });

  constructor() {
    FakeBrowserWindow.fake = this;
    FakeBrowserWindow.all = [];
    const app = new EventEmitter() as EventEmitter & Record<string, unknown>;
    Object.assign(app, {
      isPackaged: false,
      enableSandbox: () => {
        this.record("app.enableSandbox", []);
        if (this.isReady) throw new Error("app.enableSandbox() can only be called before app is ready");
      },
      setPath: (name: string, path: string) => {
        this.record("app.setPath", [name, path]);
        this.paths.set(name, path);
      },
      getPath: (name: string) => {
        return this.paths.get(name) ?? `/fake/${name}`;
      },
      requestSingleInstanceLock: () => {
        this.record("app.requestSingleInstanceLock", [this.paths.get("userData")]);
        return this.singleInstance;
      },
      whenReady: () => {
        return this.#ready;
      },
      isReady: () => {
        return this.isReady;
      },
      quit: () => {
        this.quitCalls += 1;
        this.record("app.quit", []);
      },
      exit: (code: number) => {
        this.exitCode = code;
        this.record("app.exit", [code]);
      },
    });
    this.app = app;
  }

  record(api: string, args: readonly unknown[]): void {
    this.calls.push({ api, args });
  }

  /** The position of the first call of `api` in the log (-1 when never). */
  indexOf(api: string): number {
    return this.calls.findIndex((call) => call.api === api);
  }

  /** Fires `ready` as Electron does once it has started. */
  ready(): void {
    this.record("app.ready", []);
    this.isReady = true;
    this.app.emit("ready");
    this.#resolveReady();
  }

  deliverToRenderer(channel: string, payload: unknown): void {
    this.#rendererListeners.emit(channel, { sender: "main" }, payload);
  }

  /** Calls an IPC handler as Electron would for `event`; a channel without a handler rejects, as in Electron. */
  invokeMain(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = this.ipcHandlers.get(channel);
    if (handler === undefined) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return Promise.resolve(handler(event, ...args));
  }

  /** The `electron` module as the bundles import it. */
  module(): Record<string, unknown> {
    return {
      app: this.app,
      BrowserWindow: FakeBrowserWindow,
      protocol: {
        registerSchemesAsPrivileged: (schemes: unknown[]) => {
          this.record("protocol.registerSchemesAsPrivileged", [schemes]);
          if (this.isReady)
            throw new Error("registerSchemesAsPrivileged should be called before app is ready");
          this.schemes.push(...schemes);
        },
        handle: (scheme: string, handler: (request: Request) => Promise<Response>) => {
          this.record("protocol.handle", [scheme]);
          if (!this.isReady) throw new Error("protocol.handle before ready");
          this.protocolHandlers.set(scheme, handler);
        },
      },
      session: {
        defaultSession: {
          setPermissionRequestHandler: (handler: PermissionRequestHandler) => {
            this.record("session.setPermissionRequestHandler", []);
            this.permissionRequest = handler;
          },
          setPermissionCheckHandler: (handler: PermissionCheckHandler) => {
            this.record("session.setPermissionCheckHandler", []);
            this.permissionCheck = handler;
          },
          setDisplayMediaRequestHandler: (handler: DisplayMediaHandler) => {
            this.record("session.setDisplayMediaRequestHandler", []);
            this.displayMedia = handler;
          },
        },
      },
      ipcMain: {
        handle: (channel: string, handler: IpcHandler) => {
          this.record("ipcMain.handle", [channel]);
          if (this.ipcHandlers.has(channel)) {
            throw new Error(`Attempted to register a second handler for '${channel}'`);
          }
          this.ipcHandlers.set(channel, handler);
        },
        on: (channel: string) => {
          this.record("ipcMain.on", [channel]);
          this.ipcListeners.push(channel);
        },
      },
      shell: {
        openExternal: (url: string) => {
          this.record("shell.openExternal", [url]);
          this.opened.push(url);
          return Promise.resolve();
        },
      },
      dialog: {
        showMessageBox: (...args: unknown[]) => {
          const options = (args.length > 1 ? args[1] : args[0]) as Record<string, unknown>;
          this.record("dialog.showMessageBox", [options]);
          this.messageBoxes.push(options);
          return Promise.resolve({ response: this.dialogResponse, checkboxChecked: false });
        },
        showErrorBox: (title: string, content: string) => {
          this.record("dialog.showErrorBox", [title, content]);
          this.errorBoxes.push({ title, content });
        },
      },
      safeStorage: {
        isAsyncEncryptionAvailable: () => Promise.resolve(this.encryptionAvailable),
        getSelectedStorageBackend: () => this.storageBackend,
        encryptStringAsync: (text: string) =>
          Promise.resolve(Buffer.from(`sealed:${Buffer.from(text).toString("base64")}`)),
        decryptStringAsync: (sealed: Buffer) => {
          const text = sealed.toString();
          if (!text.startsWith("sealed:")) return Promise.reject(new Error("Error while decrypting"));
          return Promise.resolve({
            result: Buffer.from(text.slice(7), "base64").toString(),
            shouldReEncrypt: false,
          });
        },
      },
      systemPreferences: {},
      desktopCapturer: {
        getSources: () => Promise.resolve([{ id: "screen:0:0", name: "Entire screen" }]),
      },
      contextBridge: {
        exposeInMainWorld: (name: string, api: unknown) => {
          this.record("contextBridge.exposeInMainWorld", [name]);
          this.exposed.set(name, api);
        },
      },
      ipcRenderer: {
        invoke: (channel: string, ...args: unknown[]) => {
          this.record("ipcRenderer.invoke", [channel]);
          if (this.rendererSender === undefined)
            throw new Error("no page is connected to the fake main process");
          return this.invokeMain(channel, { ...this.rendererSender }, ...args);
        },
        on: (channel: string, listener: (...args: unknown[]) => void) => {
          this.#rendererListeners.on(channel, listener);
        },
        removeListener: (channel: string, listener: (...args: unknown[]) => void) => {
          this.#rendererListeners.removeListener(channel, listener);
        },
      },
    };
  }

  rendererListenerCount(channel: string): number {
    return this.#rendererListeners.listenerCount(channel);
  }
}
