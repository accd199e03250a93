// Scanning one app instance's QR code with another, as people do: the showing page's QR element is
// photographed (a screenshot of its pixels, never its bytes), turned into the scanning browser's fake camera
// video, or captured as a browser tab by the scanning page's "scan from the screen". Only the pages change
// between the fake engine's instances used today and real app instances: every helper here takes a page.
//
// The API (kept stable; other suites build on it): fakeCaptureArgs(y4mPath) for the browser's flags;
// photographQr(showing, context, y4mPath) puts the showing page's QR code in front of the fake camera;
// offerForScreenCapture(showing) makes it the tab a screen capture picks; shownQrBase64(showing) is what its
// code carries; recordMediaStreams(context) before a page loads, then trackStates / trackCounts /
// liveTrackLabels(page) say which camera and screen tracks still run; fakeEngineScans(page) lists the bytes a
// fake-engine page submitted.
import { writeFile } from "node:fs/promises";
import type { BrowserContext, Page } from "playwright-core";
import { t } from "../../src-renderer/copy/format";
import { pngPixels } from "../renderer-page";
import { y4mFromRgba, type Y4mOptions } from "./y4m";

/** The title a showing page takes so that the scanning browser's screen capture picks its tab. */
export const SCREEN_SOURCE_TITLE = "QR code to scan from the screen";

/**
 * Chromium's flags for a fake camera that plays `y4mPath` (read each time a page opens the camera, so it may
 * be written after launch), and for a screen capture that picks the tab titled SCREEN_SOURCE_TITLE without a
 * prompt. Camera permission is then given or withheld per context (`permissions: ["camera"]`).
 */
export function fakeCaptureArgs(y4mPath: string): string[] {
  return [
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-video-capture=${y4mPath}`,
    `--auto-select-tab-capture-source-by-title=${SCREEN_SOURCE_TITLE}`,
  ];
}

/** The QR code element a page shows (the code with its quiet zone). */
export function qrElement(page: Page) {
  return page.locator(".qr-frame svg.qr-code").first();
}

/** Writes the fake camera's video from a screenshot of the QR code on `showing`. */
export async function photographQr(
  showing: Page,
  pixelContext: BrowserContext,
  y4mPath: string,
  options: Y4mOptions = { scale: 1, width: 640, height: 480 },
): Promise<void> {
  const png = await qrElement(showing).screenshot();
  const image = await pngPixels(pixelContext, png);
  await writeFile(y4mPath, y4mFromRgba(image.data, image.width, image.height, options));
}

/** The bytes the showing page's QR code carries, as its own "Copy as text" gives them (base64). */
export async function shownQrBase64(showing: Page): Promise<string> {
  await showing.getByRole("button", { name: t("phase.showing_qr.copyAsText") }).click();
  return showing.evaluate(() => navigator.clipboard.readText());
}

/** Gives the showing page the title the screen capture looks for. */
export async function offerForScreenCapture(showing: Page): Promise<void> {
  await showing.evaluate((title) => {
    document.title = title;
  }, SCREEN_SOURCE_TITLE);
}

type Received = { name: string; request: { command?: { type: string; bytes?: string } } }[];

/** The scanned bytes (base64) a page's fake engine received, in order. */
export async function fakeEngineScans(page: Page): Promise<string[]> {
  const received = await page.evaluate(
    () =>
      (globalThis as unknown as { matrixQrLoginPreview: { received: Received } }).matrixQrLoginPreview
        .received,
  );
  return received
    .filter((item) => item.request.command?.type === "submitScannedQr")
    .map((item) => item.request.command?.bytes ?? "");
}

/**
 * Records every camera and screen stream the page opens, so a test can ask whether they are all stopped
 * (`trackStates`, `trackCounts`, `liveTrackLabels`). Call before the page loads.
 */
export async function recordMediaStreams(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const opened: MediaStream[] = [];
    (globalThis as unknown as { openedStreams: MediaStream[] }).openedStreams = opened;
    const media = navigator.mediaDevices as MediaDevices | undefined;
    if (media === undefined) return;
    const camera = media.getUserMedia.bind(media);
    const screen = media.getDisplayMedia.bind(media);
    media.getUserMedia = async (constraints) => {
      const stream = await camera(constraints);
      opened.push(stream);
      return stream;
    };
    media.getDisplayMedia = async (options) => {
      const stream = await screen(options);
      opened.push(stream);
      return stream;
    };
  });
}

/** The labels of the tracks still running (a fake camera's is its device's name). */
export async function liveTrackLabels(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const streams = (globalThis as unknown as { openedStreams?: MediaStream[] }).openedStreams ?? [];
    return streams
      .flatMap((stream) => stream.getTracks())
      .filter((track) => track.readyState === "live")
      .map((track) => track.label);
  });
}

/** Every track the page opened, in order, as its `readyState`: "live", or "ended" once stopped. */
export async function trackStates(page: Page): Promise<MediaStreamTrackState[]> {
  return page.evaluate(() => {
    const streams = (globalThis as unknown as { openedStreams?: MediaStream[] }).openedStreams ?? [];
    return streams.flatMap((stream) => stream.getTracks()).map((track) => track.readyState);
  });
}

/** How many tracks the page opened, and how many of them still run. */
export async function trackCounts(page: Page): Promise<{ opened: number; live: number }> {
  return page.evaluate(() => {
    const streams = (globalThis as unknown as { openedStreams?: MediaStream[] }).openedStreams ?? [];
    const tracks = streams.flatMap((stream) => stream.getTracks());
    return { opened: tracks.length, live: tracks.filter((track) => track.readyState === "live").length };
  });
}
