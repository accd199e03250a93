// Renders resources/icon.svg to resources/icon.png (1024 x 1024, what electron-builder makes every platform's
// icon from) in the system's Chromium. Run after changing the SVG: `node scripts/render-icon.mjs`.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";

const resources = join(import.meta.dirname, "..", "resources");
const svg = await readFile(join(resources, "icon.svg"), "utf8");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1024, height: 1024 }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  const png = await page.locator("svg").screenshot({ omitBackground: true });
  await writeFile(join(resources, "icon.png"), png);
} finally {
  await browser.close();
}
