// `npm run bench:ui [-- --quick] [-- --runs N]`: the scanning benchmark (ui-bench.ts). Node 20 runs no .ts
// file by itself, so Vite's module runner loads it, with the e2e helpers it shares with the tests.
import { runnerImport } from "vite";

const { module } = await runnerImport(new URL("./ui-bench.ts", import.meta.url).pathname, {
  configFile: false,
  logLevel: "warn",
});
process.exitCode = await module.main(process.argv.slice(2));
