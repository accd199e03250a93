// The OAuth flags of the devserver command line, on the built entry point: `--user`, `--mas-quirks`,
// `--device-code-ttl`, `--device-code-interval`, `--access-token-ttl` reach the server. Built into its own output
// folder so that it never races cli.test.ts, which builds into out/node.
import { spawn, spawnSync } from "node:child_process";
import { resolve } from "node:path";
import * as oauth from "oauth4webapi";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { approveOverHttp } from "../helpers/consent";
import {
  AUTH_METADATA,
  expectTokens,
  insecure,
  matrixScope,
  pollOnce,
  registerClient,
  whoami,
} from "./oauth-fixtures";

const root = resolve(import.meta.dirname, "../..");
const outDir = resolve(root, "out/oauth-cli-test");
const entry = resolve(outDir, "devserver.js");

beforeAll(() => {
  const build = spawnSync(
    "npx",
    ["vite", "build", "--config", "vite.node.config.ts", "--outDir", outDir, "--emptyOutDir"],
    { cwd: root, encoding: "utf8" },
  );
  if (build.status !== 0) throw new Error(`building the devserver failed:\n${build.stdout}\n${build.stderr}`);
}, 120_000);

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGTERM");
});

/** Starts the built devserver; resolves with its base URL, or with the exit code and stderr if it stops first. */
function run(args: readonly string[]): Promise<{ baseUrl?: string; code?: number | null; stderr: string }> {
  const child = spawn(process.execPath, [entry, ...args], { cwd: root });
  children.push(child);
  let stdout = "";
  let stderr = "";
  return new Promise((done) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const ready = /^devserver ready at (\S+)\n/.exec(stdout);
      if (ready?.[1] !== undefined) done({ baseUrl: ready[1], stderr });
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("exit", (code) => {
      done({ code, stderr });
    });
  });
}

describe("devserver command line: OAuth flags", () => {
  it("--user, --mas-quirks, --device-code-ttl, --device-code-interval and --access-token-ttl reach the server", async () => {
    const { baseUrl } = await run([
      "--user",
      "alice:s3cret:with:colons",
      "--user",
      "bob:other",
      "--mas-quirks",
      "--device-code-ttl",
      "30",
      "--device-code-interval",
      "2",
      "--access-token-ttl",
      "60",
    ]);
    if (baseUrl === undefined) throw new Error("the devserver did not start");
    const as = await oauth.processDiscoveryResponse(
      new URL(`${baseUrl}/`),
      await fetch(`${baseUrl}${AUTH_METADATA}`),
    );
    const client = await registerClient(as);
    const response = await oauth.deviceAuthorizationRequest(
      as,
      client,
      oauth.None(),
      { scope: matrixScope("CLIDEVICE01") },
      insecure,
    );
    const device = await oauth.processDeviceAuthorizationResponse(as, client, response);
    expect(device).toMatchObject({ expires_in: 30, interval: 2 });
    expect(device).not.toHaveProperty("verification_uri_complete");
    expect(await pollOnce(as, client, device.device_code)).toMatchObject({ status: 403 });

    await approveOverHttp({
      verificationUri: device.verification_uri,
      userCode: device.user_code,
      user: "alice",
      password: "s3cret:with:colons",
      approve: true,
    });
    const tokens = expectTokens(await pollOnce(as, client, device.device_code));
    expect(tokens.expires_in).toBe(60);
    const me = await whoami({ baseUrl }, tokens.access_token);
    expect(await me.json()).toMatchObject({ device_id: "CLIDEVICE01" });
  });

  it("a --user without a password stops it with a message saying how to write one", async () => {
    const { code, stderr } = await run(["--user", "alice"]);
    expect(code).toBe(1);
    expect(stderr).toContain("give a password as alice:<password>");
  });

  it("a --device-code-interval that is not a number is a usage error (exit 2)", async () => {
    const { code, stderr } = await run(["--device-code-interval", "soon"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--device-code-interval needs a number");
  });
});
