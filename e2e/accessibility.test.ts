// Accessibility of every screen, rendered from canned snapshots in Chromium, in the light and the dark theme:
// axe-core finds no serious or critical violation; under reduced motion nothing animates. The findings of lesser
// impact are printed, not failed on. The scanning screens run with Chromium's fake camera, so the live preview
// is part of what axe checks (the camera-less screens are checked in scanning.test.ts).
import { join } from "node:path";
import { rm } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANNED_SCREENS, sampleQrBytes } from "../src-renderer/canned";
import { t } from "../src-renderer/copy/format";
import { FAKE_CHECK_CODE } from "../src-renderer/fake-engine";
import { qrMatrix } from "../src-renderer/qr/matrix";
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

/** What has focus: its accessible name (roughly: label, aria-label or text) and whether its focus shows. */
async function focused(page: Page): Promise<{ name: string; tag: string; visible: boolean }> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    if (element === null || element === document.body) return { name: "", tag: "body", visible: false };
    const labelled = element.getAttribute("aria-labelledby");
    const name =
      element.getAttribute("aria-label") ??
      (labelled === null ? null : document.getElementById(labelled)?.textContent) ??
      (element instanceof HTMLInputElement ? element.labels?.[0]?.textContent : null) ??
      element.textContent;
    const style = getComputedStyle(element);
    const visible =
      element.matches(":focus-visible") &&
      style.outlineStyle !== "none" &&
      Number.parseFloat(style.outlineWidth) >= 2;
    return { name: name.trim(), tag: element.tagName.toLowerCase(), visible };
  });
}

/**
 * Presses Tab until the control named `name` has focus (failing after `limit` presses), checking that every
 * control it passes shows its focus.
 */
async function tabTo(page: Page, name: string | RegExp, backwards = false, limit = 40): Promise<void> {
  const passed: string[] = [];
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press(backwards ? "Shift+Tab" : "Tab");
    const now = await focused(page);
    passed.push(now.name);
    // Past the last control focus leaves the page for a moment (the browser's own controls), then wraps.
    if (now.tag === "body") continue;
    expect.soft(now.visible, `focus on "${now.name}" (${now.tag}) is not visible`).toBe(true);
    if (typeof name === "string" ? now.name === name : name.test(now.name)) return;
  }
  throw new Error(`no control named ${String(name)} within ${limit} Tab presses: ${passed.join(" | ")}`);
}

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name, exact: true });

describe("with the keyboard alone", () => {
  it("sets the theme, the version and the QR code's error correction, then links a new device to the end", async (ctx) => {
    const context = await browser.newContext(ctx, {
      viewport: { width: 1280, height: 800 },
      reducedMotion: "reduce",
      colorScheme: "light",
    });
    const { page, problems } = await watchedPage(context);
    await page.goto(`${server?.url ?? ""}?canned=home&pace=150`);
    await heading(page, t("home.title")).waitFor();

    // Settings: each group is one Tab stop, the arrows choose.
    await tabTo(page, t("action.settings"));
    await page.keyboard.press("Enter");
    await heading(page, t("settings.title")).waitFor();
    await tabTo(page, t("settings.theme.system"));
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset["theme"])).toBe("dark");
    await page.keyboard.press("Tab");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Tab");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await expect.poll(async () => (await settingsSent(page)).at(-1)).toEqual({ qrErrorCorrection: "H" });
    expect(await settingsSent(page)).toEqual([
      { theme: "light" },
      { theme: "dark" },
      { defaultVersion: "v2025" },
      { qrErrorCorrection: "Q" },
      { qrErrorCorrection: "H" },
    ]);
    await tabTo(page, t("action.back"), true);
    await page.keyboard.press("Enter");

    // Link a new device, this computer showing the QR code (in the version and error correction just set).
    await heading(page, t("home.title")).waitFor();
    await tabTo(page, t("home.linkNewDevice"));
    await page.keyboard.press("Enter");
    await heading(page, t("linkChoice.title")).waitFor();
    await tabTo(page, new RegExp(`^${t("linkChoice.show.title")}`));
    await page.keyboard.press("Enter");
    await heading(page, t("phase.showing_qr.title.existing_device")).waitFor();
    expect(await page.locator(".chip").first().textContent()).toContain("v2025");
    const modules = await page
      .locator(".qr-frame svg.qr-code")
      .evaluate((svg) => Number(svg.getAttribute("data-modules")));
    expect(modules).toBe(qrMatrix(sampleQrBytes("existing_device", "v2025", 1), "H").size);
    expect(modules).not.toBe(qrMatrix(sampleQrBytes("existing_device", "v2025", 1), "M").size);

    // The simulated new device scans it; the check code it shows is typed here.
    await heading(page, t("phase.check_code_entry.title")).waitFor();
    await tabTo(page, t("phase.check_code_entry.digit", { index: 1, total: 2 }));
    await page.keyboard.type(FAKE_CHECK_CODE);
    await page.keyboard.press("Enter");
    await heading(page, t("phase.approve_device.title")).waitFor();
    await tabTo(page, t("phase.approve_device.allow"));
    await page.keyboard.press("Enter");
    await heading(page, t("phase.consent.title")).waitFor();
    const popup = context.waitForEvent("page");
    await tabTo(page, t("phase.consent.open", { host: "account.matrix.org" }));
    await page.keyboard.press("Enter");
    await (await popup).close();
    await heading(page, t("phase.done.title.existing_device")).waitFor();
    await tabTo(page, t("action.done"));
    await page.keyboard.press("Enter");
    await heading(page, t("home.title")).waitFor();
    expect(await problems()).toEqual([]);
  });
});

type Received = { name: string; request: unknown }[];

async function settingsSent(page: Page): Promise<unknown[]> {
  const received = await page.evaluate(
    () =>
      (globalThis as unknown as { matrixQrLoginPreview: { received: Received } }).matrixQrLoginPreview
        .received,
  );
  return received.filter((item) => item.name === "settings.set").map((item) => item.request);
}
