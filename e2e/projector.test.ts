// Projector mode (docs/ux.md "Demo mode") in Chromium with the app's CSP, on the fake engine, at 1920x1080: every
// phase beside the live sequence diagram and transcript (a big QR code at error correction Q that reads back to
// its exact bytes, check code digits of 128 px and more, the version chip), the diagram after a whole sign-in in
// each direction and version (its SVG export has one arrow per entry that is not a poll that found nothing: those
// are folded, and counted in their folds), the transcript's exports, pausing and following, and a transcript that
// wrongly carries secrets shown redacted. Screenshots go to test-results/screens/projector/.
import { mkdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import jsQR from "jsqr";
import type { BrowserContext, Download, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLOW_PHASES, WIRE_VERSIONS, type FlowSnapshot } from "../src-shared/flow";
import { transcriptToMarkdown, type TranscriptEntry } from "../src-shared/transcript";
import { sampleQrBytes, type CannedScreen } from "../src-renderer/canned";
import { errorCopy } from "../src-renderer/copy/errors";
import { t } from "../src-renderer/copy/format";
import { phaseTitle } from "../src-renderer/copy/phases";
import { projectorScreen } from "../src-renderer/demo/canned-projector";
import { PALETTES, PALETTE_TOKENS } from "../src-renderer/demo/palette";
import { RUN_KEYS, cannedRun } from "../src-renderer/demo/canned-transcripts";
import { qrMatrix } from "../src-renderer/qr/matrix";
import { useChromium } from "../test/helpers/chromium";
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
const shots = join(root, "test-results", "screens", "projector");
const VIEWPORT = { width: 1920, height: 1080 };
const THEMES = ["dark", "light"] as const;

const browser = useChromium();
let server: StaticServer | undefined;

beforeAll(async () => {
  if (browser.unavailableReason !== undefined) return;
  server = await serveRenderer(outDir);
  for (const dir of [...THEMES, "diagram"]) mkdirSync(join(shots, dir), { recursive: true });
}, 120_000);

afterAll(async () => {
  await server?.close();
});

async function contextFor(
  ctx: Parameters<typeof browser.newContext>[0],
  theme: "light" | "dark",
): Promise<BrowserContext> {
  return browser.newContext(ctx, {
    viewport: VIEWPORT,
    colorScheme: theme,
    reducedMotion: "reduce",
    acceptDownloads: true,
  });
}

function screenNamed(name: string): CannedScreen {
  const screen = projectorScreen(name);
  if (screen === undefined) throw new TypeError(`no projector screen ${name}`);
  return screen;
}

function snapshotOf(screen: CannedScreen): FlowSnapshot {
  const snapshot = screen.snapshot?.(Date.now());
  if (snapshot === undefined) throw new TypeError("a projector screen without a snapshot");
  return snapshot;
}

function headingOf(snapshot: FlowSnapshot): string {
  return snapshot.phase === "error"
    ? t(errorCopy(snapshot.error, snapshot.role).title)
    : t(phaseTitle(snapshot.phase, snapshot.role, snapshot.side));
}

async function open(watched: WatchedPage, name: string, theme: string): Promise<CannedScreen> {
  const screen = screenNamed(name);
  await watched.page.goto(
    `${server?.url ?? ""}?canned=${encodeURIComponent(name)}&theme=${theme}&projector=1`,
  );
  await watched.page
    .getByRole("heading", { level: 1, name: headingOf(snapshotOf(screen)), exact: true })
    .waitFor();
  await watched.page.locator(".sequence-svg").waitFor();
  await watched.page.evaluate(() => document.fonts.ready.then(() => undefined));
  return screen;
}

/**
 * What the diagram on screen draws: arrows, folded entries (how many in all, and how many of them folded as
 * background calls, which must be none: the transcript carries no Matrix client housekeeping), step markers.
 */
async function drawn(page: Page) {
  return page.locator(".sequence-svg").evaluate((svg) => ({
    arrows: svg.querySelectorAll('[data-kind="arrow"]').length,
    folded: [...svg.querySelectorAll('[data-kind="fold"]')].reduce(
      (sum, fold) => sum + Number(fold.getAttribute("data-count")),
      0,
    ),
    background: [...svg.querySelectorAll('[data-kind="fold"][data-reason="background"]')].reduce(
      (sum, fold) => sum + Number(fold.getAttribute("data-count")),
      0,
    ),
    steps: svg.querySelectorAll('[data-kind="step"]').length,
    bands: svg.querySelectorAll('[data-kind="band"]').length,
  }));
}

function drawable(entries: readonly TranscriptEntry[]): number {
  return entries.filter((entry) => entry.kind !== "step").length;
}

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const download: Promise<Download> = page.waitForEvent("download");
  await click();
  const file = await download;
  return { name: file.suggestedFilename(), text: await readFile(await file.path(), "utf8") };
}

describe.each(THEMES)("projector mode in the %s theme", (theme) => {
  it("shows every phase at 1920x1080 beside the diagram and the transcript, each filling one screen", async (ctx) => {
    const context = await contextFor(ctx, theme);
    const watched = await watchedPage(context);
    const { page } = watched;
    for (const phase of FLOW_PHASES) {
      const name = `projector--${phase}`;
      const screen = await open(watched, name, theme);
      const entries = screen.transcript?.(Date.now()) ?? [];
      // The diagram draws every entry of the transcript so far once: as an arrow or inside a fold.
      const picture = await drawn(page);
      expect.soft(picture.arrows + picture.folded, `${name}: drawn entries`).toBe(drawable(entries));
      expect.soft(picture.steps, `${name}: steps`).toBe(entries.filter((e) => e.kind === "step").length);
      expect
        .soft(await page.locator(".transcript-list > li").count(), `${name}: listed`)
        .toBe(entries.length);
      // One screen: the page itself neither scrolls nor spills sideways; each column scrolls on its own.
      const overflow = await page.evaluate(() => ({
        x: document.documentElement.scrollWidth - window.innerWidth,
        y: document.documentElement.scrollHeight - window.innerHeight,
      }));
      expect.soft(overflow, name).toEqual({ x: 0, y: 0 });
      await page.screenshot({ path: join(shots, theme, `${phase}.png`) });
    }
    expect(await watched.problems()).toEqual([]);
  });

  it("draws the QR code big at error correction Q, readable back to its exact bytes", async (ctx) => {
    const context = await contextFor(ctx, theme);
    const watched = await watchedPage(context);
    const screen = await open(watched, "projector--showing_qr", theme);
    const snapshot = snapshotOf(screen);
    if (snapshot.phase !== "showing_qr") throw new TypeError("not a QR screen");
    const svg = watched.page.locator(".qr-frame svg.qr-code");
    const geometry = await svg.evaluate((element) => ({
      modules: Number(element.getAttribute("data-modules")),
      px: Number(element.getAttribute("data-module-px")),
      width: element.getBoundingClientRect().width,
    }));
    const expected = sampleQrBytes(snapshot.role, snapshot.version, snapshot.serial);
    // Level Q makes a bigger symbol than the default M for the same bytes: the module count says which level.
    expect(geometry.modules).toBe(qrMatrix(expected, "Q").size);
    expect(geometry.modules).not.toBe(qrMatrix(expected, "M").size);
    expect(Number.isInteger(geometry.px)).toBe(true);
    expect(geometry.width).toBeGreaterThanOrEqual(400);
    const image = await pngPixels(context, await svg.screenshot());
    const read = jsQR(image.data, image.width, image.height);
    expect(Uint8Array.from(read?.binaryData ?? [])).toEqual(expected);
    expect(await watched.problems()).toEqual([]);
  });
});

describe("projector mode's codes and version", () => {
  it("shows the check code in digits of 128 px and more, the user code large, and the version switchable", async (ctx) => {
    const watched = await watchedPage(await contextFor(ctx, "dark"));
    const { page } = watched;
    await open(watched, "projector--check_code_display", "dark");
    const digit = await page
      .locator(".check-code-digit")
      .first()
      .evaluate((element) => parseFloat(getComputedStyle(element).fontSize));
    expect(digit).toBeGreaterThanOrEqual(128);

    await open(watched, "projector--waiting_for_approval", "dark");
    const userCode = await page
      .locator(".user-code")
      .evaluate((element) => parseFloat(getComputedStyle(element).fontSize));
    expect(userCode).toBeGreaterThanOrEqual(64);
    // The version is shown on every screen, as a chip...
    await page.locator(".flow-header .chip", { hasText: "v2025" }).waitFor();

    // ...and switches while the QR code is shown (the snapshot accepts switchVersion there).
    await open(watched, "projector--showing_qr", "dark");
    await page
      .getByRole("button", { name: new RegExp(t("flow.switchVersion", { version: "v2025" })) })
      .click();
    const sent = await page.evaluate(
      () =>
        (
          globalThis as unknown as {
            matrixQrLoginPreview: {
              received: { request: { command?: { type: string; version?: string } } }[];
            };
          }
        ).matrixQrLoginPreview.received,
    );
    expect(
      sent.map((item) => item.request.command).filter((command) => command?.type === "switchVersion"),
    ).toEqual([{ type: "switchVersion", version: "v2025" }]);
    expect(await watched.problems()).toEqual([]);
  });
});

describe("the sequence diagram after a success run", () => {
  it.for(WIRE_VERSIONS)(
    "has one arrow per entry that is not a folded empty poll, on screen and in its SVG export, in each direction (%s)",
    async (version, ctx) => {
      const context = await contextFor(ctx, "dark");
      const watched = await watchedPage(context);
      const { page } = watched;
      for (const { direction, side } of RUN_KEYS) {
        const key = `${direction}-${side}--${version}`;
        const run = cannedRun(direction, side, version);
        await page.setViewportSize(VIEWPORT);
        await open(watched, `projector--${key}--done`, "dark");
        const picture = await drawn(page);
        // Polls that found nothing are folded; every other entry is one arrow.
        expect(picture.arrows, key).toBe(drawable(run.entries) - run.emptyPolls);
        expect(picture.folded, key).toBe(run.emptyPolls);
        expect(picture.background, key).toBe(0);
        expect(picture.bands, key).toBe(1);
        await page.screenshot({ path: join(shots, "diagram", `${key}--window.png`) });

        // A click on an arrow selects its entry: the card under the diagram and the row in the transcript.
        const message = page.locator('.sequence-svg [data-kind="arrow"]', { hasText: "m.login.secrets" });
        await message.click();
        await page.getByRole("heading", { name: new RegExp(t("demo.entry.title")) }).waitFor();
        const index = await message.getAttribute("data-index");
        expect(
          await page
            .locator(`.transcript-list > li[data-index="${index}"] button`)
            .getAttribute("aria-pressed"),
        ).toBe("true");

        const exported = await downloaded(page, () =>
          page.getByRole("button", { name: t("demo.diagram.exportSvg") }).click(),
        );
        expect(exported.name).toBe("sign-in-sequence.svg");
        const inFile = await page.evaluate((text) => {
          const doc = new DOMParser().parseFromString(text, "image/svg+xml");
          const svg = doc.documentElement;
          return {
            root: svg.localName,
            errors: doc.getElementsByTagName("parsererror").length,
            arrows: svg.querySelectorAll('[data-kind="arrow"]').length,
            folded: [...svg.querySelectorAll('[data-kind="fold"]')].reduce(
              (sum, fold) => sum + Number(fold.getAttribute("data-count")),
              0,
            ),
            background: [...svg.querySelectorAll('[data-kind="fold"][data-reason="background"]')].reduce(
              (sum, fold) => sum + Number(fold.getAttribute("data-count")),
              0,
            ),
            selection: svg.querySelectorAll("[data-selection]").length,
            focusable: svg.querySelectorAll("[tabindex]").length,
          };
        }, exported.text);
        expect(inFile, key).toEqual({
          root: "svg",
          errors: 0,
          arrows: drawable(run.entries) - run.emptyPolls,
          folded: run.emptyPolls,
          background: 0,
          selection: 0,
          focusable: 0,
        });

        // The whole diagram in one picture: a window tall enough for all its rows.
        await page.getByRole("button", { name: t("demo.entry.close") }).click();
        const rows = Number(await page.locator(".sequence-svg").getAttribute("data-content-height"));
        await page.setViewportSize({ width: VIEWPORT.width, height: rows + 400 });
        const box = await page.locator(".sequence-svg").boundingBox();
        if (box === null) throw new TypeError("the diagram is not on screen");
        await page.screenshot({
          path: join(shots, "diagram", `${key}.png`),
          clip: { x: box.x, y: box.y, width: box.width, height: rows },
        });
      }
      expect(await watched.problems()).toEqual([]);
    },
  );
});

describe("the transcript pane", () => {
  it("exports what it shows as Markdown and JSON", async (ctx) => {
    const watched = await watchedPage(await contextFor(ctx, "light"));
    const { page } = watched;
    await open(watched, "projector--A-G--v2025--done", "light");
    const run = cannedRun("A", "G", "v2025");
    const markdown = await downloaded(page, () =>
      page.getByRole("button", { name: t("demo.transcript.exportMarkdownLabel") }).click(),
    );
    expect(markdown.name).toBe("sign-in-transcript.md");
    expect(markdown.text).toBe(transcriptToMarkdown(run.entries));
    const json = await downloaded(page, () =>
      page.getByRole("button", { name: t("demo.transcript.exportJsonLabel") }).click(),
    );
    expect(json.name).toBe("sign-in-transcript.json");
    expect(JSON.parse(json.text)).toEqual(JSON.parse(JSON.stringify(run.entries)));
    // Folds away to a rail, and back.
    await page.getByRole("button", { name: t("demo.transcript.hide") }).click();
    await page.getByRole("button", { name: t("demo.transcript.show") }).click();
    await page.locator(".transcript-list").waitFor();
    expect(await watched.problems()).toEqual([]);
  });

  it("follows a live sign-in, and holds still while paused", async (ctx) => {
    const watched = await watchedPage(await contextFor(ctx, "dark"));
    const { page } = watched;
    // The simulated device answers once a second: time enough to pause while the QR code shows.
    await page.goto(`${server?.url ?? ""}?canned=home&pace=1000&theme=dark`);
    await page.getByRole("button", { name: t("home.linkNewDevice") }).click();
    await page.getByRole("button", { name: new RegExp(t("linkChoice.show.title")) }).click();
    const heading = (name: string) => page.getByRole("heading", { level: 1, name, exact: true });
    await heading(t("phase.showing_qr.title.existing_device")).waitFor();
    await page.getByRole("button", { name: t("demo.projector.enter") }).click();
    await page.locator(".projector .sequence-svg").waitFor();

    const rows = page.locator(".transcript-list > li");
    await rows.first().waitFor();
    const arrowsBefore = (await drawn(page)).arrows;
    expect(arrowsBefore).toBeGreaterThan(0);
    await page.getByRole("button", { name: t("demo.transcript.pause") }).click();
    const paused = await rows.count();

    // The other device scans and answers: the flow moves on, the diagram with it, the paused list does not.
    await heading(t("phase.check_code_entry.title")).waitFor();
    await page.getByRole("button", { name: /Show latest/ }).waitFor();
    expect(await rows.count()).toBe(paused);
    expect((await drawn(page)).arrows).toBeGreaterThan(arrowsBefore);
    await page.getByRole("button", { name: /Show latest/ }).click();
    expect(await rows.count()).toBeGreaterThan(paused);
    // The newest row is in view (the list follows again).
    await expect.poll(() => rows.last().isVisible()).toBe(true);

    await page.getByRole("button", { name: t("demo.projector.exit") }).click();
    await page.locator(".projector").waitFor({ state: "detached" });
    await page.getByRole("button", { name: t("action.cancel"), exact: true }).click();
    expect(await watched.problems()).toEqual([]);
  });

  it("shows an entry that wrongly carries a token or secret with it redacted, there and in every export", async (ctx) => {
    const watched = await watchedPage(await contextFor(ctx, "dark"));
    const { page } = watched;
    await open(watched, "projector--showing_qr", "dark");
    const before = await page.locator(".transcript-list > li").count();
    // Straight from the engine's side, past every constructor: the renderer must sanitise on its way in.
    await page.evaluate(() => {
      const engine = (
        globalThis as unknown as { matrixQrLoginPreview: { emit: (name: string, payload: unknown) => void } }
      ).matrixQrLoginPreview;
      const time = Date.UTC(2026, 4, 12, 9, 31);
      engine.emit("transcript.entry", {
        kind: "http",
        step: "A-G1",
        time,
        layer: "matrix",
        method: "GET",
        host: "matrix-client.matrix.org",
        path: "/_matrix/client/v3/devices/syt_YWxpY2U_LEAKEDSECRET1;access_token=LEAKEDSECRET2",
        status: 404,
        error:
          "Bearer mat_LEAKEDSECRET3 refused; retry https://hs.example.org/login?access_token=LEAKEDSECRET4",
      });
      engine.emit("transcript.entry", {
        kind: "step",
        step: "A-G1",
        time: time + 1,
        layer: "oauth",
        name: "device code issued",
        detail: "device_code: LEAKEDSECRET5",
      });
      engine.emit("transcript.entry", {
        kind: "message",
        step: "A-G1",
        time: time + 2,
        layer: "channel",
        direction: "received",
        messageType: "m.login.secrets syr_LEAKEDSECRET6",
      });
    });
    await expect.poll(() => page.locator(".transcript-list > li").count()).toBe(before + 3);
    // Select the leaky request, so its full record shows in the card too.
    await page.locator('.sequence-svg [data-kind="arrow"]').last().waitFor();
    await page.locator(".transcript-list > li").nth(before).locator("button").click();
    await page.getByRole("heading", { name: new RegExp(t("demo.entry.title")) }).waitFor();

    const shown = await page.evaluate(() => document.body.innerHTML);
    const svg = await downloaded(page, () =>
      page.getByRole("button", { name: t("demo.diagram.exportSvg") }).click(),
    );
    const markdown = await downloaded(page, () =>
      page.getByRole("button", { name: t("demo.transcript.exportMarkdownLabel") }).click(),
    );
    const json = await downloaded(page, () =>
      page.getByRole("button", { name: t("demo.transcript.exportJsonLabel") }).click(),
    );
    for (const [what, text] of [
      ["page", shown],
      ["SVG", svg.text],
      ["Markdown", markdown.text],
      ["JSON", json.text],
    ] as const) {
      expect(text, what).not.toContain("LEAKEDSECRET");
      expect(text, what).toContain("[redacted]");
    }
    expect(await watched.problems()).toEqual([]);
  });
});

describe("the diagram's palette", () => {
  it("holds the theme tokens' values, so an exported SVG looks as the app does", () => {
    const tokens = readFileSync(join(root, "src-renderer", "styles", "tokens.css"), "utf8");
    const darkStart = tokens.indexOf(':root[data-theme="dark"]');
    const light = tokens.slice(tokens.indexOf(":root {"), darkStart);
    const dark = tokens.slice(darkStart, tokens.indexOf("@media"));
    const value = (block: string, token: string) => new RegExp(`${token}:\\s*([^;]+);`).exec(block)?.[1];
    for (const [name, token] of Object.entries(PALETTE_TOKENS)) {
      const key = name as keyof typeof PALETTE_TOKENS;
      expect(PALETTES.light[key], `light ${token}`).toBe(value(light, token));
      expect(PALETTES.dark[key], `dark ${token}`).toBe(value(dark, token));
    }
  });
});
