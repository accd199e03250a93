// The OAuth flags of the devserver command line, on the built entry point: `--user`, `--mas-quirks`,
// `--device-code-ttl`, `--device-code-interval`, `--access-token-ttl`, `--scope-family` reach the server. Built into its own output
// folder so that it never races cli.test.ts, which builds into out/node.
import { describe, expect, it } from "vitest";
import { approveOverHttp } from "../helpers/consent";
import { useBuiltDevserver } from "../helpers/devserver-cli";
import { discoverAt } from "../helpers/oauth-client";
import {
  STABLE_API,
  expectTokens,
  matrixScope,
  pollOnce,
  registerClient,
  requestDeviceCode,
  whoami,
} from "./oauth-fixtures";

const cli = useBuiltDevserver("out/oauth-cli-test");

describe("devserver command line: OAuth flags", () => {
  it("--user, --mas-quirks, --device-code-ttl, --device-code-interval, --access-token-ttl and --scope-family reach the server", async () => {
    const { baseUrl } = await cli.start([
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
      "--scope-family",
      "stable",
    ]);
    if (baseUrl === undefined) throw new Error("the devserver did not start");
    const as = await discoverAt(baseUrl, `${baseUrl}/`);
    expect(as.scopes_supported).toEqual(["openid", STABLE_API]);
    const client = await registerClient(as);
    const device = await requestDeviceCode(as, client, matrixScope("CLIDEVICE01"));
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
    const { code, stderr } = await cli.start(["--user", "alice"]);
    expect(code).toBe(1);
    expect(stderr).toContain("give a password as alice:<password>");
  });

  it("a --scope-family other than stable or unstable is a usage error (exit 2)", async () => {
    const { code, stderr } = await cli.start(["--scope-family", "both"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--scope-family must be stable or unstable");
  });

  it("a --device-code-interval that is not a number is a usage error (exit 2)", async () => {
    const { code, stderr } = await cli.start(["--device-code-interval", "soon"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--device-code-interval needs a number");
  });
});
