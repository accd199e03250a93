// The small rules the hosts share, on their own: which URLs may leave the app, the hosts' command line, Touch ID in
// front of an approval, and the app window opened without the token on a command line.
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { approvalGate } from "../../src-main/electron/approval";
import { FlowWatch } from "../../src-main/electron/flow-watch";
import { findChromium, openAppWindow } from "../../src-main/hosts/browser/app-window";
import { checkExternalUrl } from "../../src-main/hosts/external-url";
import { HostArgsError, readHostArgs } from "../../src-main/hosts/host-args";
import { rendererFile } from "../../src-main/hosts/renderer-files";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("URLs that may leave the app", () => {
  it("are https to anywhere, and http only to this machine where allowed", () => {
    const dev = { allowLoopbackHttp: true };
    const shipped = { allowLoopbackHttp: false };
    expect(checkExternalUrl("https://account.example.org/x?y=1", shipped)).toEqual({
      ok: true,
      url: "https://account.example.org/x?y=1",
      host: "account.example.org",
    });
    for (const url of [
      "http://127.0.0.1:8008/a",
      "http://localhost:3000/",
      "http://[::1]:9/",
      "http://127.8.9.10/",
    ]) {
      expect.soft(checkExternalUrl(url, dev).ok, url).toBe(true);
      expect.soft(checkExternalUrl(url, shipped), url).toEqual({ ok: false, reason: "insecure_http" });
    }
    const refused: [string, string][] = [
      ["javascript:alert(1)", "scheme"],
      ["file:///etc/passwd", "scheme"],
      ["data:text/html,<script>1</script>", "scheme"],
      ["app://renderer/index.html", "scheme"],
      ["element://vector/webapp", "scheme"],
      ["ftp://example.org/", "scheme"],
      ["http://example.org/", "insecure_http"],
      ["http://192.168.0.2/", "insecure_http"],
      ["http://127.0.0.1.evil.example/", "insecure_http"],
      ["https://bank.example@evil.example/", "credentials"],
      ["https://user:pw@example.org/", "credentials"],
      ["not a url", "not_a_url"],
    ];
    for (const [url, reason] of refused)
      expect.soft(checkExternalUrl(url, dev), url).toEqual({ ok: false, reason });
  });
});

describe("which file of the renderer's build a path names", () => {
  const dir = "/srv/renderer";

  it("names files inside the build, index.html for the root", () => {
    expect(rendererFile(dir, "/")).toEqual({
      file: "/srv/renderer/index.html",
      contentType: "text/html; charset=utf-8",
    });
    expect(rendererFile(dir, "/assets/index-C1.js")?.file).toBe("/srv/renderer/assets/index-C1.js");
    expect(rendererFile(dir, "/assets/inter%20latin.woff2")?.file).toBe(
      "/srv/renderer/assets/inter latin.woff2",
    );
  });

  it("names nothing for any path with a dot segment, an empty segment, a backslash, a NUL, or an unknown type", () => {
    for (const path of [
      "/../secret.js",
      "/assets/../index.html",
      "/./index.html",
      "/%2e%2e/secret.js",
      "/..%2fsecret.js",
      "/assets/%2E%2E%2F%2E%2E%2Fsecret.js",
      "//etc/passwd.js",
      "/%2fetc/passwd.js",
      "/assets//app.js",
      "/..%5csecret.js",
      "/C:%5cwin.js",
      "/index.html%00.png",
      "/%",
      "index.html",
      "/assets/",
      "/package.json.map",
      "/run.sh",
    ]) {
      expect.soft(rendererFile(dir, path), path).toBeUndefined();
    }
  });
});

describe("the hosts' command line", () => {
  it("names profiles under the data root or by folder, the default profile otherwise", () => {
    expect(readHostArgs([], { strict: true })).toEqual({
      profiles: [{ name: "default" }],
      allowInsecureHttp: false,
      noOpen: false,
      demo: false,
      help: false,
    });
    expect(
      readHostArgs(["--profile", "alice", "--profile=bob", "--profile-dir", "/tmp/x", "--no-open"], {
        strict: true,
      }),
    ).toMatchObject({ profiles: [{ name: "alice" }, { name: "bob" }, { dir: "/tmp/x" }], noOpen: true });
    expect(readHostArgs(["--allow-insecure-http"], { strict: true }).allowInsecureHttp).toBe(true);
    expect(readHostArgs(["--demo"], { strict: true }).demo).toBe(true);
  });

  it("refuses bad names and unknown options where strict, and lets Electron's own switches through", () => {
    for (const argv of [
      ["--profile", "../etc"],
      ["--profile", ".hidden"],
      ["--profile"],
      ["--what"],
      ["extra"],
      ["--profile-dir="],
    ]) {
      expect.soft(() => readHostArgs(argv, { strict: true }), argv.join(" ")).toThrow(HostArgsError);
    }
    const electron = readHostArgs([".", "--no-sandbox", "--remote-debugging-port=0", "--profile", "work"], {
      strict: false,
    });
    expect(electron.profiles).toEqual([{ name: "work" }]);
    expect(() => readHostArgs([".", "--profile"], { strict: false })).toThrow(HostArgsError);
  });
});

describe("approving a new device on a Mac", () => {
  const approveSnapshot = {
    flowId: "f1",
    seq: 3,
    role: "existing_device",
    side: "generator",
    version: "v2024",
    phase: "approve_device",
    userId: "@alice:example.org",
    deviceId: "NEWPHONE",
    accepts: ["approveDevice", "cancel"],
  } as const;
  const approve = { flowId: "f1", command: { type: "approveDevice", approve: true } } as const;

  function watchAsking(): FlowWatch {
    const flows = new FlowWatch();
    flows.see({
      name: "flow.snapshot",
      payload: { ...approveSnapshot, accepts: [...approveSnapshot.accepts] },
    });
    return flows;
  }

  it("goes through Touch ID first, naming the device and the account", async () => {
    const prompts: string[] = [];
    const gate = approvalGate(
      "darwin",
      { canPromptTouchID: () => true, promptTouchID: (reason) => (prompts.push(reason), Promise.resolve()) },
      watchAsking(),
    );
    expect(await gate(approve)).toBeUndefined();
    expect(prompts).toEqual(["sign in a new device (NEWPHONE) to @alice:example.org"]);
    // Declining, cancelling and other commands need no confirmation.
    expect(await gate({ flowId: "f1", command: { type: "approveDevice", approve: false } })).toBeUndefined();
    expect(await gate({ flowId: "f1", command: { type: "cancel" } })).toBeUndefined();
    expect(prompts).toHaveLength(1);
  });

  it("holds the approval back when Touch ID is refused or cancelled", async () => {
    const gate = approvalGate(
      "darwin",
      { canPromptTouchID: () => true, promptTouchID: () => Promise.reject(new Error("User cancelled")) },
      watchAsking(),
    );
    expect(await gate(approve)).toEqual({
      ok: true,
      value: { type: "rejected", reason: "not_accepted_now", detail: "not confirmed with Touch ID" },
    });
  });

  it("leaves the window's approve_device phase as the confirmation where there is no Touch ID", async () => {
    let prompted = false;
    const touchId = {
      canPromptTouchID: () => false,
      promptTouchID: () => ((prompted = true), Promise.resolve()),
    };
    expect(await approvalGate("darwin", touchId, watchAsking())(approve)).toBeUndefined();
    expect(
      await approvalGate("linux", { ...touchId, canPromptTouchID: () => true }, watchAsking())(approve),
    ).toBeUndefined();
    expect(prompted).toBe(false);
  });
});

describe("the app window in the system's Chromium", () => {
  it("is found from CHROMIUM_PATH or PATH, and opened on a private launcher file, not on the token", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mqrl-window-"));
    dirs.push(dir);
    const fakeChromium = join(dir, "chromium");
    const record = join(dir, "args.json");
    await writeFile(
      fakeChromium,
      `#!/usr/bin/env node\nrequire("node:fs").writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\nsetTimeout(() => {}, 60000);\n`,
    );
    await chmod(fakeChromium, 0o755);
    expect(findChromium({ CHROMIUM_PATH: fakeChromium }, "linux")).toBe(fakeChromium);
    expect(findChromium({ CHROMIUM_PATH: join(dir, "missing") }, "linux")).toBeUndefined();
    expect(findChromium({ PATH: dir }, "linux")).toBe(fakeChromium);
    expect(findChromium({ PATH: join(dir, "empty") }, "linux")).toBeUndefined();

    const url = "http://127.0.0.1:40000/#token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde";
    const window = await openAppWindow(fakeChromium, url);
    let args: string[] = [];
    for (let i = 0; i < 100 && args.length === 0; i++) {
      args = await readFile(record, "utf8")
        .then((text) => JSON.parse(text) as string[])
        .catch(() => []);
      if (args.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(args.join(" ")).not.toContain("token");
    const app = args.find((arg) => arg.startsWith("--app=file://"));
    expect(app).toBeDefined();
    const launcher = new URL((app ?? "").slice("--app=".length));
    expect(await readFile(launcher, "utf8")).toContain(`content="0;url=${url}"`);
    expect(args.some((arg) => arg.startsWith("--user-data-dir="))).toBe(true);
    await window.close();
    expect(window.child.exitCode !== null || window.child.signalCode !== null).toBe(true);
    await expect(readFile(launcher, "utf8")).rejects.toThrow("ENOENT");
  });
});
