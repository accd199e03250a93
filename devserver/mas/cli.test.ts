// The MAS-mode flags of the devserver command line, on the built entry point: `--mas-for`, `--mas-secret`,
// `--mas-connect-timeout`, the usage errors, and what it prints. Built into its own output folder so that it never
// races the other CLI suites.
import { afterEach, describe, expect, it } from "vitest";
import { useBuiltDevserver } from "../../test/helpers/devserver-cli";
import {
  STAND_IN_SECRET,
  STAND_IN_SERVER_NAME,
  closedPort,
  startStandIn,
  type StandIn,
} from "../../test/helpers/stand-in-homeserver";

const cli = useBuiltDevserver("out/mas-cli-test");

const homeservers: StandIn[] = [];
afterEach(async () => {
  await Promise.all(homeservers.splice(0).map((homeserver) => homeserver.close()));
});

describe("devserver command line: MAS mode", () => {
  it("--mas-for with --mas-secret and users: provisions them, says whose MAS it is, then prints the ready line", async () => {
    const homeserver = await startStandIn();
    homeservers.push(homeserver);
    const { baseUrl, stderr } = await cli.start([
      "--mas-for",
      homeserver.url,
      "--mas-secret",
      STAND_IN_SECRET,
      "--user",
      "alice:secret",
    ]);
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stderr).toContain(`MAS for ${homeserver.url} (server name ${STAND_IN_SERVER_NAME})`);
    expect(homeserver.calls.map((call) => call.path)).toEqual([
      "/_synapse/mas/provision_user",
      "/_synapse/mas/query_user?localpart=alice",
    ]);
    const metadata = await fetch(`${baseUrl ?? ""}/.well-known/openid-configuration`);
    expect(await metadata.json()).toMatchObject({ issuer: `${baseUrl ?? ""}/` });
  });

  it("a homeserver that does not answer within --mas-connect-timeout: exit 1, naming where it looked", async () => {
    const port = await closedPort();
    const { code, stderr } = await cli.start([
      "--mas-for",
      `http://127.0.0.1:${port}`,
      "--mas-secret",
      STAND_IN_SECRET,
      "--mas-connect-timeout",
      "0",
      "--user",
      "alice:secret",
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `devserver: cannot start: provision_user for "alice": no answer from the homeserver`,
    );
  });

  it.each([
    [["--mas-for", "http://127.0.0.1:1", "--user", "alice:x"], "--mas-for needs --mas-secret"],
    [["--mas-secret", "s"], "--mas-secret needs --mas-for"],
    [["--mas-for", "http://127.0.0.1:1", "--mas-secret", "s"], "--mas-for needs at least one --user"],
    [
      ["--mas-for", "http://127.0.0.1:1", "--mas-secret", "s", "--user", "alice:x", "--msc4388-mode", "open"],
      "--msc4388-mode does not apply with --mas-for",
    ],
    [
      [
        "--mas-for",
        "http://127.0.0.1:1",
        "--mas-secret",
        "s",
        "--user",
        "alice:x",
        "--server-name",
        "example.org",
      ],
      "--server-name does not apply with --mas-for",
    ],
  ])("usage error: %j → exit 2, %s", async (args, message) => {
    const { code, stderr } = await cli.start(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
