// The renderer's build, shared by electron-vite (electron.vite.config.ts) and the screenshot test, which
// builds the renderer alone (`vite build --config vite.renderer.config.ts`) without the Electron binary.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import type { UserConfig } from "vite";

// From import.meta.url, not import.meta.dirname: electron-vite bundles a config with what it imports and rewrites
// only import.meta.url per file (a config elsewhere, like the shell tests', imports this one).
const root = fileURLToPath(new URL(".", import.meta.url));

export const rendererConfig = {
  root: resolve(root, "src-renderer"),
  base: "./",
  plugins: [react()],
  build: {
    outDir: resolve(root, "out/renderer"),
    emptyOutDir: true,
    // Every asset stays a file: the CSP allows fonts and images from 'self' only, never data: URLs.
    assetsInlineLimit: 0,
    rolldownOptions: { input: { index: resolve(root, "src-renderer/index.html") } },
  },
  worker: { format: "es" },
} satisfies UserConfig;

export default rendererConfig;
