// `npm run demo [-- --no-open]`: the local demo from the command line (README "Try it on this computer"): a
// homeserver inside the host's process, one page signed in ("This computer, signed in") and one empty ("New
// device"), in a temporary folder that is removed when it stops (Ctrl-C). It runs on the browser host, which prints
// one "browser host ready at …" line per page and opens each in an app window of the system's Chromium.
import { spawn } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const child = spawn(
  process.execPath,
  [join(root, "scripts", "start-browser.mjs"), "--demo", ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit" },
);
// Ctrl-C reaches every process of the terminal's group; a signal sent to this one alone is passed on.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    child.kill(signal);
  });
}
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal === null ? 1 : 0));
});
