// `npm run start:browser -- [options]`: builds the renderer (out/renderer) and the Node entries (out/node), then
// runs the browser host with the options given (`--help` lists them). The builds are quiet, so stdout carries only
// the host's own lines ("browser host ready at …", one per profile).
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");

function build(label, args) {
  const result = spawnSync("npx", ["vite", "build", ...args, "--logLevel", "error"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (result.status !== 0) {
    console.error(`start:browser: building ${label} failed (exit ${result.status})`);
    process.exit(1);
  }
}

build("the renderer", ["--config", "vite.renderer.config.ts"]);
build("the Node entries", ["--config", "vite.node.config.ts"]);

const host = spawn(
  process.execPath,
  [join(root, "out", "node", "browser-host.js"), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: "inherit",
  },
);
// Ctrl-C reaches both processes from the terminal; a signal sent to this one alone is passed on.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    host.kill(signal);
  });
}
host.on("exit", (code, signal) => {
  process.exit(code ?? (signal === null ? 1 : 0));
});
