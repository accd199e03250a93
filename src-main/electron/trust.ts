// Who the app trusts inside Electron: its own renderer, loaded from app://renderer/ (a privileged custom scheme
// rather than file://, so the page has one origin of its own and reads no other file), in the main frame of one of
// its own windows. Everything else (a subframe, another origin, a window we did not create) is a stranger: its
// IPC is refused, its permission requests denied (VS Code's validated IPC main checks the sender frame the same way).
import type { WebContents, WebFrameMain } from "electron";

export const APP_SCHEME = "app";
export const APP_HOST = "renderer";
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Whether `url` is on the renderer's own origin. (Node's URL gives custom schemes an opaque origin: compare parts.) */
export function isAppUrl(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.port === "";
  } catch {
    return false;
  }
}

/** The windows the app created, by their webContents' id. */
export class OwnContents {
  readonly #ids = new Set<number>();

  add(contents: WebContents): void {
    const id = contents.id;
    this.#ids.add(id);
    contents.once("destroyed", () => {
      this.#ids.delete(id);
    });
  }

  has(contents: WebContents | null | undefined): boolean {
    return contents !== null && contents !== undefined && this.#ids.has(contents.id);
  }
}

/** Whether a message or request comes from the app's own page: the main frame of our window, on app://renderer/. */
export function isAppMainFrame(
  own: OwnContents,
  sender: WebContents | null | undefined,
  frame: WebFrameMain | null | undefined,
): boolean {
  return (
    own.has(sender) && frame !== null && frame !== undefined && frame.parent === null && isAppUrl(frame.url)
  );
}
