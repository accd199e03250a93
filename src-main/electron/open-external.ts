// The one way out of the app to the user's browser (Electron's checklist: never shell.openExternal with untrusted
// content). Only https, or plain http to this machine in development (hosts/external-url.ts); and before anything
// opens, the user sees the host it goes to and agrees, so neither a peer's consent URL nor a compromised page can
// open a site without the user seeing where it goes.
import type { BrowserWindow, Dialog, Shell } from "electron";
import type { OpenUrlResult } from "../flows/host";
import { checkExternalUrl } from "../hosts/external-url";

export interface OpenExternalOptions {
  readonly shell: Pick<Shell, "openExternal">;
  readonly dialog: Pick<Dialog, "showMessageBox">;
  readonly allowLoopbackHttp: boolean;
  /** The window the question is attached to, when one is open. */
  readonly parent: () => BrowserWindow | undefined;
}

/**
 * Opens `url` in the user's browser after asking; `needs_user` when the user said no (a flow then waits for the
 * user to open the page from the window). Rejects for a URL that may not be opened.
 */
export function createOpenExternal(options: OpenExternalOptions): (url: string) => Promise<OpenUrlResult> {
  return async (url) => {
    const checked = checkExternalUrl(url, { allowLoopbackHttp: options.allowLoopbackHttp });
    if (!checked.ok) throw new TypeError(`refused to open a URL (${checked.reason})`);
    const question = {
      type: "question" as const,
      buttons: ["Open in browser", "Cancel"],
      defaultId: 0,
      cancelId: 1,
      title: "Open in your browser",
      message: `Open ${checked.host} in your browser?`,
      detail: checked.url,
    };
    const parent = options.parent();
    const { response } = await (parent === undefined
      ? options.dialog.showMessageBox(question)
      : options.dialog.showMessageBox(parent, question));
    if (response !== 0) return "needs_user";
    await options.shell.openExternal(checked.url, { activate: true });
    return "opened";
  };
}
