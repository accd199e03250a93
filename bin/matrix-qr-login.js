#!/usr/bin/env node
// The `matrix-qr-login` command (package.json "bin"): starts the command line host from the Node build
// (out/node/cli.js, made by `npm run build:node`). Node 20 cannot run the TypeScript sources directly.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const entry = fileURLToPath(new URL("../out/node/cli.js", import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write(
    `matrix-qr-login: ${entry} is missing; build it with "npm run build:node" (or run "npm run cli -- <command>")\n`,
  );
  process.exit(1);
}
await import(pathToFileURL(entry).href);
