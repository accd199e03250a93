// electron-vite with this project's directory layout (docs/ARCHITECTURE.md §2): the main and preload entries live in
// src-main/electron/, the renderer in src-renderer/, and both sides share src-shared/.
import { resolve } from "node:path";
import { defineConfig } from "electron-vite";
import { rendererConfig } from "./vite.renderer.config";

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: "out/main",
      rolldownOptions: { input: { index: resolve(root, "src-main/electron/main.ts") } },
    },
  },
  preload: {
    build: {
      outDir: "out/preload",
      rolldownOptions: {
        input: { index: resolve(root, "src-main/electron/preload.ts") },
        // A sandboxed preload cannot load ES modules.
        output: { format: "cjs", entryFileNames: "[name].cjs" },
      },
    },
  },
  renderer: rendererConfig,
});
