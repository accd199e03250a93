// The renderer driven as a user would, in Chromium with the app's CSP, on the fake engine: the check code
// entry (typing, pasting, the keyboard, "digit 1 of 2"), scanning a QR code from an image chosen, pasted or
// dropped (its exact bytes reach the engine, every segment kept), a whole sign-in screen by screen, switching
// the wire version while the QR code shows, full screen by keyboard, and the clipboard actions.
import QRCode from "qrcode";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { t } from "../src-renderer/copy/format";
import { useChromium } from "../test/helpers/chromium";
import { E2E_RENDERER_DIR, serveRenderer, watchedPage, type StaticServer } from "./renderer-page";

const outDir = E2E_RENDERER_DIR;

const browser = useChromium();
let server: StaticServer | undefined;

beforeAll(async () => {
  if (browser.unavailableReason !== undefined) return;
  server = await serveRenderer(outDir);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

async function contextFor(ctx: Parameters<typeof browser.newContext>[0]): Promise<BrowserContext> {
  return browser.newContext(ctx, {
    viewport: { width: 1280, height: 800 },
    reducedMotion: "reduce",
    permissions: ["clipboard-read", "clipboard-write"],
  });
}

type Received = { name: string; request: { command?: { type: string; bytes?: string; code?: string } } }[];

/** What the fake engine behind the page received so far. */
async function received(page: Page): Promise<Received> {
  return page.evaluate(
    () =>
      (globalThis as unknown as { matrixQrLoginPreview: { received: Received } }).matrixQrLoginPreview
        .received,
  );
}

async function commands(page: Page, type: string) {
  return (await received(page))
    .filter((item) => item.request.command?.type === type)
    .map((item) => item.request.command);
}

/** A QR code whose payload is split into alphanumeric, byte and numeric segments, as a PNG, and its bytes. */
async function mixedSegmentQr(): Promise<{ png: Buffer; base64: string }> {
  const binary = Uint8Array.from([0x02, 0x03, 0x80, 0x81, 0x9f, 0xa0, 0xff, 0x00, 0x7f, 0xc3, 0x28]);
  const png = await QRCode.toBuffer(
    [
      { mode: "alphanumeric", data: "MATRIX" },
      { mode: "byte", data: binary },
      { mode: "numeric", data: "20252024" },
    ],
    { type: "png", errorCorrectionLevel: "M", scale: 6, margin: 4 },
  );
  const bytes = Buffer.concat([
    Buffer.from("MATRIX", "latin1"),
    Buffer.from(binary),
    Buffer.from("20252024", "latin1"),
  ]);
  return { png, base64: bytes.toString("base64") };
}

describe("the check code entry", () => {
  it("takes typing, pasting and the keyboard, and sends two digits only when both are there", async (ctx) => {
    const { page, problems } = await watchedPage(await contextFor(ctx));
    await page.goto(`${server?.url ?? ""}?canned=check_code_entry&theme=light`);
    const first = page.getByLabel(t("phase.check_code_entry.digit", { index: 1, total: 2 }));
    const second = page.getByLabel(t("phase.check_code_entry.digit", { index: 2, total: 2 }));
    const next = page.getByRole("button", { name: t("action.continue") });
    await first.waitFor();
    expect(await next.isDisabled()).toBe(true);

    await first.focus();
    await page.keyboard.type("x4");
    expect(await first.inputValue()).toBe("4");
    // The focus moved on by itself.
    expect(await second.evaluate((element) => element === document.activeElement)).toBe(true);
    expect(await next.isDisabled()).toBe(true);
    await page.keyboard.type("2");
    expect(await next.isEnabled()).toBe(true);
    await page.keyboard.press("Backspace");
    expect(await next.isDisabled()).toBe(true);
    await page.keyboard.press("Backspace");
    expect(await first.inputValue()).toBe("");
    expect(await first.evaluate((element) => element === document.activeElement)).toBe(true);

    // Pasting "4 2" into the first box fills both.
    await first.evaluate((element) => {
      const data = new DataTransfer();
      data.setData("text/plain", "4 2");
      element.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
      );
    });
    expect([await first.inputValue(), await second.inputValue()]).toEqual(["4", "2"]);
    await page.keyboard.press("Enter");
    await expect
      .poll(() => commands(page, "submitCheckCode"))
      .toEqual([{ type: "submitCheckCode", code: "42" }]);
    expect(await problems()).toEqual([]);
  });
});

describe("scanning an image", () => {
  it("sends the exact bytes of a QR code chosen, pasted or dropped", async (ctx) => {
    const { png, base64 } = await mixedSegmentQr();
    const { page, problems } = await watchedPage(await contextFor(ctx));
    await page.goto(`${server?.url ?? ""}?canned=scanning&theme=dark`);
    // The camera opens first (this browser has none); the image is the scanner's third source.
    await page.getByRole("tab", { name: t("scanner.source.image") }).click();
    await page.getByText(t("scanner.choose")).waitFor();

    await page
      .locator('input[type="file"]')
      .setInputFiles({ name: "qr.png", mimeType: "image/png", buffer: png });
    await expect
      .poll(() => commands(page, "submitScannedQr"))
      .toEqual([{ type: "submitScannedQr", bytes: base64 }]);

    const pngBase64 = png.toString("base64");
    await page.evaluate((encoded) => {
      const file = new File([Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0))], "qr.png", {
        type: "image/png",
      });
      const data = new DataTransfer();
      data.items.add(file);
      document.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
      );
    }, pngBase64);
    await expect.poll(async () => (await commands(page, "submitScannedQr")).length).toBe(2);

    await page.locator(".drop-zone").evaluate((zone, encoded) => {
      const file = new File([Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0))], "qr.png", {
        type: "image/png",
      });
      const data = new DataTransfer();
      data.items.add(file);
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    }, pngBase64);
    await expect.poll(async () => (await commands(page, "submitScannedQr")).length).toBe(3);
    for (const command of await commands(page, "submitScannedQr")) expect(command?.bytes).toBe(base64);

    // An image without a QR code says so, and sends nothing.
    await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(300, 200);
      const context2d = canvas.getContext("2d");
      if (context2d === null) throw new Error("no 2d context");
      context2d.fillStyle = "#ffffff";
      context2d.fillRect(0, 0, 300, 200);
      const file = new File([await canvas.convertToBlob({ type: "image/png" })], "blank.png", {
        type: "image/png",
      });
      const data = new DataTransfer();
      data.items.add(file);
      document.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
      );
    });
    await page.getByText(t("scanner.notFound")).waitFor();
    expect((await commands(page, "submitScannedQr")).length).toBe(3);
    expect(await problems()).toEqual([]);
  });
});

describe("a sign-in on the simulated device", () => {
  it("walks from the welcome screen to home, one screen per phase", async (ctx) => {
    const { png } = await mixedSegmentQr();
    const { page, problems } = await watchedPage(await contextFor(ctx));
    await page.goto(`${server?.url ?? ""}?pace=150&theme=light`);
    const heading = (name: string) => page.getByRole("heading", { level: 1, name, exact: true });
    await heading(t("app.name")).waitFor();
    await page.getByRole("button", { name: t("welcome.signIn") }).click();
    await heading(t("signInChoice.title")).waitFor();
    await page.getByRole("button", { name: new RegExp(t("signInChoice.scan.title")) }).click();
    await heading(t("phase.scanning.title.new_device")).waitFor();
    await page.getByRole("tab", { name: t("scanner.source.image") }).click();
    await page.getByText(t("scanner.choose")).waitFor();
    await page
      .locator('input[type="file"]')
      .setInputFiles({ name: "qr.png", mimeType: "image/png", buffer: png });
    await heading(t("phase.check_code_display.title")).waitFor();
    await page.getByText(t("phase.check_code_display.codeAria", { digits: "4 2" })).waitFor();
    await heading(t("phase.waiting_for_approval.title")).waitFor();
    await page.getByText(t("phase.waiting_for_approval.codeLabel")).waitFor();
    await heading(t("phase.done.title.new_device")).waitFor();
    await page.getByRole("button", { name: t("action.done") }).click();
    await heading(t("home.title")).waitFor();
    expect(await problems()).toEqual([]);
  });
});

describe("linking a new device", () => {
  it("switches the wire version, shows the QR code full screen by keyboard, and copies it as text", async (ctx) => {
    const { page, problems } = await watchedPage(await contextFor(ctx));
    await page.goto(`${server?.url ?? ""}?canned=home&pace=2000&theme=light`);
    await page.getByRole("button", { name: t("home.linkNewDevice") }).click();
    await page.getByRole("button", { name: new RegExp(t("linkChoice.show.title")) }).click();
    await page
      .getByRole("heading", { level: 1, name: t("phase.showing_qr.title.existing_device") })
      .waitFor();

    const copied = async () => {
      await page.getByRole("button", { name: t("phase.showing_qr.copyAsText") }).click();
      const text = await page.evaluate(() => navigator.clipboard.readText());
      return Buffer.from(text, "base64");
    };
    // v2024: MATRIX, version 0x02, mode 0x04 (the existing device shows it).
    expect([...(await copied()).subarray(0, 8)]).toEqual([...Buffer.from("MATRIX"), 0x02, 0x04]);

    await page
      .getByRole("button", { name: new RegExp(t("flow.switchVersion", { version: "v2025" })) })
      .click();
    await page
      .getByRole("button", { name: new RegExp(t("flow.switchVersion", { version: "v2024" })) })
      .waitFor();
    // v2025: MATRIX, type 0x03, intent 0x01 (existing device).
    expect([...(await copied()).subarray(0, 8)]).toEqual([...Buffer.from("MATRIX"), 0x03, 0x01]);

    await page.locator(".qr-frame").focus();
    await page.keyboard.press("Enter");
    const fullscreen = page.locator("dialog.qr-fullscreen");
    await fullscreen.waitFor();
    await page.keyboard.press("Escape");
    await fullscreen.waitFor({ state: "detached" });

    await page.getByRole("button", { name: t("action.help") }).click();
    await page.getByRole("heading", { name: t("help.title") }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("heading", { name: t("help.title") }).waitFor({ state: "detached" });

    await page.getByRole("button", { name: t("action.cancel"), exact: true }).click();
    await page.getByRole("heading", { level: 1, name: t("home.title") }).waitFor();
    expect(await commands(page, "cancel")).toHaveLength(1);
    expect(await problems()).toEqual([]);
  });
});

describe("an error screen", () => {
  it("copies a Markdown diagnostic transcript with the error in it", async (ctx) => {
    const { page, problems } = await watchedPage(await contextFor(ctx));
    await page.goto(`${server?.url ?? ""}?canned=error--proxy_interference&theme=light`);
    await page.getByRole("button", { name: t("action.copyTranscript") }).click();
    await page.getByText(t("action.transcriptCopied")).waitFor();
    const text = await page.evaluate(() => navigator.clipboard.readText());
    expect(text).toContain("# Matrix QR Login: diagnostic transcript");
    expect(text).toContain("error: `proxy_interference` (reason `weak_etag`)");
    expect(text).toContain("## Transcript");
    expect(await problems()).toEqual([]);
  });
});
