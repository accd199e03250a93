// Accessibility of every screen, rendered from canned snapshots in Chromium, in the light and the dark theme:
// axe-core finds no serious or critical violation; under reduced motion nothing animates. The findings of lesser
// impact are printed, not failed on. The scanning screens run with Chromium's fake camera, so the live preview
// is part of what axe checks (the camera-less screens are checked in scanning.test.ts).
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANNED_SCREENS } from "../src-renderer/canned";
import { useChromium } from "../test/helpers/chromium";
import { axeFindings, blocking, withAxe, type AxeFinding } from "./helpers/axe";
import { buildRenderer, serveRenderer, watchedPage, type StaticServer } from "./renderer-page";
import { openCanned } from "./helpers/canned-page";

const root = join(import.meta.dirname, "..");
const outDir = join(root, "out", "renderer-a11y");
const THEMES = ["light", "dark"] as const;

const browser = useChromium({ args: ["--use-fake-device-for-media-stream"] });
let server: StaticServer | undefined;

beforeAll(async () => {
  if (browser.unavailableReason !== undefined) return;
  await rm(outDir, { recursive: true, force: true });
  await buildRenderer(outDir);
  server = await serveRenderer(outDir);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

const summary = (findings: readonly AxeFinding[]) =>
  findings.map((finding) => `${finding.impact ?? "?"} ${finding.rule} ×${finding.count}`).join(", ");

describe.each(THEMES)("every screen in the %s theme", (theme) => {
  it("has no serious or critical axe violation, and nothing moves under reduced motion", async (ctx) => {
    const context = await withAxe(
      await browser.newContext(ctx, {
        viewport: { width: 1280, height: 800 },
        colorScheme: theme,
        reducedMotion: "reduce",
        permissions: ["camera"],
      }),
    );
    const watched = await watchedPage(context);
    const report: string[] = [];
    for (const name of Object.keys(CANNED_SCREENS)) {
      await openCanned(watched.page, server?.url ?? "", name, theme);
      const findings = await axeFindings(watched.page);
      if (findings.length > 0) report.push(`${name}: ${summary(findings)}`);
      expect.soft(blocking(findings), name).toEqual([]);
      const moving = await watched.page.evaluate(
        () => document.getAnimations().filter((animation) => animation.playState === "running").length,
      );
      expect.soft(moving, `${name}: running animations under reduced motion`).toBe(0);
    }
    console.log(`axe, ${theme} theme:\n  ${report.join("\n  ") || "no findings"}`);
    expect(await watched.problems()).toEqual([]);
  }, 180_000);
});
