// `npm run devserver -- [--port N] [--host H]`: runs the devserver until SIGINT/SIGTERM.
import { parseArgs } from "node:util";
import { startDevserver } from "./index";

const { values } = parseArgs({
  options: { port: { type: "string" }, host: { type: "string" } },
});
const devserver = await startDevserver({
  ...(values.port !== undefined ? { port: Number(values.port) } : {}),
  ...(values.host !== undefined ? { host: values.host } : {}),
});
console.log(`devserver ready at ${devserver.baseUrl}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void devserver.close().then(() => process.exit(0));
  });
}
