// Scanning like a native app, in Chromium with the app's CSP: one instance reads the QR code another instance
// shows through Chromium's fake camera, whose video is made from a screenshot of the showing page's QR element
// (its pixels, never its bytes), and sends exactly the bytes the other page shows; the camera is released the
// moment the scan succeeds or the screen is left. A refused camera and a missing one lead to
// `camera_unavailable` and its alternatives: showing a QR code instead, the screen, an image. Scanning from
// the screen captures the showing instance's browser tab (Chromium's --auto-select-tab-capture-source-by-title).
//
// The instances run on the fake engine today; with real app instances only the pages change (helpers/camera-scan).
import { mkdtempSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { t } from "../src-renderer/copy/format";
import { useChromium } from "../test/helpers/chromium";
import { axeFindings, blocking, withAxe } from "./helpers/axe";
import {
  fakeCaptureArgs,
  fakeEngineScans,
  offerForScreenCapture,
  photographQr,
  recordMediaStreams,
  shownQrBase64,
  trackCounts,
  trackStates,
} from "./helpers/camera-scan";
import { openCanned } from "./helpers/canned-page";
import { blankY4m } from "./helpers/y4m";
import { buildRenderer, serveRenderer, watchedPage, type StaticServer } from "./renderer-page";

const root = join(import.meta.dirname, "..");
const outDir = join(root, "out", "renderer-scanning");
const y4mDir = mkdtempSync(join(tmpdir(), "matrix-qr-camera-"));
const y4mPath = join(y4mDir, "camera.y4m");

/** A browser with a fake camera (given or refused per context) and a screen capture that picks a titled tab. */
const withCamera = useChromium({ args: fakeCaptureArgs(y4mPath) });
/** A browser on a machine without any camera. */
const withoutCamera = useChromium();
let server: StaticServer | undefined;

beforeAll(async () => {
  if (withCamera.unavailableReason !== undefined) return;
  // Until a test photographs a QR code, the camera sees a white wall.
  await writeFile(y4mPath, blankY4m());
  await rm(outDir, { recursive: true, force: true });
  await buildRenderer(outDir);
  server = await serveRenderer(outDir);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await rm(y4mDir, { recursive: true, force: true });
});

const base = (): string => server?.url ?? "";

async function contextIn(
  browser: typeof withCamera,
  ctx: TestContext,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await withAxe(
    await browser.newContext(ctx, {
      viewport: { width: 1280, height: 800 },
      reducedMotion: "reduce",
      ...options,
    }),
  );
  await recordMediaStreams(context);
  return context;
}

/** A showing instance, in its own context (with the clipboard, for its "Copy as text"). */
async function showingInstance(ctx: TestContext, screen: string) {
  const context = await contextIn(withCamera, ctx, { permissions: ["clipboard-read", "clipboard-write"] });
  const watched = await watchedPage(context);
  await openCanned(watched.page, base(), screen, "light");
  return { context, ...watched, bytes: await shownQrBase64(watched.page) };
}

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name, exact: true });

describe("the camera", () => {
  // Each pair: what the showing instance shows, and the scanning instance's screen (the other role).
  const pairs = [
    ["showing_qr", "scanning"],
    ["showing_qr--sign-in", "scanning--link"],
    ["showing_qr--v2025", "scanning"],
  ] as const;

  // Three pairs of instances, one after the other: on a loaded machine more than the lane's minute.
  it(
    "reads the other instance's QR code from a photo of it, sends its exact bytes, and turns off",
    { timeout: 120_000 },
    async (ctx) => {
      const scanning = await watchedPage(await contextIn(withCamera, ctx, { permissions: ["camera"] }));
      for (const [shows, scans] of pairs) {
        const showing = await showingInstance(ctx, shows);
        await photographQr(showing.page, showing.context, y4mPath);
        // The scanning instance opens its camera after the photo is in front of it.
        await openCanned(scanning.page, base(), scans, "dark");
        await expect.poll(() => fakeEngineScans(scanning.page), { timeout: 5000 }).toEqual([showing.bytes]);
        // The camera is off. (A canned flow stays on its screen; a running one would move on.)
        await scanning.page.getByText(t("scanner.camera.found")).waitFor();
        expect(await trackCounts(scanning.page)).toEqual({ opened: 1, live: 0 });
        expect(await trackStates(scanning.page)).toEqual(["ended"]);
        expect(await showing.problems()).toEqual([]);
        await showing.context.close();
      }
      expect(await scanning.problems()).toEqual([]);
    },
  );

  it("is released when the user leaves the screen, and when another source is chosen", async (ctx) => {
    await writeFile(y4mPath, blankY4m());
    const { page, problems } = await watchedPage(
      await contextIn(withCamera, ctx, { permissions: ["camera"] }),
    );
    await openCanned(page, base(), "scanning", "light");
    await page.getByText(t("scanner.camera.live")).waitFor();
    expect(await trackCounts(page)).toEqual({ opened: 1, live: 1 });
    expect(blocking(await axeFindings(page))).toEqual([]);

    await page.getByRole("tab", { name: t("scanner.source.image") }).click();
    await page.getByText(t("scanner.dropTitle")).waitFor();
    expect(await trackCounts(page)).toEqual({ opened: 1, live: 0 });
    expect(await trackStates(page)).toEqual(["ended"]);

    await page.getByRole("tab", { name: t("scanner.source.camera") }).click();
    await page.getByText(t("scanner.camera.live")).waitFor();
    expect(await trackCounts(page)).toEqual({ opened: 2, live: 1 });
    await page.getByRole("button", { name: t("action.cancel"), exact: true }).click();
    await heading(page, t("app.name")).waitFor();
    expect(await trackCounts(page)).toEqual({ opened: 2, live: 0 });
    expect(await trackStates(page)).toEqual(["ended", "ended"]);
    expect(await problems()).toEqual([]);
  });
});

describe("without a camera", () => {
  it("says camera_unavailable when the camera is refused, and scans from the screen instead", async (ctx) => {
    const showing = await showingInstance(ctx, "showing_qr");
    await offerForScreenCapture(showing.page);
    // No camera permission in this context: Chromium refuses it.
    const { page, problems } = await watchedPage(await contextIn(withCamera, ctx));
    await openCanned(page, base(), "scanning", "light");
    const unavailable = page.locator('[data-error="camera_unavailable"]');
    await unavailable.waitFor();
    expect(await unavailable.getAttribute("data-reason")).toBe("camera_refused");
    await page.getByRole("heading", { name: t("error.camera_unavailable.title") }).waitFor();
    await page.getByText(t("reason.camera_refused")).waitFor();
    expect(blocking(await axeFindings(page))).toEqual([]);

    await page.getByRole("button", { name: t("scanner.useScreen") }).click();
    await expect.poll(() => fakeEngineScans(page), { timeout: 5000 }).toEqual([showing.bytes]);
    await page.getByText(t("scanner.screen.found")).waitFor();
    // The screen is no longer shared.
    expect(await trackCounts(page)).toEqual({ opened: 1, live: 0 });
    expect(await problems()).toEqual([]);
  });

  it("says camera_unavailable when there is no camera, and offers to show a QR code or use an image", async (ctx) => {
    const { page, problems } = await watchedPage(await contextIn(withoutCamera, ctx));
    await openCanned(page, base(), "scanning", "dark");
    const unavailable = page.locator('[data-error="camera_unavailable"]');
    await unavailable.waitFor();
    expect(await unavailable.getAttribute("data-reason")).toBe("no_camera");
    await page.getByText(t("reason.no_camera")).waitFor();
    expect(blocking(await axeFindings(page))).toEqual([]);

    // An image: the image tab opens with the file chooser focused.
    await page.getByRole("button", { name: t("scanner.useImage") }).click();
    expect(
      await page.getByRole("tab", { name: t("scanner.source.image") }).getAttribute("aria-selected"),
    ).toBe("true");
    expect(
      await page.locator('input[type="file"]').evaluate((input) => input === document.activeElement),
    ).toBe(true);

    // Showing a QR code instead: the same kind of flow, this device showing.
    await page.getByRole("tab", { name: t("scanner.source.camera") }).click();
    await page.getByRole("button", { name: t("action.showQrInstead") }).click();
    await heading(page, t("phase.showing_qr.title.new_device")).waitFor();
    const starts = await page.evaluate(() =>
      (
        globalThis as unknown as { matrixQrLoginPreview: { received: { name: string; request: unknown }[] } }
      ).matrixQrLoginPreview.received.filter((item) => item.name === "flow.start"),
    );
    expect(starts.map((item) => item.request)).toEqual([
      { kind: "sign_in", side: "show", homeserver: "matrix.org" },
    ]);
    expect(await problems()).toEqual([]);
  });
});

describe("the screen", () => {
  it("reads the QR code shown in another instance's window", async (ctx) => {
    // The camera, open until the screen is chosen, sees no QR code.
    await writeFile(y4mPath, blankY4m());
    const showing = await showingInstance(ctx, "showing_qr--v2025");
    await offerForScreenCapture(showing.page);
    const { page, problems } = await watchedPage(
      await contextIn(withCamera, ctx, { permissions: ["camera"] }),
    );
    await openCanned(page, base(), "scanning", "light");
    await page.getByRole("tab", { name: t("scanner.source.screen") }).click();
    await page.getByText(t("scanner.screen.title")).waitFor();
    expect(blocking(await axeFindings(page))).toEqual([]);
    await page.getByRole("button", { name: t("scanner.screen.start") }).click();
    await expect.poll(() => fakeEngineScans(page), { timeout: 5000 }).toEqual([showing.bytes]);
    await page.getByText(t("scanner.screen.found")).waitFor();
    // The camera ran until the screen tab opened, and the screen is no longer shared.
    expect(await trackCounts(page)).toEqual({ opened: 2, live: 0 });
    expect(await problems()).toEqual([]);
  });
});
