// Every screen of the renderer, rendered from canned data in Chromium with the app's CSP, in both themes and at
// 200 % text: each shows its heading, offers only the commands its snapshot accepts, logs no error and breaks
// no CSP rule; some must also say what really happened (SCREEN_CHECKS). The QR code screens' SVG has a whole
// number of pixels per module and a 4-module quiet zone, and reads back to the exact bytes from the screenshot
// (jsQR). Screenshots go to test-results/screens/<theme>/.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import jsQR from "jsqr";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLOW_ERROR_CODES } from "../src-shared/errors";
import type { FlowSnapshot } from "../src-shared/flow";
import { CANNED_SCREENS, sampleQrBytes, type CannedScreen } from "../src-renderer/canned";
import { errorCopy } from "../src-renderer/copy/errors";
import { t } from "../src-renderer/copy/format";
import { useChromium } from "../test/helpers/chromium";
import { showCanned } from "./helpers/canned-page";
import {
  E2E_RENDERER_DIR,
  pngPixels,
  serveRenderer,
  watchedPage,
  type StaticServer,
  type WatchedPage,
} from "./renderer-page";

const root = join(import.meta.dirname, "..");
const outDir = E2E_RENDERER_DIR;
const shots = join(root, "test-results", "screens");
const VIEWPORT = { width: 1280, height: 800 };
const THEMES = ["light", "dark"] as const;

const browser = useChromium();
let server: StaticServer | undefined;

beforeAll(async () => {
  if (browser.unavailableReason !== undefined) return;
  server = await serveRenderer(outDir);
  for (const dir of ["light", "dark", "text-200"]) mkdirSync(join(shots, dir), { recursive: true });
}, 120_000);

afterAll(async () => {
  await server?.close();
});

function snapshotOf(screen: CannedScreen): FlowSnapshot | undefined {
  return screen.snapshot?.(Date.now());
}

async function contextFor(
  ctx: Parameters<typeof browser.newContext>[0],
  theme: "light" | "dark",
): Promise<BrowserContext> {
  return browser.newContext(ctx, {
    viewport: VIEWPORT,
    colorScheme: theme,
    // Screenshots without motion; also proves nothing is needed from animations to see the screen.
    reducedMotion: "reduce",
    permissions: ["clipboard-read", "clipboard-write"],
  });
}

/** The canned screen `name`, inside the page the test has open (one page load per test, not per screen). */
function open(watched: WatchedPage, name: string, theme: "light" | "dark"): Promise<CannedScreen> {
  return showCanned(watched.page, server?.url ?? "", name, theme);
}

const SCREEN_NAMES = Object.keys(CANNED_SCREENS);

/** Phases whose own buttons decide (Allow / Deny, Continue / Cancel) or close (errors) instead of a plain Cancel. */
const NO_CANCEL_BUTTON = new Set(["approve_device", "confirm_homeserver", "error", "done"]);

/** WCAG 2.x contrast ratio of two sRGB colours. */
function contrast(a: readonly number[], b: readonly number[]): number {
  const luminance = (rgb: readonly number[]) => {
    const [r = 0, g = 0, b = 0] = rgb.map((value) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/**
 * What particular screens must say and show, checked as the loop above passes them (no page load of their own):
 * what really happened, only apps that can scan the code shown, and a disabled button that still reads as one.
 */
const SCREEN_CHECKS: Readonly<Record<string, (page: Page) => Promise<void>>> = {
  // The scanning side cannot see the digits being typed over there: it says from the start what it waits for.
  check_code_display: async (page) => {
    await page
      .getByRole("status")
      .filter({ hasText: t("phase.check_code_display.waiting.new_device") })
      .waitFor();
    expect(await leadOf(page)).toBe(t("phase.check_code_display.lead.new_device"));
  },
  // The consent page: "opened" only once it did (the host's openUrl said so, or the user clicked).
  "consent--open": async (page) => {
    expect(await leadOf(page)).toBe(t("phase.consent.leadToOpen", { host: "account.matrix.org" }));
    expect(await page.locator(".flow-body").innerText()).not.toContain("opened");
  },
  consent: async (page) => {
    expect(await leadOf(page)).toBe(t("phase.consent.lead", { host: "account.matrix.org" }));
  },
  // A v2025 code: no instruction names an app that cannot read it; v2024 keeps Element X.
  "showing_qr--v2025": async (page) => {
    const steps = await page.locator(".instructions ol").innerText();
    expect(steps).not.toMatch(/Element/);
    expect(steps).toContain("MSC4388");
    await page.getByText(t("instructions.v2025.switch")).waitFor();
  },
  showing_qr: async (page) => {
    expect(await page.locator(".instructions ol").innerText()).toContain("Element X");
    expect(await page.getByText(t("instructions.v2025.elementX")).count()).toBe(0);
  },
  // The disabled Continue (no digits typed yet): its label readable on its fill (AA, 4.5:1), and its outline
  // 3:1 against what is behind it (WCAG 1.4.11), so it still reads as a button. Colours as composited.
  check_code_entry: async (page) => {
    const button = page.getByRole("button", { name: t("action.continue"), exact: true });
    expect(await button.isDisabled()).toBe(true);
    const colours = await button.evaluate((element) => {
      const rgba = (css: string) => {
        const parts = (css.match(/[\d.]+/g) ?? []).map(Number);
        return { rgb: parts.slice(0, 3), alpha: parts[3] ?? 1 };
      };
      let behind = rgba("rgb(255, 255, 255)");
      for (let node = element.parentElement; node !== null; node = node.parentElement) {
        const background = rgba(getComputedStyle(node).backgroundColor);
        if (background.alpha > 0) {
          behind = background;
          break;
        }
      }
      const style = getComputedStyle(element);
      const opacity = Number(style.opacity);
      const over = (colour: { rgb: number[]; alpha: number }, base: number[], alpha = 1) =>
        colour.rgb.map(
          (value, i) => value * colour.alpha * alpha + (base[i] ?? 0) * (1 - colour.alpha * alpha),
        );
      const fill = over(rgba(style.backgroundColor), behind.rgb, opacity);
      const border = rgba(style.borderTopColor);
      const edge =
        Number.parseFloat(style.borderTopWidth) > 0 && border.alpha > 0
          ? over(border, behind.rgb, opacity)
          : fill;
      return { label: over(rgba(style.color), fill, opacity), fill, edge, behind: behind.rgb };
    });
    expect(contrast(colours.label, colours.fill), "label on its fill").toBeGreaterThanOrEqual(4.5);
    expect(
      Math.max(contrast(colours.edge, colours.behind), contrast(colours.fill, colours.behind)),
      "button against the page",
    ).toBeGreaterThanOrEqual(3);
  },
};

function leadOf(page: Page): Promise<string> {
  return page.locator(".phase > .lead").first().innerText();
}

describe.each(THEMES)("every screen in the %s theme", (theme) => {
  it("shows its heading, only the commands its snapshot accepts and what really happened, without errors", async (ctx) => {
    const watched = await watchedPage(await contextFor(ctx, theme));
    const { page } = watched;
    for (const name of SCREEN_NAMES) {
      const screen = await open(watched, name, theme);
      const snapshot = snapshotOf(screen);
      if (snapshot !== undefined) {
        // Never a dead button: Cancel shows exactly when the snapshot accepts it (where the phase has one),
        // "New QR code" likewise.
        const cancels = await page.getByRole("button", { name: t("action.cancel"), exact: true }).count();
        if (!NO_CANCEL_BUTTON.has(snapshot.phase)) {
          expect.soft(cancels, `${name}: Cancel`).toBe(snapshot.accepts.includes("cancel") ? 1 : 0);
        }
        if (!snapshot.accepts.includes("cancel"))
          expect.soft(cancels, `${name}: Cancel not accepted`).toBe(0);
        const newQr = await page.getByRole("button", { name: t("phase.showing_qr.newQr") }).count();
        const wantNewQr = snapshot.phase === "showing_qr" && snapshot.accepts.includes("newQr");
        expect.soft(newQr, `${name}: New QR code`).toBe(wantNewQr ? 1 : 0);
        if (snapshot.phase === "error") {
          expect
            .soft(await page.getByRole("button", { name: t("action.copyTranscript") }).count(), name)
            .toBe(1);
        }
      }
      const check = SCREEN_CHECKS[name];
      if (check !== undefined) await check(page);
      await page.screenshot({ path: join(shots, theme, `${name}.png`) });
    }
    expect(await watched.problems()).toEqual([]);
  });
});

describe("the QR code on screen", () => {
  it.for(THEMES)(
    "is drawn dark on white with whole pixels and reads back to the exact bytes (%s)",
    async (theme, ctx) => {
      const context = await contextFor(ctx, theme);
      const watched = await watchedPage(context);
      const { page } = watched;
      for (const name of [
        "showing_qr",
        "showing_qr--sign-in",
        "showing_qr--v2025",
        "showing_qr--fullscreen",
      ]) {
        const screen = await open(watched, name, theme);
        const snapshot = snapshotOf(screen);
        if (snapshot?.phase !== "showing_qr") throw new TypeError(name);
        const svg = page.locator(
          screen.fullscreen === true ? "dialog.qr-fullscreen svg.qr-code" : ".qr-frame svg.qr-code",
        );
        const geometry = await svg.evaluate((element) => ({
          modules: Number(element.getAttribute("data-modules")),
          px: Number(element.getAttribute("data-module-px")),
          quiet: Number(element.getAttribute("data-quiet-zone")),
          width: element.getBoundingClientRect().width,
          viewBox: element.getAttribute("viewBox"),
          x: element.getBoundingClientRect().x,
          y: element.getBoundingClientRect().y,
        }));
        expect(geometry.quiet).toBe(4);
        expect(Number.isInteger(geometry.px) && geometry.px >= 2).toBe(true);
        const total = geometry.modules + 2 * geometry.quiet;
        expect(geometry.viewBox).toBe(`0 0 ${total} ${total}`);
        expect(geometry.width).toBe(total * geometry.px);
        // On whole device pixels, so module edges are sharp.
        expect(Number.isInteger(geometry.x) && Number.isInteger(geometry.y)).toBe(true);

        const image = await pngPixels(context, await svg.screenshot());
        const read = jsQR(image.data, image.width, image.height);
        const expected = sampleQrBytes(snapshot.role, snapshot.version, snapshot.serial);
        expect(Uint8Array.from(read?.binaryData ?? []), name).toEqual(expected);
        // The quiet zone is white: the first row of pixels has no dark one.
        expect(Math.min(...image.data.slice(0, image.width * 4))).toBeGreaterThan(200);
      }
      expect(await watched.problems()).toEqual([]);
    },
  );
});

describe("every error code", () => {
  // One theme here: the dark theme's error screens are among the canned screens above.
  it.for(["light"] as const)(
    "has its own screen with a cause, a next step and the diagnostic transcript (%s)",
    async (theme, ctx) => {
      const context = await contextFor(ctx, theme);
      mkdirSync(join(shots, theme, "errors"), { recursive: true });
      const watched = await watchedPage(context);
      for (const code of FLOW_ERROR_CODES) {
        await open(watched, `error-code--${code}`, theme);
        const copy = errorCopy({ code }, "existing_device");
        await watched.page.getByText(t(copy.cause), { exact: true }).waitFor();
        await watched.page.getByText(t(copy.next), { exact: true }).waitFor();
        await watched.page.getByRole("button", { name: t("action.copyTranscript") }).waitFor();
        await watched.page.screenshot({ path: join(shots, theme, "errors", `${code}.png`) });
      }
      expect(await watched.problems()).toEqual([]);
    },
  );
});

describe("at 200 % text", () => {
  it("every screen keeps its content inside the window and its heading", async (ctx) => {
    const context = await contextFor(ctx, "light");
    const watched = await watchedPage(context);
    for (const name of SCREEN_NAMES) {
      await open(watched, name, "light");
      // The user's text size doubled: every size in the app is in rem, so all of it follows.
      await watched.page.evaluate(() => {
        document.documentElement.style.fontSize = "200%";
        return document.fonts.ready.then(() => undefined);
      });
      const overflow = await watched.page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
      expect.soft(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
      // The whole page: nothing may be cut off, however far it scrolls.
      await watched.page.screenshot({ path: join(shots, "text-200", `${name}.png`), fullPage: true });
    }
    expect(await watched.problems()).toEqual([]);
  });
});
