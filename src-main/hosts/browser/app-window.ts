// Opens a browser host's page in an app window (no tabs, no address bar) of the system's Chromium, when there is
// one. The address carries the page's token, and a process's command line is readable by every user of the
// machine, so Chromium is pointed at a small file, readable only by this user, that forwards to the address.
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";

const LINUX_NAMES = [
  "chromium",
  "chromium-browser",
  "google-chrome",
  "google-chrome-stable",
  "microsoft-edge",
  "brave-browser",
];
const MAC_APPS = [
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
  "/Applications/Brave Browser.app/Contents/MacOS/Brave Browser",
];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The system's Chromium (or a browser built on it): $CHROMIUM_PATH, else the usual places. */
export function findChromium(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const chosen = env.CHROMIUM_PATH;
  if (chosen !== undefined && chosen !== "") return executable(chosen) ? chosen : undefined;
  if (platform === "darwin") return MAC_APPS.find(executable);
  if (platform === "win32") {
    const roots = [env.PROGRAMFILES, env["PROGRAMFILES(X86)"], env.LOCALAPPDATA].filter(
      (root): root is string => root !== undefined,
    );
    const files = roots.flatMap((root) => [
      join(root, "Google", "Chrome", "Application", "chrome.exe"),
      join(root, "Microsoft", "Edge", "Application", "msedge.exe"),
      join(root, "Chromium", "Application", "chrome.exe"),
    ]);
    return files.find(executable);
  }
  const dirs = (env.PATH ?? "").split(delimiter).filter((dir) => dir !== "");
  for (const name of LINUX_NAMES) {
    for (const dir of dirs) {
      const file = join(dir, name);
      if (executable(file)) return file;
    }
  }
  return undefined;
}

export interface AppWindow {
  readonly child: ChildProcess;
  /** Closes the window (the process we started) and removes its files. */
  close(): Promise<void>;
}

/** Starts `chromium` with an app window on `url`, in a browser profile of its own (removed on close). */
export async function openAppWindow(chromium: string, url: string): Promise<AppWindow> {
  const dir = await mkdtemp(join(tmpdir(), "matrix-qr-login-window-"));
  const launcher = join(dir, "open.html");
  const escaped = url.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  await writeFile(
    launcher,
    `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escaped}"><title>Matrix QR Login</title>\n`,
    { mode: 0o600 },
  );
  const child = spawn(
    chromium,
    [
      `--app=${pathToFileURL(launcher).href}`,
      `--user-data-dir=${join(dir, "browser")}`,
      "--no-first-run",
      "--no-default-browser-check",
      "--window-size=1100,760",
    ],
    { stdio: "ignore" },
  );
  child.on("error", (error) => {
    console.error(`browser host: could not start ${chromium}: ${error.message}`);
  });
  return {
    child,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
