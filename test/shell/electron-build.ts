// Builds the Electron main and preload bundles with the app's own electron-vite config into a folder of the
// test's own (the renderer is left out: the app:// tests serve a small stand-in build written here).
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

export function buildShellBundles(outDir: string): void {
  const result = spawnSync(
    "npx",
    [
      "electron-vite",
      "build",
      "-c",
      "test/shell/electron-vite.shell.config.ts",
      "--outDir",
      outDir,
      "--logLevel",
      "error",
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (result.status !== 0) {
    throw new Error(`electron-vite build failed:\n${result.stdout}\n${result.stderr}`);
  }
}

/** A stand-in renderer build beside the bundles, and a file outside it that a traversal would reach. */
export function writeStandInRenderer(outDir: string): void {
  mkdirSync(join(outDir, "renderer", "assets"), { recursive: true });
  writeFileSync(join(outDir, "renderer", "index.html"), "<!doctype html><title>Matrix QR Login</title>\n");
  writeFileSync(join(outDir, "renderer", "assets", "app.js"), "console.log('app');\n");
  writeFileSync(join(outDir, "secret.txt"), "outside the renderer\n");
}
