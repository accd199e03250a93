// `npm start [-- options]`: build and launch the Electron app; where the Electron binary cannot be had, say so in
// one line and start the browser host instead (same engine, same screens, in the system's browser), so that the
// README's start command runs the app on a fresh machine either way. Options (`--profile <name>`,
// `--profile-dir <path>`, `--allow-insecure-http`) go to whichever starts.
//
// Electron 45 downloads its binary on first use, not at `npm install`. The binary is found from
// node_modules/electron/path.txt without require("electron") (which would start that download unasked); if it is
// missing, Electron's own installer fetches it once (quietly), and its failure is the one line we print.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const electronDir = join(root, "node_modules", "electron");
const args = process.argv.slice(2);

function electronBinary() {
  const pathFile = join(electronDir, "path.txt");
  if (!existsSync(pathFile)) return undefined;
  const binary = join(electronDir, "dist", readFileSync(pathFile, "utf8").trim());
  return existsSync(binary) ? binary : undefined;
}

function lastLine(text) {
  const lines = text.split("\n").map((line) => line.trim());
  return lines.find((line) => /error/i.test(line)) ?? lines.filter((line) => line !== "").at(-1) ?? "";
}

function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      child.kill(signal);
    });
  }
  child.on("exit", (code, signal) => {
    process.exit(code ?? (signal === null ? 1 : 0));
  });
}

let binary = electronBinary();
let why = "";
if (binary === undefined && existsSync(join(electronDir, "install.js"))) {
  const install = spawnSync(process.execPath, [join(electronDir, "install.js")], { encoding: "utf8" });
  binary = electronBinary();
  if (binary === undefined) why = lastLine(`${install.stderr ?? ""}\n${install.stdout ?? ""}`);
}

if (binary === undefined) {
  console.error(
    `npm start: no Electron binary here (${why === "" ? "not installed" : `download failed: ${why.slice(0, 160)}`}); ` +
      "starting the browser host instead",
  );
  run(process.execPath, [join(root, "scripts", "start-browser.mjs"), ...args]);
} else {
  const build = spawnSync("npx", ["electron-vite", "build", "--logLevel", "warn"], {
    cwd: root,
    stdio: "inherit",
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  run(binary, [root, ...args]);
}
