// The real-server lane (`npm run test:synapse`, scripts/synapse/lane.mjs): test/synapse/ against the sandbox
// Synapse and the devserver playing its MAS, which the lane script starts first. Kept out of vitest.config.ts so that
// a plain `npx vitest run` never runs it. One file at a time: they share one Synapse, and the rendezvous capacity
// tests evict every session on it.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "synapse",
    setupFiles: ["./test/setup.ts"],
    include: ["test/synapse/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
