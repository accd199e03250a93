// One build for every TypeScript entry point that runs in plain Node outside Electron and Vitest
// (Node 20 cannot run .ts files). Later issues add their entries here; `npm run build:node` builds them all.
import { resolve } from "node:path";
import { defineConfig } from "vite";

const root = import.meta.dirname;

export const nodeEntries: Record<string, string> = {
  devserver: resolve(root, "devserver/cli.ts"),
  "bench-flow": resolve(root, "scripts/bench/flow.ts"),
  "stress-endurance": resolve(root, "scripts/stress/endurance.ts"),
  "browser-host": resolve(root, "src-main/hosts/browser/cli.ts"),
  cli: resolve(root, "src-main/hosts/cli/main.ts"),
};

export default defineConfig({
  // Quiet unless something is wrong: `npm run -s devserver` builds first, and its stdout must stay the one
  // "devserver ready at …" line that scripts and tests wait for.
  logLevel: "warn",
  build: {
    ssr: true,
    target: "node20",
    outDir: "out/node",
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    rolldownOptions: {
      input: nodeEntries,
      output: { format: "es", entryFileNames: "[name].js", chunkFileNames: "chunks/[name]-[hash].js" },
    },
  },
  // zxing's ESM modules (the QR decoder the command line shares with the renderer imports them by path) are
  // bundled: Node would read the package's esm/ files as CommonJS.
  ssr: { target: "node", noExternal: ["@zxing/library"] },
});
