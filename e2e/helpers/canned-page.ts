// Opens one canned screen (src-renderer/canned.ts, or a projector screen of src-renderer/demo/canned-projector.ts)
// of the built renderer and waits until it is complete: its heading, whatever it loads, the full-screen QR code
// where it has one, and the fonts. `openCanned` loads a new page for it; `showCanned` starts the app over on the
// new screen inside the page already loaded (main.tsx's preview switch), which is how the tests that walk every
// screen stay fast: a page load (the bundle, the fonts, axe-core) cost about a second per screen.
import type { Page } from "playwright-core";
import { cannedScreen, type CannedScreen } from "../../src-renderer/canned";
import { errorCopy } from "../../src-renderer/copy/errors";
import { t } from "../../src-renderer/copy/format";
import { phaseTitle } from "../../src-renderer/copy/phases";
import { projectorScreen } from "../../src-renderer/demo/canned-projector";

const VIEW_HEADINGS = {
  welcome: "app.name",
  sign_in_choice: "signInChoice.title",
  manual_sign_in: "manual.title",
  homeserver: "homeserver.title",
  home: "home.title",
  link_choice: "linkChoice.title",
  settings: "settings.title",
} as const;

/** The heading a canned screen must show, from the copy tables the app uses. */
export function cannedHeading(screen: CannedScreen): string {
  const snapshot = screen.snapshot?.(Date.now());
  if (snapshot === undefined) {
    if (screen.view === "flow") throw new TypeError("a flow screen without a snapshot");
    return t(VIEW_HEADINGS[screen.view]);
  }
  if (snapshot.phase === "error") return t(errorCopy(snapshot.error, snapshot.role).title);
  return t(phaseTitle(snapshot.phase, snapshot.role, snapshot.side));
}

function screenNamed(name: string): CannedScreen {
  const screen = cannedScreen(name) ?? projectorScreen(name);
  if (screen === undefined) throw new TypeError(`no canned screen ${name}`);
  return screen;
}

async function untilComplete(page: Page, screen: CannedScreen): Promise<CannedScreen> {
  await page.getByRole("heading", { level: 1, name: cannedHeading(screen), exact: true }).waitFor();
  if (screen.ready !== undefined) await page.locator(screen.ready).first().waitFor();
  if (screen.fullscreen === true) await page.locator("dialog.qr-fullscreen .qr-code").waitFor();
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  return screen;
}

/** A new page load of the canned screen `name`. */
export async function openCanned(
  page: Page,
  baseUrl: string,
  name: string,
  theme: "light" | "dark",
  extraQuery = "",
): Promise<CannedScreen> {
  const screen = screenNamed(name);
  await page.goto(`${baseUrl}?canned=${encodeURIComponent(name)}&theme=${theme}${extraQuery}`);
  return untilComplete(page, screen);
}

/**
 * The canned screen `name` in the preview page `page` already shows (a new engine, store and app, as after a
 * page load, but the same document), or a page load when `page` shows none yet. Page-wide things carry over:
 * the console and CSP records, scripts the browser injected (axe-core), and the window's size.
 */
export async function showCanned(
  page: Page,
  baseUrl: string,
  name: string,
  theme: "light" | "dark",
  extraQuery = "",
): Promise<CannedScreen> {
  const search = `?canned=${encodeURIComponent(name)}&theme=${theme}${extraQuery}`;
  const switched =
    page.url().startsWith(baseUrl) &&
    (await page.evaluate(async (query) => {
      const open = (globalThis as { matrixQrLoginPreviewOpen?: (search: string) => Promise<void> })
        .matrixQrLoginPreviewOpen;
      if (open === undefined) return false;
      await open(query);
      return true;
    }, search));
  if (!switched) return openCanned(page, baseUrl, name, theme, extraQuery);
  return untilComplete(page, screenNamed(name));
}
