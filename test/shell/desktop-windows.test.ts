// The Electron shell's windows without Electron (src-main/hosts/desktop-windows.ts): each window's calls reach its
// own engine and each window hears only its own engine's events. A fresh profile's window starts "Try it on this
// computer" through its engine, as the welcome screen's button does; the real local demo runs (the devserver in
// process, the first profile signed in through the device grant), that window becomes the signed-in one, and a
// second window is opened and routed to the new device's engine. A QR picture sent from one reaches only the
// other; a closed window is routed nothing more; closing ends the engines, frees the profile and removes the
// demo's folder. Windows here are plain objects standing for Electron's WebContents.
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EventName } from "../../src-shared/contract";
import { createEngine, type Engine, type EngineEvent, type EngineHost } from "../../src-main/engine/index";
import { DesktopWindows } from "../../src-main/hosts/desktop-windows";
import { FLOW_TEST_TIMINGS } from "../flows/harness";
import { TEST_CRYPTO_STORE, TEST_TIMINGS } from "../helpers/matrix-device";

/** A window as the shell knows it: a key to route by, and what was sent to it. */
interface TestWindow {
  readonly name: string;
  readonly heard: EngineEvent[];
}

const made: string[] = [];
const savedTmp = process.env.TMPDIR;

afterAll(async () => {
  process.env.TMPDIR = savedTmp;
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

function named(window: TestWindow, name: EventName): EngineEvent[] {
  return window.heard.filter((event) => event.name === name);
}

async function answer(engine: Promise<EngineHost> | undefined, name: "account.get" | "demo.status") {
  if (engine === undefined) throw new TypeError("no engine for this window");
  const outcome = await (await engine).invoke(name, {});
  if (!outcome.ok) throw new Error(`${name}: ${JSON.stringify(outcome)}`);
  return outcome.value;
}

/** A tiny PNG's base64 (what "Send QR to the other window" sends is a PNG; its pixels do not matter here). */
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

describe("the desktop shell's windows", () => {
  it(
    "route each window to its own engine: the profile's, then the local demo's two, and nothing to a closed one",
    { timeout: 90_000 },
    async () => {
      const root = await mkdtemp(join(tmpdir(), "mqrl-desktop-windows-"));
      made.push(root);
      // The demo makes its folder in the temporary folder: this test's own, to see it removed at the end.
      const temp = join(root, "tmp");
      await mkdir(temp);
      process.env.TMPDIR = temp;
      const engineOptions = {
        app: "electron",
        timings: FLOW_TEST_TIMINGS,
        device: { timings: TEST_TIMINGS, cryptoStore: TEST_CRYPTO_STORE },
        openUrl: () => Promise.resolve("opened" as const),
      };
      const profile = { dir: join(root, "profile") };
      const opened: TestWindow[] = [];
      const demoEngines: Engine[] = [];
      const windows = new DesktopWindows<TestWindow>({
        createEngine: (demo) => createEngine({ ...engineOptions, location: profile, demo }),
        createDemoEngine: async (request) => {
          const engine = await createEngine({
            ...engineOptions,
            location: request.location,
            label: request.label,
            demo: request.demo,
            allowInsecureHttp: request.allowInsecureHttp,
          });
          demoEngines.push(engine);
          return engine;
        },
        openWindow: (label) => {
          const window: TestWindow = { name: label, heard: [] };
          opened.push(window);
          return window;
        },
        forward: (engine, window) =>
          engine.subscribe((event) => {
            window.heard.push(event);
          }),
      });
      const main: TestWindow = { name: "main", heard: [] };
      const stranger: TestWindow = { name: "not ours", heard: [] };
      try {
        await windows.openProfile(main);
        expect(await answer(windows.engineFor(main), "account.get")).toMatchObject({ status: "signed_out" });
        expect(await answer(windows.engineFor(main), "demo.status")).toEqual({
          active: false,
          synapseTiming: false,
        });
        expect(windows.engineFor(stranger)).toBeUndefined();

        // "Try it on this computer" from the main window.
        const mainEngine = await windows.engineFor(main);
        const started = await mainEngine?.invoke("demo.tryLocally", {});
        expect(started?.ok, JSON.stringify(started)).toBe(true);
        expect(started?.ok === true ? started.value : undefined).toMatchObject({
          active: true,
          window: "signed_in",
          user: "demo",
          password: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) as unknown,
        });
        expect(opened.map((window) => window.name)).toEqual(["New device"]);
        const [second] = opened;
        if (second === undefined) throw new TypeError("no second window");

        // Each window's calls reach its own engine: the main one is the demo's signed-in device now.
        expect(await answer(windows.engineFor(main), "account.get")).toMatchObject({
          status: "signed_in",
          verified: true,
        });
        expect(await answer(windows.engineFor(second), "account.get")).toMatchObject({
          status: "signed_out",
        });
        const secondDemo = await answer(windows.engineFor(second), "demo.status");
        expect(secondDemo).toMatchObject({ active: true, window: "new_device" });
        expect(secondDemo).not.toHaveProperty("password");
        // The main window heard its switch (the new account, the demo's state without the password).
        expect(named(main, "account.state").at(-1)?.payload).toMatchObject({ status: "signed_in" });
        expect(named(main, "demo.state").at(-1)?.payload).toMatchObject({ window: "signed_in" });
        expect(named(main, "demo.state").every((event) => !("password" in event.payload))).toBe(true);
        // Events stay with their window: the second heard nothing of the main window's sign-in.
        expect(named(second, "account.state")).toEqual([]);

        // A QR picture sent from one window reaches the other, not itself.
        const sent = await mainEngine?.invoke("demo.sendQrToOtherWindow", { png: PNG });
        expect(sent?.ok).toBe(true);
        expect(named(second, "demo.scanImage").map((event) => event.payload)).toEqual([{ png: PNG }]);
        expect(named(main, "demo.scanImage")).toEqual([]);
        const back = await (
          await windows.engineFor(second)
        )?.invoke("demo.sendQrToOtherWindow", { png: PNG });
        expect(back?.ok).toBe(true);
        expect(named(main, "demo.scanImage")).toHaveLength(1);
        expect(named(second, "demo.scanImage")).toHaveLength(1);

        // A closed window is answered and sent nothing more.
        windows.closed(second);
        expect(windows.engineFor(second)).toBeUndefined();
        await mainEngine?.invoke("demo.sendQrToOtherWindow", { png: PNG });
        expect(named(second, "demo.scanImage")).toHaveLength(1);
        expect(await answer(windows.engineFor(main), "account.get")).toMatchObject({ status: "signed_in" });
        // A window opened again on the profile (macOS) gets the same engine: the demo's signed-in device.
        const again: TestWindow = { name: "again", heard: [] };
        expect(await windows.openProfile(again)).toBe(mainEngine);
        expect(await answer(windows.engineFor(again), "account.get")).toMatchObject({ status: "signed_in" });
        expect(demoEngines).toHaveLength(2);
      } finally {
        await windows.close();
      }
      // Closed: nothing routed, the profile free for another opener, the demo's folder gone.
      expect(windows.engineFor(main)).toBeUndefined();
      const reopened = await createEngine({ ...engineOptions, location: profile });
      await reopened.close();
      expect(await readdir(temp)).toEqual([]);
    },
  );
});
