// The account commands as a user runs them, one process each, against the devserver: `login` through the browser
// (authorization code with PKCE; the pages answered over HTTP, the browser's return delivered to the loopback
// listener), `bootstrap` showing the recovery key once, `whoami`, a second device that gets the keys with
// `recover` (the key on stdin), `devices`, and `logout`. Profiles are named under the shared data root or given
// as folders.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevserver, type Devserver } from "../../devserver/index";
import { cliEnv, loginWithCli, signInWithLogin, useBuiltCli, type CliProcess } from "../helpers/cli";

const cli = useBuiltCli();

let server: Devserver;
let root: string;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startDevserver({ testHooks: true, users: ["alice:secret"] });
  root = await mkdtemp(join(tmpdir(), "mql-cli-account-"));
  env = cliEnv(join(root, "home"));
}, 30_000);

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

function run(args: readonly string[]): CliProcess {
  return cli.run([...args, "--allow-insecure-http"], { env });
}

async function account(
  profile: readonly string[],
): Promise<{ account: Record<string, unknown>; exit: { code: string; status: number | null } }> {
  const whoami = run(["whoami", "--json", ...profile]);
  const line = await whoami.waitFor("the account", (candidate) => candidate.type === "account");
  return { account: line.account as Record<string, unknown>, exit: await whoami.finished() };
}

describe("the account commands", () => {
  it(
    "login and bootstrap, then a second device recovers the keys, lists the devices and signs out",
    { timeout: 150_000 },
    async () => {
      const first = ["--profile", "first"];
      const second = ["--profile-dir", join(root, "second")];
      const options = { homeserver: server.baseUrl, user: "alice", password: "secret", env };

      const { recoveryKey } = await signInWithLogin(cli, { ...options, profile: first });
      // A named profile lives under the data root every host shares.
      expect(existsSync(join(root, "home", "profiles", "first", "profile.json"))).toBe(true);
      const firstState = await account(first);
      expect(firstState.exit).toEqual({ code: "ok", status: 0 });
      expect(firstState.account).toMatchObject({
        profile: "first",
        status: "signed_in",
        userId: "@alice:" + server.serverName,
        verified: true,
        crossSigning: "ready",
        backup: true,
      });

      const loggedIn = await loginWithCli(cli, { ...options, profile: second });
      expect(loggedIn).toMatchObject({ status: "signed_in", verified: false });

      // The recovery key goes in on stdin, never on the command line.
      const recover = run(["recover", "--json", ...second]);
      recover.child.stdin.end(`${recoveryKey}\n`);
      const recovered = await recover.waitFor("the account", (line) => line.type === "account");
      expect(recovered.account).toMatchObject({ verified: true, crossSigning: "ready", backup: true });
      expect(await recover.finished()).toEqual({ code: "ok", status: 0 });

      const secondId = String(loggedIn.deviceId);
      expect(recovered.account).toMatchObject({ deviceId: secondId });
      const firstId = String(firstState.account.deviceId);
      // In human mode, the list on stdout, this device marked, both verified.
      const human = run(["devices", ...first]);
      expect((await human.exited).code).toBe(0);
      expect(human.stdout()).toMatch(new RegExp(`^\\* ${firstId} +verified`, "m"));
      expect(human.stdout()).toMatch(new RegExp(`^  ${secondId} +verified`, "m"));

      const logout = run(["logout", "--json", ...second]);
      expect(await logout.finished()).toEqual({ code: "ok", status: 0 });
      const gone = await account(second);
      expect(gone.account).toMatchObject({ status: "signed_out" });
      expect(gone.exit).toEqual({ code: "signed_out", status: 3 });

      const after = run(["devices", "--json", ...first]);
      const remaining = (await after.waitFor("the devices", (line) => line.type === "devices")).devices as {
        deviceId: string;
      }[];
      expect(remaining.map((device) => device.deviceId)).not.toContain(secondId);
    },
  );

  it("a wrong recovery key, and commands that need a signed-in profile, end with exit status 3 and the code", async () => {
    const blank = ["--profile-dir", join(root, "blank")];
    const whoami = run(["whoami", ...blank]);
    expect((await whoami.exited).code).toBe(3);
    expect(whoami.stdout()).toContain("Not signed in");

    const bootstrap = run(["bootstrap", "--json", ...blank]);
    expect(await bootstrap.finished()).toEqual({ code: "signed_out", status: 3 });

    const recover = run(["recover", "--json", "--profile", "first"]);
    recover.child.stdin.end("EsTc not a recovery key\n");
    expect(await recover.finished()).toEqual({ code: "wrong_recovery_key", status: 3 });
  });
});
