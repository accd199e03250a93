// `npm run start:browser -- [options]`: builds the renderer (out/renderer) and the Node entries (out/node) when
// their sources changed since the last build, then runs the browser host with the options given (`--help` lists
// them). The builds are quiet, so stdout carries only the host's own lines ("browser host ready at …", one per
// profile). $MATRIX_QR_LOGIN_OUT_DIR moves both builds out of out/ (a test's own folder, so that it never races
// another suite's build of out/node).
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const root = join(import.meta.dirname, "..");
const out = resolve(root, process.env.MATRIX_QR_LOGIN_OUT_DIR || "out");
const SOURCES = ["src-main", "src-shared", "src-renderer", "devserver", "package.json", "package-lock.json"];

/** The newest modification time under `path` (0 when it does not exist). */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stat.mtimeMs);
}

function build(label, config, outDir, marker) {
  const sources = Math.max(
    newest(join(root, config)),
    ...SOURCES.map((source) => newest(join(root, source))),
  );
  if (newest(join(outDir, marker)) > sources) return;
  const result = spawnSync(
    "npx",
    ["vite", "build", "--config", config, "--outDir", outDir, "--emptyOutDir", "--logLevel", "error"],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
  );
  if (result.status !== 0) {
    console.error(`start:browser: building ${label} failed (exit ${result.status})`);
    process.exit(1);
  }
}

build("the renderer", "vite.renderer.config.ts", join(out, "renderer"), "index.html");
build("the Node entries", "vite.node.config.ts", join(out, "node"), "browser-host.js");

const host = spawn(process.execPath, [join(out, "node", "browser-host.js"), ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
// Ctrl-C reaches both processes from the terminal; a signal sent to this one alone is passed on.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    host.kill(signal);
  });
}
host.on("exit", (code, signal) => {
  process.exit(code ?? (signal === null ? 1 : 0));
});
