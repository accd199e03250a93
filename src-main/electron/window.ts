// The app's window and the rules every web contents lives by (Electron's security checklist): a sandboxed
// renderer with context isolation and no Node, web security on, no insecure content, no experimental or Blink
// features, no <webview>; it never navigates away from app://renderer/, and never opens a window: a link meant for
// the browser goes through the one checked openExternal (open-external.ts) instead, as Element Desktop does.
import { join } from "node:path";
import type { BrowserWindowConstructorOptions, WebContents, WebPreferences } from "electron";
import { isAppUrl } from "./trust";

export function webPreferences(preload: string): WebPreferences {
  return {
    preload,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

export function mainWindowOptions(preloadDir: string, iconFile?: string): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 760,
    minWidth: 420,
    minHeight: 560,
    show: false,
    title: "Matrix QR Login",
    ...(iconFile === undefined ? {} : { icon: iconFile }),
    webPreferences: webPreferences(join(preloadDir, "index.cjs")),
  };
}

/** The local demo's second window ("New device"): the same rules, its label in the title bar. */
export function demoWindowOptions(preloadDir: string, label: string): BrowserWindowConstructorOptions {
  return { ...mainWindowOptions(preloadDir), title: `Matrix QR Login: ${label}` };
}

/**
 * Applies the navigation rules to every web contents the app gets (`web-contents-created`): navigation only within
 * app://renderer/, no <webview>, and every `window.open` denied, its URL handed to `openExternal` (which checks it
 * and asks the user) when it looks like a link for the browser.
 */
export function hardenWebContents(contents: WebContents, openExternal: (url: string) => void): void {
  contents.on("will-navigate", (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on("will-redirect", (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on("will-attach-webview", (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith("https:") || url.startsWith("http:")) openExternal(url);
    return { action: "deny" };
  });
}
