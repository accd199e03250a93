// Settings and presentation, in Chromium. Accessibility of every screen, rendered from canned snapshots, in the
// light and the dark theme: axe-core finds no serious or critical violation; under reduced motion nothing
// animates. The findings of lesser impact are printed, not failed on. The scanning screens run with Chromium's
// fake camera, so the live preview is part of what axe checks (the camera-less screens are checked in
// scanning.test.ts). Everything done with the keyboard alone, its focus always visible. The settings kept in
// the profile by the real engine, across a restart of the browser host.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANNED_SCREENS, sampleQrBytes } from "../src-renderer/canned";
import { t } from "../src-renderer/copy/format";
import { FAKE_CHECK_CODE } from "../src-renderer/fake-engine";
import { qrMatrix } from "../src-renderer/qr/matrix";
import { createEngine, type Engine } from "../src-main/engine";
import { openUrlThroughPage, startBrowserHost, type BrowserHost } from "../src-main/hosts/browser/server";
import { useChromium } from "../test/helpers/chromium";
import { axeFindings, blocking, withAxe, type AxeFinding } from "./helpers/axe";
import { liveTrackLabels, recordMediaStreams, trackCounts } from "./helpers/camera-scan";
import { E2E_RENDERER_DIR, serveRenderer, watchedPage, type StaticServer } from "./renderer-page";
import { showCanned } from "./helpers/canned-page";

const outDir = E2E_RENDERER_DIR;
const THEMES = ["light", "dark"] as const;

/** Two fake cameras (Chromium's moving test pattern), given to the contexts that ask. */
const browser = useChromium({ args: ["--use-fake-device-for-media-stream=device-count=2"] });
let server: StaticServer | undefined;

beforeAll(async () => {
  if (browser.unavailableReason !== undefined) return;
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
      await showCanned(watched.page, server?.url ?? "", name, theme);
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
      (element instanceof HTMLInputElement || element instanceof HTMLSelectElement
        ? element.labels?.[0]?.textContent
        : null) ??
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
 * control it passes shows its focus. `tag` picks one of two controls of the same name (e.g. "select").
 */
async function tabTo(
  page: Page,
  name: string | RegExp,
  { backwards = false, limit = 40, tag }: { backwards?: boolean; limit?: number; tag?: string } = {},
): Promise<void> {
  const passed: string[] = [];
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press(backwards ? "Shift+Tab" : "Tab");
    const now = await focused(page);
    passed.push(now.name);
    // Past the last control focus leaves the page for a moment (the browser's own controls), then wraps.
    if (now.tag === "body") continue;
    expect.soft(now.visible, `focus on "${now.name}" (${now.tag}) is not visible`).toBe(true);
    if (
      (typeof name === "string" ? now.name === name : name.test(now.name)) &&
      (tag ?? now.tag) === now.tag
    ) {
      return;
    }
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
    await tabTo(page, t("action.back"), { backwards: true });
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

describe("the camera, with the keyboard", () => {
  it("switches to another camera, releasing the first, and opens the chosen one next time", async (ctx) => {
    const context = await browser.newContext(ctx, {
      viewport: { width: 1280, height: 800 },
      reducedMotion: "reduce",
      permissions: ["camera"],
    });
    await recordMediaStreams(context);
    const { page, problems } = await watchedPage(context);
    await page.goto(`${server?.url ?? ""}?canned=scanning&theme=light`);
    await page.getByText(t("scanner.camera.live")).waitFor();
    expect(await liveTrackLabels(page)).toEqual(["fake_device_0"]);
    await tabTo(page, t("scanner.camera.label"), { tag: "select" });
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => liveTrackLabels(page)).toEqual(["fake_device_1"]);
    expect(await trackCounts(page)).toEqual({ opened: 2, live: 1 });

    await page.reload();
    await page.getByText(t("scanner.camera.live")).waitFor();
    expect(await liveTrackLabels(page)).toEqual(["fake_device_1"]);
    expect(await problems()).toEqual([]);
  });
});

describe("at 200 %", () => {
  // Screens with the most text, the widest controls and the scanner's three sources.
  const SCREENS = [
    "welcome",
    "home",
    "settings",
    "scanning",
    "showing_qr",
    "check_code_entry",
    "consent",
    "done",
    "error--server_unsupported",
  ];
  const ways = [
    // The browser's zoom (Ctrl +): a 1280x800 window at 200 % lays out in 640x400 CSS pixels.
    { way: "zoomed", size: { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 }, fontSize: "" },
    // The user's text size (Chromium's font size setting): only the text doubles.
    { way: "with text twice as large", size: { viewport: { width: 1280, height: 800 } }, fontSize: "200%" },
  ];

  it.for(ways)(
    "every screen $way keeps all its text, and the page never scrolls sideways",
    async ({ size, fontSize }, ctx) => {
      const context = await browser.newContext(ctx, {
        ...size,
        reducedMotion: "reduce",
        permissions: ["camera"],
      });
      const watched = await watchedPage(context);
      const lost: string[] = [];
      for (const name of SCREENS) {
        await showCanned(watched.page, server?.url ?? "", name, "light");
        if (fontSize !== "") {
          await watched.page.evaluate((size) => {
            document.documentElement.style.fontSize = size;
          }, fontSize);
        }
        if (name === "scanning") await watched.page.getByText(t("scanner.camera.live")).waitFor();
        lost.push(...(await lostText(watched.page)).map((problem) => `${name}: ${problem}`));
      }
      expect(lost).toEqual([]);
      expect(await watched.problems()).toEqual([]);
    },
  );
});

describe("the settings", () => {
  let profileDir = "";
  const running: { engine: Engine; host: BrowserHost }[] = [];

  /** The browser host on a real engine for the profile in profileDir, as `npm run start:browser` runs it. */
  async function startHost(): Promise<{ engine: Engine; host: BrowserHost }> {
    const holder: { host?: BrowserHost } = {};
    const engine = await createEngine({
      location: { dir: profileDir },
      app: "browser-host",
      openUrl: openUrlThroughPage(() => holder.host, false),
    });
    const host = await startBrowserHost({ rendererDir: outDir, engine });
    holder.host = host;
    running.push({ engine, host });
    return { engine, host };
  }

  async function stopHost(): Promise<void> {
    for (const { engine, host } of running.splice(0)) {
      await host.close();
      await engine.close();
    }
  }

  beforeAll(async () => {
    profileDir = await mkdtemp(join(tmpdir(), "mqrl-settings-"));
  });

  afterAll(async () => {
    await stopHost();
    await rm(profileDir, { recursive: true, force: true });
  });

  it("are kept in the profile by the engine, and come back after the browser host restarts", async (ctx) => {
    const context = await browser.newContext(ctx, {
      viewport: { width: 1280, height: 800 },
      reducedMotion: "reduce",
      colorScheme: "light",
    });
    const first = await startHost();
    const before = await watchedPage(context);
    await before.page.goto(first.host.url);
    await before.page.getByRole("button", { name: t("action.settings") }).click();
    await heading(before.page, t("settings.title")).waitFor();
    // The defaults of a new profile.
    expect(await checkedChoices(before.page)).toEqual(["system", "v2024", "M"]);
    // Each choice shows once the engine has taken it.
    for (const name of [t("settings.theme.dark"), t("settings.version.v2025"), t("settings.qrLevel.H")]) {
      const choice = before.page.getByRole("radio", { name });
      await choice.click();
      await expect.poll(() => choice.isChecked()).toBe(true);
    }
    await expect
      .poll(() => first.engine.profile.settings)
      .toMatchObject({ theme: "dark", defaultVersion: "v2025", qrErrorCorrection: "H" });
    expect(await before.problems()).toEqual([]);
    await before.page.close();
    await stopHost();

    // On disk, in the profile's file.
    const saved = JSON.parse(await readFile(join(profileDir, "profile.json"), "utf8")) as {
      settings: unknown;
    };
    expect(saved.settings).toMatchObject({ theme: "dark", defaultVersion: "v2025", qrErrorCorrection: "H" });

    // A new engine and host on the same profile: the page comes up dark, with the same choices.
    const second = await startHost();
    const after = await watchedPage(context);
    await after.page.goto(second.host.url);
    await after.page.getByRole("button", { name: t("action.settings") }).click();
    await heading(after.page, t("settings.title")).waitFor();
    expect(await after.page.evaluate(() => document.documentElement.dataset["theme"])).toBe("dark");
    expect(await checkedChoices(after.page)).toEqual(["dark", "v2025", "H"]);
    expect(await after.problems()).toEqual([]);
  });
});

/**
 * What does not fit the page: the page scrolling sideways, and text cut off, either by a box that hides its
 * overflow or by the window's sides. Text hidden on purpose for screen readers (a 1-pixel box) and the skip
 * link (off screen until focused) do not count.
 */
async function lostText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth) {
      found.push(`the page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth} px`);
    }
    const describe = (element: Element) => {
      const classes = (element.getAttribute("class") ?? "").split(" ").filter((name) => name !== "");
      const tag = [element.tagName.toLowerCase(), ...classes].join(".");
      return `${tag} "${element.textContent.trim().slice(0, 40)}"`;
    };
    for (const element of document.body.querySelectorAll("*")) {
      if (!(element instanceof HTMLElement) || element.closest(".skip-link") !== null) continue;
      const text = [...element.childNodes].some(
        (node) => node.nodeType === Node.TEXT_NODE && (node.textContent ?? "").trim() !== "",
      );
      const box = element.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1) continue;
      const style = getComputedStyle(element);
      if (style.visibility === "hidden" || style.display === "none") continue;
      if (text && (box.left < -1 || box.right > root.clientWidth + 1)) {
        found.push(
          `${describe(element)} reaches past the window (${Math.round(box.left)} to ${Math.round(box.right)} px)`,
        );
      }
      const hides = (value: string) => value !== "visible";
      const wide = element.scrollWidth > element.clientWidth + 1 && hides(style.overflowX);
      const tall = element.scrollHeight > element.clientHeight + 1 && hides(style.overflowY);
      // A box that scrolls keeps its text reachable; one that hides or clips it loses it.
      const scrolls = (value: string) => value === "auto" || value === "scroll";
      if ((wide && !scrolls(style.overflowX)) || (tall && !scrolls(style.overflowY))) {
        if (element.textContent.trim() !== "") found.push(`${describe(element)} cuts its content off`);
      }
    }
    return found;
  });
}

/** The values of the checked choices on the settings screen: theme, version, QR error correction. */
async function checkedChoices(page: Page): Promise<string[]> {
  return page
    .locator('input[type="radio"]:checked')
    .evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
}

type Received = { name: string; request: unknown }[];

async function settingsSent(page: Page): Promise<unknown[]> {
  const received = await page.evaluate(
    () =>
      (globalThis as unknown as { matrixQrLoginPreview: { received: Received } }).matrixQrLoginPreview
        .received,
  );
  return received.filter((item) => item.name === "settings.set").map((item) => item.request);
}
