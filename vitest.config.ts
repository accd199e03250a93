import { defineConfig } from "vitest/config";

// One project per lane; each lane has its time budget (docs/ARCHITECTURE.md "How it is tested").
const lane = (name: string, include: string[], testTimeout?: number) => ({
  extends: true as const,
  test: { name, include, ...(testTimeout === undefined ? {} : { testTimeout }) },
});

export default defineConfig({
  test: {
    setupFiles: ["./test/setup.ts"],
    // Two files at a time on CI's 2 cores: most files spend their time waiting (rendezvous polls, a device-code
    // interval, a browser), so one at a time left a core idle three quarters of the run (27 min, 14 min of CPU).
    maxWorkers: 2,
    passWithNoTests: true,
    projects: [
      lane("unit", [
        "src-main/**/*.test.ts",
        "src-shared/**/*.test.ts",
        "src-renderer/**/*.test.{ts,tsx}",
        "test/repo/**/*.test.ts",
      ]),
      lane("devserver", ["devserver/**/*.test.ts", "test/devserver/**/*.test.ts"], 20_000),
      lane("oauth", ["test/oauth/**/*.test.ts"], 20_000),
      lane("matrix", ["test/matrix/**/*.test.ts"], 30_000),
      lane("flows", ["test/flows/**/*.test.ts"], 30_000),
      // The cli lane builds the command line's bundle once for all its files.
      {
        extends: true as const,
        test: {
          name: "cli",
          include: ["test/cli/**/*.test.ts"],
          testTimeout: 60_000,
          globalSetup: ["./test/cli/build.global.ts"],
        },
      },
      lane("shell", ["test/shell/**/*.test.ts"], 30_000),
      // The e2e lane builds the renderer once for all its files.
      {
        extends: true as const,
        test: {
          name: "e2e",
          include: ["e2e/**/*.test.ts"],
          testTimeout: 60_000,
          globalSetup: ["./e2e/build.global.ts"],
        },
      },
      // Long runs: their own lanes, so that `npm run fuzz` and `npm run stress:*` can select them.
      lane("fuzz", ["scripts/fuzz/**/*.test.ts"]),
    ],
  },
});
