// How the command line opens a page (the consent page, the browser sign-in, the account page): it always prints
// the URL, and in human mode, where a graphical session exists, also hands it to the system's opener (xdg-open,
// open, start). It never starts a browser in --json mode: the driving program answers the consent itself
// (`consentOpened`). The engine has already checked the URL (https, or http to loopback when allowed).
import { spawn } from "node:child_process";
import type { OpenUrlResult } from "../../flows/host";
import type { CliStreams, Output } from "./io";

/** The system's "open this URL" command, or undefined where no graphical session is there to show it. */
export function systemOpener(streams: CliStreams): { command: string; args: string[] } | undefined {
  switch (streams.platform) {
    case "darwin":
      return { command: "open", args: [] };
    case "win32":
      return { command: "cmd", args: ["/c", "start", '""'] };
    default: {
      const display = streams.env.DISPLAY ?? streams.env.WAYLAND_DISPLAY;
      return display === undefined || display === "" ? undefined : { command: "xdg-open", args: [] };
    }
  }
}

/** Starts the opener; resolves whether it could be started (what the browser then does is not ours to see). */
function launch(opener: { command: string; args: string[] }, url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(opener.command, [...opener.args, url], { detached: true, stdio: "ignore" });
    child.once("error", () => {
      resolve(false);
    });
    child.once("spawn", () => {
      child.unref();
      resolve(true);
    });
  });
}

/** Told what became of a page in human mode: opened in a browser, or printed for the user to open. */
export type PageShown = (url: string, opened: boolean) => void;

export function cliOpenUrl(
  streams: CliStreams,
  out: Output,
  onPage?: PageShown,
): (url: string) => Promise<OpenUrlResult> {
  return async (url) => {
    if (out.json) {
      out.line({ type: "open", url });
      out.say(`Open this page in a browser: ${url}`);
      return "needs_user";
    }
    const opener = systemOpener(streams);
    if (opener !== undefined && (await launch(opener, url))) {
      out.say(`Opened in your browser: ${url}`);
      onPage?.(url, true);
      return "opened";
    }
    out.say(
      opener === undefined
        ? "No browser can be opened from here (there is no graphical session)."
        : `No browser could be opened from here (${opener.command} did not start).`,
    );
    out.say(`Open this page in your browser: ${url}`);
    onPage?.(url, false);
    return "needs_user";
  };
}
