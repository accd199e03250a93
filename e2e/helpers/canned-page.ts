// Opens one canned screen (src-renderer/canned.ts) of the built renderer and waits until it is complete: its
// heading, whatever it loads, the full-screen QR code where it has one, and the fonts.
import type { Page } from "playwright-core";
import { cannedScreen, type CannedScreen } from "../../src-renderer/canned";
import { errorCopy } from "../../src-renderer/copy/errors";
import { t } from "../../src-renderer/copy/format";
import { phaseTitle } from "../../src-renderer/copy/phases";

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

export async function openCanned(
  page: Page,
  baseUrl: string,
  name: string,
  theme: "light" | "dark",
  extraQuery = "",
): Promise<CannedScreen> {
  const screen = cannedScreen(name);
  if (screen === undefined) throw new TypeError(`no canned screen ${name}`);
  await page.goto(`${baseUrl}?canned=${encodeURIComponent(name)}&theme=${theme}${extraQuery}`);
  await page.getByRole("heading", { level: 1, name: cannedHeading(screen), exact: true }).waitFor();
  if (screen.ready !== undefined) await page.locator(screen.ready).first().waitFor();
  if (screen.fullscreen === true) await page.locator("dialog.qr-fullscreen .qr-code").waitFor();
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  return screen;
}
