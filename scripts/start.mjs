// `npm start`: build and launch the Electron app. Electron downloads its binary on first use; where that
// download cannot happen (no access to Electron's release host), say so plainly instead of a stack trace.
import { spawnSync } from "node:child_process";

const result = spawnSync("npx", ["electron-vite", "preview"], { stdio: "inherit" });
if (result.status !== 0) {
  console.error(
    "\nnpm start: Electron did not start (exit status %s). Electron 45 downloads its binary on first use; " +
      "if that download failed, check access to github.com or set ELECTRON_MIRROR.",
    String(result.status),
  );
  process.exit(result.status ?? 1);
}
