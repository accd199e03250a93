// `npm start`: build and launch the Electron app.
// Electron 45 no longer downloads its binary at `npm install`; electron-vite only looks for it and fails with
// "Electron uninstall". So fetch it first with Electron's own installer (a no-op once installed), and where the
// download cannot happen (no access to Electron's release host) say so plainly instead of a stack trace.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const electronDir = join(import.meta.dirname, "..", "node_modules", "electron");

function electronBinaryPresent() {
  const pathFile = join(electronDir, "path.txt");
  if (!existsSync(pathFile)) return false;
  return existsSync(join(electronDir, "dist", readFileSync(pathFile, "utf8").trim()));
}

if (!electronBinaryPresent()) {
  console.log("npm start: downloading the Electron binary (first launch only)...");
  const install = spawnSync(process.execPath, [join(electronDir, "install.js")], { stdio: "inherit" });
  if (install.status !== 0 || !electronBinaryPresent()) {
    console.error(
      "\nnpm start: the Electron binary could not be downloaded, so the app cannot start here. Check access to " +
        "github.com (or set ELECTRON_MIRROR to a mirror), then run npm start again.",
    );
    process.exit(1);
  }
}

const result = spawnSync("npx", ["electron-vite", "preview"], { stdio: "inherit" });
process.exit(result.status ?? 1);
