// Launches the real Electron app where its binary exists. Electron 45 downloads the binary on first use, which
// cannot happen on machines without access to its release host (our CI): there the tests are skipped with the
// reason printed, and counted as skipped, never as passed. The binary is detected from
// node_modules/electron/path.txt without require("electron"), which would try to download it. What the shell's
// Node test (test/shell/electron-main.test.ts) checks on a fake Electron, these check on the real one.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { _electron as electron, type ElectronApplication } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMAND_NAMES, EVENT_NAMES } from "../src-shared/contract";
import { RENDERER_CSP } from "../src-main/hosts/csp";
import { t } from "../src-renderer/copy/format";

const root = join(import.meta.dirname, "..");
const electronDir = join(root, "node_modules", "electron");

function electronBinary(): string | undefined {
  const pathFile = join(electronDir, "path.txt");
  if (!existsSync(pathFile)) return undefined;
  const binary = join(electronDir, "dist", readFileSync(pathFile, "utf8").trim());
  return existsSync(binary) ? binary : undefined;
}

const binary = electronBinary();
if (binary === undefined) {
  console.log(
    "electron launch tests skipped: no Electron binary in node_modules/electron/dist " +
      "(not downloaded: Electron 45 fetches it on the first `npm start`, which needs access to its release host)",
  );
}

const home = mkdtempSync(join(tmpdir(), "mqrl-electron-"));

function launch(profileDir: string): Promise<ElectronApplication> {
  return electron.launch({
    executablePath: binary ?? "",
    // As root (CI) Chromium's own sandbox cannot start; the renderer sandbox (app.enableSandbox) still applies.
    args: [root, "--no-sandbox", "--profile-dir", profileDir],
    cwd: root,
    env: { ...process.env, MATRIX_QR_LOGIN_HOME: home },
  });
}

describe.skipIf(binary === undefined)("the Electron app", () => {
  beforeAll(() => {
    execFileSync("npx", ["electron-vite", "build", "--logLevel", "warn"], { cwd: root, stdio: "ignore" });
  }, 120_000);

  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it(
    "opens one sandboxed window from app:// with the app's CSP and only the named bridge",
    { timeout: 120_000 },
    async () => {
      const app = await launch(join(home, "one"));
      try {
        const page = await app.firstWindow();
        expect(page.url()).toBe("app://renderer/index.html");
        await page.getByRole("heading", { name: "Matrix QR Login" }).waitFor();
        // The renderer has no Node, and the bridge is named functions from the contract, nothing generic.
        expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe(
          "undefined",
        );
        const bridge = await page.evaluate(() => {
          const api = (globalThis as { matrixQrLogin?: { commands: object; events: object } }).matrixQrLogin;
          return api === undefined
            ? undefined
            : {
                keys: Object.keys(api),
                commands: Object.keys(api.commands),
                events: Object.keys(api.events),
              };
        });
        expect(bridge?.keys.sort()).toEqual(["commands", "events", "host"]);
        expect(bridge?.commands.sort()).toEqual([...COMMAND_NAMES].sort());
        expect(bridge?.events.sort()).toEqual([...EVENT_NAMES].sort());
        // app:// sends the CSP and serves nothing outside the renderer's build.
        const served = await page.evaluate(async () => {
          const page = await fetch("app://renderer/index.html");
          const outside = await fetch("app://renderer/%2e%2e/main/index.js");
          return { csp: page.headers.get("content-security-policy"), outside: outside.status };
        });
        expect(served).toEqual({ csp: RENDERER_CSP, outside: 404 });
        // Neither navigation nor window.open leaves the app.
        await page.evaluate(() => {
          globalThis.open("https://example.org/", "_blank");
          location.href = "https://example.org/";
        });
        await page.waitForTimeout(500);
        expect(app.windows()).toHaveLength(1);
        expect(page.url()).toBe("app://renderer/index.html");
      } finally {
        await app.close();
      }
    },
  );

  it(
    "runs two profiles side by side, and hands a second start of one profile to its open window",
    { timeout: 120_000 },
    async () => {
      const first = await launch(join(home, "a"));
      const second = await launch(join(home, "b"));
      try {
        await (await first.firstWindow()).getByRole("heading", { name: "Matrix QR Login" }).waitFor();
        await (await second.firstWindow()).getByRole("heading", { name: "Matrix QR Login" }).waitFor();
        const again = await launch(join(home, "a"));
        const exited = await new Promise<boolean>((resolve) => {
          again.process().once("exit", () => {
            resolve(true);
          });
          setTimeout(() => {
            resolve(false);
          }, 20_000);
        });
        expect(exited).toBe(true);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    },
  );

  it(
    "starts the local demo from a fresh profile: a second window on the new device, each on its own engine",
    { timeout: 180_000 },
    async () => {
      const app = await launch(join(home, "demo"));
      try {
        const page = await app.firstWindow();
        await page.getByRole("heading", { name: "Matrix QR Login" }).waitFor();
        const opened = app.waitForEvent("window", { timeout: 120_000 });
        await page.getByRole("button", { name: t("local.try") }).click();
        const fresh = await opened;
        const bar = (window: typeof page) => window.locator(".local-demo-bar");
        await bar(fresh).waitFor({ timeout: 60_000 });
        await bar(page).waitFor({ timeout: 60_000 });
        expect(await bar(fresh).textContent()).toContain(t("local.window.new_device"));
        expect(await bar(page).textContent()).toContain(t("local.window.signed_in"));
        expect(app.windows()).toHaveLength(2);
        // Each window's IPC reaches its own engine: the first is the demo's signed-in device, the second is not.
        const account = (window: typeof page) =>
          window.evaluate(() =>
            (
              globalThis as unknown as {
                matrixQrLogin: { commands: Record<string, (request: unknown) => Promise<unknown>> };
              }
            ).matrixQrLogin.commands["account.get"]?.({}),
          );
        expect(await account(page)).toMatchObject({ ok: true, value: { status: "signed_in" } });
        expect(await account(fresh)).toMatchObject({ ok: true, value: { status: "signed_out" } });
      } finally {
        await app.close();
      }
    },
  );
});
