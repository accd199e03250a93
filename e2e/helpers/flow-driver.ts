// A whole sign-in between two app instances, driven through their pages as the two people would: each starts
// from its own first screen ("Link new device" on the signed-in one, "Sign in with QR code" on the new one), the
// QR code goes from one screen to the other as a picture, the check code is read and typed, the device is
// allowed, the consent page is clicked through, and both pages end on their success screen. Direction A: the
// existing device shows the QR code and the new one scans; B: the new device shows and the existing one scans.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { t } from "../../src-renderer/copy/format";
import {
  answerConsent,
  carryCheckCode,
  heading,
  openConsent,
  phaseShown,
  readUserCode,
  scanQrFrom,
  type AppInstance,
  type ImageRoute,
} from "./instances";

export type Direction = "A" | "B";

/** Where the flows' screenshots go, one per page per phase, named by theme, direction and phase. */
export const FLOW_SCREENS = join(import.meta.dirname, "..", "..", "test-results", "screens", "flows");

/** Takes a screenshot of both pages after each phase, when asked (`label` names the run). */
export type Snap = (what: string) => Promise<void>;

export function snapper(label: string | undefined, pages: Record<string, Page>): Snap {
  let step = 0;
  return async (what) => {
    if (label === undefined) return;
    step += 1;
    await mkdir(FLOW_SCREENS, { recursive: true });
    const prefix = `${label}-${String(step).padStart(2, "0")}-${what}`;
    for (const [name, page] of Object.entries(pages)) {
      await page.screenshot({ path: join(FLOW_SCREENS, `${prefix}-${name}.png`), fullPage: true });
    }
  };
}

/** On the signed-in device's home: "Link new device", then show or scan. */
export async function startLink(page: Page, side: "show" | "scan"): Promise<void> {
  await page.getByRole("button", { name: t("home.linkNewDevice") }).click();
  await heading(page, t("linkChoice.title")).waitFor();
  const title = side === "show" ? t("linkChoice.show.title") : t("linkChoice.scan.title");
  await page.getByRole("button", { name: new RegExp(`^${title}`) }).click();
  await phaseShown(page, side === "show" ? "showing_qr" : "scanning");
}

/** On the new device's welcome screen: "Sign in with QR code", then show or scan. */
export async function startSignIn(page: Page, side: "show" | "scan"): Promise<void> {
  await page.getByRole("button", { name: t("welcome.signIn") }).click();
  await heading(page, t("signInChoice.title")).waitFor();
  const title = side === "show" ? t("signInChoice.show.title") : t("signInChoice.scan.title");
  await page.getByRole("button", { name: new RegExp(`^${title}`) }).click();
  await phaseShown(page, side === "show" ? "showing_qr" : "scanning");
}

/** Both instances start their side of a flow in `direction` and the QR code shows. */
export async function startBoth(
  existing: AppInstance,
  fresh: AppInstance,
  direction: Direction,
): Promise<{ showing: AppInstance; scanning: AppInstance }> {
  if (direction === "A") {
    await startLink(existing.page, "show");
    await startSignIn(fresh.page, "scan");
    return { showing: existing, scanning: fresh };
  }
  await startSignIn(fresh.page, "show");
  await startLink(existing.page, "scan");
  return { showing: fresh, scanning: existing };
}

export interface SuccessOptions {
  readonly direction: Direction;
  readonly route?: ImageRoute;
  readonly snap?: Snap;
}

/** Runs a whole successful flow and returns the new device's ID as its success screen names it. */
export async function runToSuccess(
  existing: AppInstance,
  fresh: AppInstance,
  options: SuccessOptions,
): Promise<string> {
  const snap = options.snap ?? (() => Promise.resolve());
  const { showing, scanning } = await startBoth(existing, fresh, options.direction);
  await snap("qr");
  await scanQrFrom(showing.page, scanning.page, options.route);
  await phaseShown(scanning.page, "check_code_display");
  await phaseShown(showing.page, "check_code_entry");
  await snap("check-code");
  await carryCheckCode(scanning.page, showing.page);
  return finishAfterCheckCode(existing, fresh, snap);
}

/** The account provider's host as the consent screen names it (the devserver's). */
export function providerHost(existing: AppInstance): string {
  return new URL(existing.engine.profile.account?.homeserver ?? "").host;
}

/** From the right check code on: allow the device, approve on the consent page, both end on success. */
export async function finishAfterCheckCode(
  existing: AppInstance,
  fresh: AppInstance,
  snap: Snap = () => Promise.resolve(),
): Promise<string> {
  await phaseShown(existing.page, "approve_device");
  await snap("approve-device");
  await existing.page.getByRole("button", { name: t("phase.approve_device.allow"), exact: true }).click();
  const consent = await openConsent(existing.page, providerHost(existing));
  const userCode = await readUserCode(fresh.page);
  await snap("consent");
  expect(await answerConsent(consent, userCode, true)).toBe("approved");
  await phaseShown(fresh.page, "done", 60_000);
  await phaseShown(existing.page, "done", 60_000);
  await heading(fresh.page, t("phase.done.title.new_device")).waitFor();
  await heading(existing.page, t("phase.done.title.existing_device")).waitFor();
  await snap("done");
  const state = await fresh.engine.invoke("account.get", {});
  if (!state.ok || state.value.status !== "signed_in")
    throw new Error(`not signed in: ${JSON.stringify(state)}`);
  const deviceId = state.value.deviceId ?? "";
  expect(deviceId).not.toBe("");
  // Both success screens name the new device and say it is verified.
  for (const page of [fresh.page, existing.page]) {
    await page.getByText(t("phase.done.device", { device: deviceId })).waitFor();
  }
  await fresh.page.getByText(t("phase.done.verified")).waitFor();
  await existing.page.getByText(t("phase.done.verifiedOther")).waitFor();
  return deviceId;
}
