// The built Electron main bundle (out/…/main/index.js, from the app's own electron-vite config), loaded in Node
// with a recording fake of the `electron` module and a small test engine in place of the engine's chunk. Every
// rule of the shell is exercised through what the bundle registered: the order of the calls before `ready`, the
// window's web preferences, the app:// handler with crafted requests, the navigation and window-open listeners,
// the permission handlers, openExternal through the contract, and the IPC handlers with fake senders.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  COMMAND_NAMES,
  COMMANDS,
  EVENT_NAMES,
  MAX_MESSAGE_CHARS,
  type CommandName,
} from "../../src-shared/contract";
import { engineFromBridge } from "../../src-renderer/engine";
import { invalid, overTheWire, oversize, unknownName } from "./contract-arbitraries";
import { commandChannel, eventChannel } from "../../src-shared/contract-names";
import { TestEngine } from "../../src-main/engine/test-engine.testing";
import type { EngineOptions } from "../../src-main/engine/index";
import { RENDERER_CSP } from "../../src-main/hosts/csp";
import { buildShellBundles, ROOT, writeStandInRenderer } from "./electron-build";
import { FakeBrowserWindow, FakeElectron, FakeFrame, FakeWebContents } from "./fake-electron";

const harness = vi.hoisted(() => ({
  fake: undefined as unknown as FakeElectron,
  engines: [] as { options: EngineOptions; engine: TestEngine }[],
  engineFailure: undefined as Error | undefined,
}));

const OUT = join(ROOT, "out", "shell-test", "electron");
const MAIN = join(OUT, "main", "index.js");
const ENGINE_CHUNK = join(OUT, "main", "chunks", "engine.js");

/** The test engine in place of the engine's chunk (the real one is tested on its own). */
function mockEngineChunk(): void {
  vi.doMock(ENGINE_CHUNK, () => ({
    createEngine: (options: EngineOptions) => {
      if (harness.engineFailure !== undefined) return Promise.reject(harness.engineFailure);
      const engine = new TestEngine({ openUrl: options.openUrl });
      harness.engines.push({ options, engine });
      return Promise.resolve(engine);
    },
  }));
}
const home = mkdtempSync(join(tmpdir(), "mqrl-shell-"));
const savedArgv = process.argv;
const savedHome = process.env.MATRIX_QR_LOGIN_HOME;

/** Loads the main bundle afresh with `args` on its command line and a new fake Electron. */
async function loadMain(args: string[], fake = new FakeElectron()): Promise<FakeElectron> {
  vi.resetModules();
  harness.fake = fake;
  harness.engines = [];
  vi.doMock("electron", () => fake.module());
  mockEngineChunk();
  process.argv = [process.execPath, ".", ...args];
  try {
    await import(/* @vite-ignore */ MAIN);
  } finally {
    process.argv = savedArgv;
  }
  return harness.fake;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

beforeAll(() => {
  buildShellBundles(OUT);
  writeStandInRenderer(OUT);
  process.env.MATRIX_QR_LOGIN_HOME = home;
}, 60_000);

afterAll(() => {
  if (savedHome === undefined) delete process.env.MATRIX_QR_LOGIN_HOME;
  else process.env.MATRIX_QR_LOGIN_HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
});

describe("the Electron main process, started on one profile", () => {
  let fake: FakeElectron;
  let window: FakeBrowserWindow;
  let contents: FakeWebContents;
  const profileDir = join(home, "explicit-profile");

  beforeAll(async () => {
    fake = await loadMain(["--profile-dir", profileDir]);
  });

  it("sandboxes every renderer, registers app: as privileged and takes the profile's lock, all before ready", async () => {
    const ready = fake.calls.length;
    expect(fake.indexOf("app.enableSandbox")).toBeGreaterThanOrEqual(0);
    expect(fake.indexOf("protocol.registerSchemesAsPrivileged")).toBeGreaterThanOrEqual(0);
    expect(fake.schemes).toEqual([
      { scheme: "app", privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    // userData is the profile's before the single-instance lock, so the lock is per profile.
    expect(fake.paths.get("userData")).toBe(join(profileDir, "electron"));
    expect(fake.indexOf("app.setPath")).toBeLessThan(fake.indexOf("app.requestSingleInstanceLock"));
    expect(fake.calls.find((call) => call.api === "app.requestSingleInstanceLock")?.args).toEqual([
      join(profileDir, "electron"),
    ]);
    expect((await stat(profileDir)).mode & 0o777).toBe(0o700);
    // Nothing that needs `ready` ran yet.
    expect(FakeBrowserWindow.all).toHaveLength(0);
    expect(fake.protocolHandlers.size).toBe(0);

    fake.ready();
    await settle();
    expect(fake.indexOf("app.enableSandbox")).toBeLessThan(ready);
    expect(fake.indexOf("protocol.registerSchemesAsPrivileged")).toBeLessThan(ready);
    expect(fake.indexOf("app.ready")).toBe(ready);
    expect(FakeBrowserWindow.all).toHaveLength(1);
    window = FakeBrowserWindow.all[0] as FakeBrowserWindow;
    contents = window.webContents;
    // The page is the app's own: what the IPC and permission checks trust.
    contents.mainFrame = new FakeFrame("app://renderer/index.html");
    // The engine is imported after the window opens.
    await vi.waitFor(
      () => {
        expect(harness.engines).toHaveLength(1);
      },
      { timeout: 20_000 },
    );
    expect(harness.engines[0]?.options).toMatchObject({ app: "electron", location: { dir: profileDir } });
  });

  it("opens one window, sandboxed and isolated, without Node, from app://renderer/", () => {
    expect(window.loadedUrl).toBe("app://renderer/index.html");
    const preferences = window.options.webPreferences as Record<string, unknown>;
    expect(preferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
    });
    expect(preferences.enableBlinkFeatures).toBeUndefined();
    expect(preferences.preload).toBe(join(OUT, "preload", "index.cjs"));
    expect(window.shown).toBe(false);
    window.emit("ready-to-show");
    expect(window.shown).toBe(true);
  });

  it("serves the renderer on app:// with the CSP, and nothing outside it by any spelling", async () => {
    const handler = fake.protocolHandlers.get("app");
    if (handler === undefined) throw new Error("no app: handler");
    const get = (url: string) => handler({ url, method: "GET" } as Request);

    const page = await handler(new Request("app://renderer/index.html"));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toBe(RENDERER_CSP);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain("Matrix QR Login");
    expect((await get("app://renderer/")).status).toBe(200);
    const script = await get("app://renderer/assets/app.js");
    expect([script.status, script.headers.get("content-type")]).toEqual([
      200,
      "text/javascript; charset=utf-8",
    ]);

    // secret.txt sits beside the renderer's folder: each of these would reach it (or /etc/passwd) unguarded.
    const attempts = [
      "app://renderer/../secret.txt",
      // Dot segments are refused even where they would stay inside: no page of ours links with them.
      "app://renderer/assets/../index.html",
      "app://renderer/./index.html",
      "app://renderer/assets/../../secret.txt",
      "app://renderer/%2e%2e/secret.txt",
      "app://renderer/%2E%2E%2Fsecret.txt",
      "app://renderer/..%2fsecret.txt",
      "app://renderer/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
      "app://renderer/..%5csecret.txt",
      "app://renderer/%5c..%5csecret.txt",
      `app://renderer/${encodeURIComponent(join(OUT, "secret.txt"))}`,
      `app://renderer/${join(OUT, "secret.txt")}`,
      "app://renderer//etc/passwd",
      "app://renderer/%2fetc%2fpasswd",
      "app://renderer/C:%5cWindows%5cwin.ini",
      "app://renderer/index.html%00.png",
      "app://renderer/%",
      "app://elsewhere/index.html",
    ];
    for (const url of attempts) {
      const answer = await get(url);
      expect.soft(answer.status, url).toBe(404);
      expect.soft(answer.headers.get("content-security-policy"), url).toBe(RENDERER_CSP);
      expect.soft(await answer.text(), url).toBe("");
    }
    expect((await handler({ url: "app://renderer/index.html", method: "POST" } as Request)).status).toBe(405);
  });

  it("refuses navigation away from app://renderer/, <webview>, and every window.open", () => {
    expect(contents.emitPreventable("will-navigate", "https://evil.example/")).toBe(true);
    expect(contents.emitPreventable("will-navigate", "file:///etc/passwd")).toBe(true);
    expect(contents.emitPreventable("will-navigate", "app://elsewhere/index.html")).toBe(true);
    expect(contents.emitPreventable("will-navigate", "app://renderer/index.html")).toBe(false);
    expect(contents.emitPreventable("will-redirect", "https://evil.example/")).toBe(true);
    expect(contents.emitPreventable("will-attach-webview", {}, {})).toBe(true);

    const handler = contents.windowOpenHandler;
    if (handler === undefined) throw new Error("no window-open handler");
    for (const url of [
      "javascript:alert(1)",
      "file:///etc/passwd",
      "app://renderer/index.html",
      "https://a.example/",
    ]) {
      expect(handler({ url })).toEqual({ action: "deny" });
    }
  });

  it("opens only https (and http to this machine) outside, after showing the host", async () => {
    await settle();
    // window.open("https://a.example/") above went to openExternal, which asked first.
    expect(fake.messageBoxes.at(-1)).toMatchObject({ message: "Open a.example in your browser?" });
    expect(fake.opened).toEqual(["https://a.example/"]);

    const sender = { sender: contents, senderFrame: contents.mainFrame };
    const open = (url: string) => fake.invokeMain(commandChannel("app.openExternal"), sender, { url });
    for (const url of [
      "javascript:alert(1)",
      "file:///etc/passwd",
      "http://example.org/",
      "http://192.168.1.10/",
      "https://user:pass@example.org/",
      "data:text/html,hi",
    ]) {
      expect.soft(await open(url), url).toMatchObject({ ok: false, error: { code: "internal_error" } });
    }
    expect(fake.opened).toEqual(["https://a.example/"]);

    const boxes = fake.messageBoxes.length;
    expect(await open("https://account.example.org/devices")).toEqual({ ok: true, value: { ok: true } });
    expect(fake.messageBoxes[boxes]).toMatchObject({
      message: "Open account.example.org in your browser?",
      detail: "https://account.example.org/devices",
    });
    expect(await open("http://127.0.0.1:8008/consent")).toEqual({ ok: true, value: { ok: true } });
    expect(fake.opened).toEqual([
      "https://a.example/",
      "https://account.example.org/devices",
      "http://127.0.0.1:8008/consent",
    ]);

    // The user says no: nothing opens, and the engine hears that the user must open it.
    fake.dialogResponse = 1;
    await open("https://b.example/");
    fake.dialogResponse = 0;
    expect(fake.opened).not.toContain("https://b.example/");
    expect(harness.engines[0]?.engine.opened.at(-1)).toEqual({
      url: "https://b.example/",
      result: "needs_user",
    });
  });

  it("grants the camera (video only) to the app's page only while the scanner is open, and nothing else", async () => {
    const request = fake.permissionRequest;
    const check = fake.permissionCheck;
    if (request === undefined || check === undefined) throw new Error("no permission handlers");
    const ask = (permission: string, details: Record<string, unknown>, from: FakeWebContents = contents) =>
      new Promise<boolean>((resolve) => {
        request(from, permission, resolve, details);
      });
    const camera = {
      mediaTypes: ["video"],
      securityOrigin: "app://renderer/",
      requestingUrl: "app://renderer/index.html",
      isMainFrame: true,
    };
    const checkCamera = { mediaType: "video", securityOrigin: "app://renderer/", isMainFrame: true };

    expect(await ask("media", camera)).toBe(false);
    expect(check(contents, "media", "app://renderer/", checkCamera)).toBe(false);

    // The renderer starts a scan: the engine's snapshot says the scanner is open.
    const sender = { sender: contents, senderFrame: contents.mainFrame };
    const started = await fake.invokeMain(commandChannel("flow.start"), sender, {
      kind: "sign_in",
      side: "scan",
    });
    expect(started).toMatchObject({ ok: true });
    expect(contents.sent.at(-1)).toMatchObject({
      channel: eventChannel("flow.snapshot"),
      payload: { phase: "scanning" },
    });

    expect(await ask("media", camera)).toBe(true);
    expect(check(contents, "media", "app://renderer/", checkCamera)).toBe(true);
    expect(await ask("media", { ...camera, mediaTypes: ["audio"] })).toBe(false);
    expect(await ask("media", { ...camera, mediaTypes: ["video", "audio"] })).toBe(false);
    expect(await ask("media", { ...camera, mediaTypes: [] })).toBe(false);
    expect(await ask("media", { ...camera, isMainFrame: false })).toBe(false);
    expect(
      await ask("media", {
        ...camera,
        requestingUrl: "https://evil.example/",
        securityOrigin: "https://evil.example",
      }),
    ).toBe(false);
    expect(await ask("media", camera, new FakeWebContents(fake, "app://renderer/index.html"))).toBe(false);
    expect(check(contents, "media", "app://renderer/", { ...checkCamera, mediaType: "audio" })).toBe(false);
    expect(check(contents, "media", "https://evil.example", checkCamera)).toBe(false);
    for (const permission of [
      "notifications",
      "geolocation",
      "clipboard-read",
      "display-capture",
      "openExternal",
      "usb",
      "midi",
    ]) {
      expect
        .soft(await ask(permission, { ...camera, requestingUrl: "app://renderer/index.html" }), permission)
        .toBe(false);
      expect.soft(check(contents, permission, "app://renderer/", checkCamera), permission).toBe(false);
    }

    // Scan from screen: the screen's picture for a click on the app's page while scanning, never its sound.
    const display = fake.displayMedia;
    if (display === undefined) throw new Error("no display-media handler");
    const capture = (request: Record<string, unknown>) =>
      new Promise<unknown>((resolve) => {
        display(request, resolve);
      });
    const screen = {
      frame: contents.mainFrame,
      securityOrigin: "app://renderer/",
      videoRequested: true,
      audioRequested: true,
      userGesture: true,
    };
    expect(await capture(screen)).toEqual({ video: { id: "screen:0:0", name: "Entire screen" } });
    expect(await capture({ ...screen, userGesture: false })).toBeNull();
    expect(await capture({ ...screen, frame: new FakeFrame("https://evil.example/") })).toBeNull();
    expect(
      await capture({ ...screen, frame: new FakeFrame("app://renderer/index.html", contents.mainFrame) }),
    ).toBeNull();

    // The scan ends: the camera is off limits again.
    const flowId = (started as { value: { flowId: string } }).value.flowId;
    await fake.invokeMain(commandChannel("flow.command"), sender, { flowId, command: { type: "cancel" } });
    expect(contents.sent.at(-1)).toMatchObject({ payload: { phase: "error" } });
    expect(await ask("media", camera)).toBe(false);
    expect(await capture(screen)).toBeNull();
  });

  it("serves each command on its own channel, and only to the app's own main frame", async () => {
    expect([...fake.ipcHandlers.keys()].sort()).toEqual(COMMAND_NAMES.map(commandChannel).sort());
    expect(fake.ipcListeners).toEqual([]);
    await expect(fake.invokeMain("matrixQrLogin:command:engine.eval", {}, {})).rejects.toThrow(
      "No handler registered",
    );

    const engine = harness.engines[0]?.engine;
    const before = engine?.received.length ?? 0;
    const channel = commandChannel("account.get");
    const forbidden = { ok: false, contractError: { code: "forbidden_sender" } };
    const strangers = [
      { sender: contents, senderFrame: new FakeFrame("app://renderer/index.html", contents.mainFrame) },
      { sender: contents, senderFrame: new FakeFrame("https://evil.example/") },
      { sender: contents, senderFrame: new FakeFrame("app://elsewhere/index.html") },
      { sender: contents, senderFrame: null },
      {
        sender: new FakeWebContents(fake, "app://renderer/index.html"),
        senderFrame: new FakeFrame("app://renderer/index.html"),
      },
    ];
    for (const stranger of strangers) {
      expect.soft(await fake.invokeMain(channel, stranger, {})).toMatchObject(forbidden);
      // The sender is checked before the payload: a stranger learns nothing about the schema.
      expect.soft(await fake.invokeMain(channel, stranger, { junk: 1 })).toMatchObject(forbidden);
    }
    expect(engine?.received.length).toBe(before);

    const own = { sender: contents, senderFrame: contents.mainFrame };
    expect(await fake.invokeMain(channel, own, {})).toMatchObject({
      ok: true,
      value: { status: "signed_out" },
    });
    expect(await fake.invokeMain(channel, own, { extra: true })).toMatchObject({
      ok: false,
      contractError: { code: "invalid_request" },
    });
    expect(await fake.invokeMain(channel, own, {}, {})).toMatchObject({
      ok: false,
      contractError: { code: "invalid_request" },
    });
    expect(
      await fake.invokeMain(commandChannel("doctor.run"), own, { homeserver: "x".repeat(MAX_MESSAGE_CHARS) }),
    ).toMatchObject({
      ok: false,
      contractError: { code: "too_large" },
    });
    expect(engine?.received.length).toBe(before + 1);
  });

  it("refuses generated wrong payloads on every channel with a typed answer, before the engine", async () => {
    const engine = harness.engines[0]?.engine;
    const before = engine?.received.length ?? 0;
    const own = { sender: contents, senderFrame: contents.mainFrame };
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...COMMAND_NAMES)
          .chain((name: CommandName) =>
            fc.tuple(
              fc.constant(name),
              fc.oneof(invalid(COMMANDS[name].request), oversize(COMMANDS[name].request)),
            ),
          ),
        unknownName,
        async ([name, payload], unknown) => {
          const answer = (await fake.invokeMain(commandChannel(name), own, overTheWire(payload))) as {
            contractError?: { code: string };
          };
          expect(["invalid_request", "too_large"]).toContain(answer.contractError?.code);
          await expect(fake.invokeMain(`matrixQrLogin:command:${unknown}`, own, {})).rejects.toThrow(
            "No handler registered",
          );
        },
      ),
      { numRuns: 60 },
    );
    expect(engine?.received.length).toBe(before);
  });

  it("gives the page, through the preload, one named function per command and event, and nothing else", async () => {
    const require = createRequire(import.meta.url);
    const electronId = require.resolve("electron");
    // The sandboxed preload's require("electron") finds the fake (Electron's own entry would download a binary).
    require.cache[electronId] = {
      id: electronId,
      filename: electronId,
      loaded: true,
      exports: fake.module(),
    } as unknown as NodeJS.Module;
    const preload = join(OUT, "preload", "index.cjs");
    try {
      Reflect.deleteProperty(require.cache, preload);
      require(preload);
    } finally {
      Reflect.deleteProperty(require.cache, electronId);
    }
    expect([...fake.exposed.keys()]).toEqual(["matrixQrLogin"]);
    const bridge = fake.exposed.get("matrixQrLogin") as {
      host: string;
      commands: Record<string, unknown>;
      events: Record<string, unknown>;
    };
    expect(Object.keys(bridge).sort()).toEqual(["commands", "events", "host"]);
    expect(bridge.host).toBe("electron");
    expect(Object.keys(bridge.commands).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(Object.keys(bridge.events).sort()).toEqual([...EVENT_NAMES].sort());
    for (const fn of [...Object.values(bridge.commands), ...Object.values(bridge.events)]) {
      expect(typeof fn).toBe("function");
    }

    // The renderer's own reading of the bridge, end to end: page -> preload -> IPC -> engine -> back.
    fake.rendererSender = { sender: contents, senderFrame: contents.mainFrame };
    const api = engineFromBridge(bridge);
    if (api === undefined) throw new Error("the renderer found no engine on the bridge");
    expect(await api.invoke("account.get", {})).toMatchObject({ ok: true, value: { status: "signed_out" } });
    const seen: unknown[] = [];
    const off = api.on("account.state", (state) => seen.push(state));
    const engine = harness.engines[0]?.engine;
    engine?.emit({ name: "account.state", payload: engine.account });
    expect(seen).toEqual([engine?.account]);
    off();
    expect(fake.rendererListenerCount(eventChannel("account.state"))).toBe(0);
    // Unchecked requests never leave the page: the renderer refuses them itself.
    await expect(api.invoke("account.get", { extra: 1 } as unknown as Record<string, never>)).rejects.toThrow(
      TypeError,
    );
  });

  it("sends the engine's events to the window on their own channels, and drops one that breaks the contract", () => {
    const engine = harness.engines[0]?.engine;
    if (engine === undefined) throw new Error("no engine");
    const sent = contents.sent.length;
    engine.emit({ name: "account.state", payload: engine.account });
    expect(contents.sent.slice(sent)).toEqual([
      { channel: eventChannel("account.state"), payload: engine.account },
    ]);
    engine.emit({
      name: "account.state",
      payload: { ...engine.account, accessToken: "secret" } as typeof engine.account,
    });
    expect(contents.sent).toHaveLength(sent + 1);
  });

  it("keeps the profile's secrets in the keychain, moving those another host left in a file, and says so", async () => {
    const options = harness.engines[0]?.options;
    if (options?.secretStore === undefined) throw new Error("no secret store handed to the engine");
    const dir = mkdtempSync(join(home, "secrets-"));
    const secrets = {
      cryptoStoreKey: Buffer.alloc(32, 7).toString("base64"),
      tokens: { accessToken: "mat_at" },
    };
    writeFileSync(join(dir, "secrets.json"), JSON.stringify(secrets), { mode: 0o600 });
    const store = options.secretStore(dir);
    expect(await store.read()).toEqual(secrets);
    expect(fake.messageBoxes.at(-1)).toMatchObject({ type: "info" });
    expect(String(fake.messageBoxes.at(-1)?.message)).toContain("into the system keychain (gnome_libsecret)");
    await expect(stat(join(dir, "secrets.json"))).rejects.toThrow("ENOENT");
    const sealed = await readFile(join(dir, "secrets.keychain"), "utf8");
    expect(sealed).not.toContain("mat_at");
    expect(await options.secretStore(dir).read()).toEqual(secrets);
  });
});

describe("the Electron main process, started again", () => {
  it("hands over to the window already open on the same profile", async () => {
    const second = new FakeElectron();
    second.singleInstance = false;
    await loadMain(["--profile", "alice"], second);
    expect(second.paths.get("userData")).toBe(join(home, "profiles", "alice", "electron"));
    expect(second.calls.map((call) => call.api)).toContain("app.quit");
    second.ready();
    await settle();
    expect(FakeBrowserWindow.all).toHaveLength(0);
    expect(second.ipcHandlers.size).toBe(0);
  });

  it("refuses more than one profile per process, saying why", async () => {
    const fake = await loadMain(["--profile", "a", "--profile", "b"]).catch(() => harness.fake);
    expect(fake.exitCode).toBe(2);
    expect(fake.errorBoxes.at(-1)?.content).toContain("one profile per window");
  });

  it("says why when the engine cannot open the profile, and quits", async () => {
    harness.engineFailure = new Error("the profile is open in cli (process 4242)");
    try {
      const fake = await loadMain(["--profile", "busy"]);
      fake.ready();
      await vi.waitFor(
        () => {
          expect(fake.errorBoxes.at(-1)?.title).toBe("Matrix QR Login cannot open this profile");
        },
        { timeout: 20_000 },
      );
      expect(fake.errorBoxes.at(-1)?.content).toContain("open in cli");
      expect(fake.exitCode).toBe(2);
    } finally {
      harness.engineFailure = undefined;
    }
  });
});
