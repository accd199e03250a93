// The app's own electron-vite config without its renderer: the shell's tests build the main and preload bundles
// into a folder of their own (`--outDir`) without rebuilding out/renderer under other suites.
import { defineConfig } from "electron-vite";
import config from "../../electron.vite.config";

const { main, preload } = config as { main: unknown; preload: unknown };

export default defineConfig({ main, preload } as Parameters<typeof defineConfig>[0]);
