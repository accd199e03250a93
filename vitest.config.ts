import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    setupFiles: ["./test/setup.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["src-main/**/*.test.ts", "src-shared/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "devserver",
          include: ["devserver/**/*.test.ts", "test/devserver/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
