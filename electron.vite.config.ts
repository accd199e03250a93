// electron-vite with this project's directory layout (docs/ARCHITECTURE.md §2): the main and preload entries live in
// src-main/electron/, the renderer in src-renderer/, and both sides share src-shared/.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "electron-vite";
import { rendererConfig } from "./vite.renderer.config";

// From import.meta.url, not import.meta.dirname: electron-vite bundles a config with what it imports and rewrites
// only import.meta.url per file (a config elsewhere, like the shell tests', imports this one).
const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  main: {
    build: {
      outDir: "out/main",
      rolldownOptions: {
        input: { index: resolve(root, "src-main/electron/main.ts") },
        // Stable names: the engine's chunk is loaded after the window opens, and the shell's test replaces it.
        output: { chunkFileNames: "chunks/[name].js" },
      },
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
