// The four ways into a sign-in, between two real app instances (browser hosts on real engines, one devserver),
// each page driven as its person would drive it: "Link new device" then "Show a QR code" on the signed-in device
// with "Sign in with QR code" then "Scan" on the new one (direction A), and "Sign in with QR code" then "Show a
// QR code" on the new device with "Link new device" then "Scan a QR code" on the signed-in one (direction B), in
// both wire versions (all four run again through the camera: camera-flows.test.ts). The QR code travels as a
// screenshot of its element, pasted or dropped into the scanner (its pixels, never its bytes); the check code is
// read on one page and typed on the other; the consent page that the user's click opened is clicked through. Both
// pages end on success, and a third client sees the new device cross-signed. One run (A v2024, light) writes a
// screenshot of both pages at each phase to test-results/screens/flows/.
import { describe, expect, it } from "vitest";
import type { WireVersion } from "../src-shared/flow";
import { t } from "../src-renderer/copy/format";
import { findLeaks, SecretSet } from "../test/helpers/secret-sinks";
import { runToSuccess, snapper, type Direction } from "./helpers/flow-driver";
import { useInstances, type ImageRoute } from "./helpers/instances";

const instances = useInstances();

interface Row {
  readonly direction: Direction;
  readonly version: WireVersion;
  readonly route: ImageRoute;
  /** The theme of both pages, and whether this run's phases are photographed. */
  readonly theme: "light" | "dark";
  readonly screenshots?: boolean;
}

const ROWS: readonly Row[] = [
  { direction: "A", version: "v2024", route: "paste", theme: "light", screenshots: true },
  // Photographed in one run only: every phase in both themes is in test-results/screens/ from canned snapshots.
  { direction: "A", version: "v2025", route: "drop", theme: "dark" },
  { direction: "B", version: "v2024", route: "drop", theme: "dark" },
  { direction: "B", version: "v2025", route: "paste", theme: "light" },
  // camera-flows.test.ts runs the four again with the camera in place of the picture.
];

describe("a sign-in between two app instances", () => {
  for (const row of ROWS) {
    const who = row.direction === "A" ? "the signed-in device shows" : "the new device shows";
    it(
      `${row.direction} ${row.version}: ${who}, the other scans a ${row.route === "drop" ? "dropped" : "pasted"} picture, both end verified`,
      {
        timeout: 120_000,
      },
      async (ctx) => {
        const [existingWindow, freshWindow] = await instances.windows(ctx);
        const settings = { theme: row.theme, defaultVersion: row.version } as const;
        const existing = await instances.existing(existingWindow, settings);
        const fresh = await instances.fresh(freshWindow, {
          ...settings,
          homeserver: instances.server().baseUrl,
        });
        const snap = snapper(row.screenshots === true ? `${row.theme}-${row.direction}` : undefined, {
          existing: existing.page,
          new: fresh.page,
        });
        const deviceId = await runToSuccess(existing, fresh, {
          direction: row.direction,
          route: row.route,
          snap,
        });
        // Both pages ran the version the showing device's settings asked for (the scanner learns it from the QR).
        for (const page of [existing.page, fresh.page]) {
          expect(await page.locator(".flow-header-end .chip").getAttribute("title")).toBe(
            t("flow.versionLabel", { version: row.version }),
          );
        }
        await instances.expectVerifiedByThirdClient(deviceId);
        expect(await existing.problems()).toEqual([]);
        expect(await fresh.problems()).toEqual([]);
      },
    );
  }
});

describe("the secret sinks every test here is searched in (helpers/secret-watch.ts)", () => {
  it("each find a value leaked into it on purpose", async (ctx) => {
    const [window] = await instances.windows(ctx);
    const fresh = await instances.fresh(window, { theme: "light" });
    const watch = instances.secrets;
    // A made-up value shaped like a host name, so that the homeserver setting takes it.
    const leaked = "leaked0on0purpose0k7Qm2Xv9Rt4";
    const host = `https://${leaked}.example.org`;
    console.log(`leaked ${leaked}`);
    watch.onError(fresh.name)(new Error(`failed with ${leaked}`));
    fresh.engine.transcript.sink({ kind: "step", time: Date.now(), layer: "flow", name: leaked });
    // From the page: a command over the WebSocket (its answer and the account event come back the same way, and
    // the engine keeps the setting in the profile's file).
    await fresh.page.evaluate(
      async ([value, url]) => {
        console.info(`leaked ${value}`);
        document.body.dataset["leak"] = value;
        localStorage.setItem("leak", value);
        sessionStorage.setItem("leak", value);
        const bridge = (
          window as unknown as {
            matrixQrLogin: { commands: Record<string, (request: unknown) => Promise<unknown>> };
          }
        ).matrixQrLogin;
        await bridge.commands["settings.set"]?.({ homeserver: url });
      },
      [leaked, host] as const,
    );
    await expect.poll(() => fresh.engine.profile.settings.homeserver).toBe(host);
    const found = findLeaks(new SecretSet().text("leaked on purpose", leaked), await watch.sinks()).map(
      (leak) => leak.sink,
    );
    for (const sink of [
      "this process's console",
      "engine events",
      "engine errors",
      "transcript",
      "profile/profile.json",
      "page console",
      "page WebSocket frames",
      "page DOM",
      "page localStorage",
      "page sessionStorage",
    ]) {
      const named = sink === "this process's console" ? sink : `${fresh.name} ${sink}`;
      expect(found, named).toContain(named);
    }
    // The rest of this test's record holds no secret in play (searched after it, as after every test).
    watch.reset();
  });
});
