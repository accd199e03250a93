// Preloaded into a command-line process under test (NODE_OPTIONS=--import, test/cli/sign-in.test.ts): records the
// OAuth device codes (RFC 8628 §3.2 `device_code`) the process is handed, as deviceCodeRecorder in
// test/helpers/secret-sinks.ts does for a device in the test's own process: a copy of each JSON response is read
// on its way in, and each device code is appended to the file named by MQL_TEST_DEVICE_CODES. The device code is
// what the token endpoint accepts in the device's place, so the test then searches everything the process wrote
// for it. Plain JavaScript: the child runs the built bundle on Node, which runs no TypeScript.
import { appendFileSync } from "node:fs";

const file = process.env.MQL_TEST_DEVICE_CODES;
if (file !== undefined && file !== "") {
  const next = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await next(input, init);
    if (!(response.headers.get("content-type") ?? "").includes("json")) return response;
    const body = await response
      .clone()
      .json()
      .catch(() => undefined);
    if (typeof body === "object" && body !== null && typeof body.device_code === "string") {
      appendFileSync(file, `${body.device_code}\n`);
    }
    return response;
  };
}
