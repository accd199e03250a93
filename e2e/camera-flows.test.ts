// A sign-in between two real app instances where the scanning one reads the other's QR code through Chromium's
// fake camera, as a webcam pointed at the other screen would: the video is made from a screenshot of the showing
// page's QR element (its pixels as luma, scaled by whole pixels; never the bytes it encodes). Direction A (the
// signed-in device shows, the new one scans: "Link new device" / "Sign in with QR code") and direction B (the
// new device shows, the signed-in one scans), each in both wire versions; both end on success on both pages, the
// new device cross-signed as a third client sees it, and the camera off.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fakeCaptureArgs, photographQr, recordMediaStreams, trackCounts } from "./helpers/camera-scan";
import { finishAfterCheckCode, startLink, startSignIn, type Direction } from "./helpers/flow-driver";
import { carryCheckCode, phaseShown, useInstances } from "./helpers/instances";
import { blankY4m } from "./helpers/y4m";

const y4mDir = mkdtempSync(join(tmpdir(), "mqrl-camera-flows-"));
const y4mPath = join(y4mDir, "camera.y4m");
// Until a QR code is photographed, the camera sees a white wall.
writeFileSync(y4mPath, blankY4m());

const instances = useInstances({
  browser: { args: fakeCaptureArgs(y4mPath) },
});

afterAll(() => {
  rmSync(y4mDir, { recursive: true, force: true });
});

const ROWS: readonly { direction: Direction; version: "v2024" | "v2025" }[] = [
  { direction: "A", version: "v2024" },
  { direction: "A", version: "v2025" },
  { direction: "B", version: "v2024" },
  { direction: "B", version: "v2025" },
];

describe("scanning the other instance's QR code with the camera", () => {
  for (const { direction, version } of ROWS) {
    const who = direction === "A" ? "the new device's camera" : "the signed-in device's camera";
    it(
      `${direction} ${version}: ${who} reads the QR code on the other screen, both end verified`,
      {
        timeout: 120_000,
      },
      async (ctx) => {
        const [existingWindow, freshWindow] = await instances.windows(ctx, { permissions: ["camera"] });
        await recordMediaStreams(existingWindow);
        await recordMediaStreams(freshWindow);
        const settings = { theme: "light", defaultVersion: version } as const;
        const existing = await instances.existing(existingWindow, settings);
        const fresh = await instances.fresh(freshWindow, {
          ...settings,
          homeserver: instances.server().baseUrl,
        });
        const [showing, scanning] = direction === "A" ? [existing, fresh] : [fresh, existing];

        if (direction === "A") await startLink(existing.page, "show");
        else await startSignIn(fresh.page, "show");
        // The QR code is held in front of the camera before the scanning side opens it.
        await photographQr(showing.page, showing.page.context(), y4mPath);
        if (direction === "A") await startSignIn(fresh.page, "scan");
        else await startLink(existing.page, "scan");

        await phaseShown(scanning.page, "check_code_display");
        // The camera is off once the code was read.
        expect(await trackCounts(scanning.page)).toEqual({ opened: 1, live: 0 });
        await carryCheckCode(scanning.page, showing.page);
        const deviceId = await finishAfterCheckCode(existing, fresh);
        await instances.expectVerifiedByThirdClient(deviceId);
        expect(await existing.problems()).toEqual([]);
        expect(await fresh.problems()).toEqual([]);
      },
    );
  }
});
