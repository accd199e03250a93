// What goes wrong in a sign-in between two app instances, through their pages as the two people see it: a wrong
// check code then the right one, two wrong codes, "Deny" on the account provider's page, a QR code that expires
// unscanned and is replaced, each side cancelling, and a homeserver without QR login (the screen names what it
// lacks). Each case checks both screens: the error's title from the copy table and its technical code, or the
// way on to success.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { FlowErrorCode } from "../src-shared/errors";
import type { FlowRole } from "../src-shared/flow";
import { errorCopy } from "../src-renderer/copy/errors";
import { t } from "../src-renderer/copy/format";
import { qrElement } from "./helpers/camera-scan";
import { FLOW_SCREENS, providerHost, startBoth } from "./helpers/flow-driver";
import {
  answerConsent,
  carryCheckCode,
  heading,
  openConsent,
  phaseShown,
  photographQrElement,
  pasteImage,
  readCheckCode,
  readUserCode,
  scanQrFrom,
  typeCheckCode,
  useInstances,
  type AppInstance,
} from "./helpers/instances";
import type { Page } from "playwright-core";

const instances = useInstances();

/** The page shows the error screen of `code` (its title and cause from the copy table, its technical line). */
async function expectError(page: Page, code: FlowErrorCode, role: FlowRole, reason?: string): Promise<void> {
  await phaseShown(page, "error");
  const copy = errorCopy(reason === undefined ? { code } : { code, reason }, role);
  await heading(page, t(copy.title)).waitFor();
  await page.getByText(t(copy.cause), { exact: true }).waitFor();
  const technical = await page.locator(".technical").innerText();
  expect(technical).toContain(reason === undefined ? code : `${code} · ${reason}`);
  // Every error screen offers the diagnostic transcript.
  await page.getByRole("button", { name: t("action.copyTranscript") }).waitFor();
}

/** Both instances, each in its own window, the version chosen on both. */
async function pair(
  ctx: Parameters<typeof instances.context>[0],
  version: "v2024" | "v2025",
): Promise<{ existing: AppInstance; fresh: AppInstance }> {
  const [existingWindow, freshWindow] = await instances.windows(ctx);
  const settings = { theme: "light", defaultVersion: version } as const;
  const existing = await instances.existing(existingWindow, settings);
  const fresh = await instances.fresh(freshWindow, { ...settings, homeserver: instances.server().baseUrl });
  return { existing, fresh };
}

const wrongFor = (code: string): string => (code === "42" ? "43" : "42");

describe("the check code", () => {
  it(
    "one wrong code says so and how many tries are left, then the right one lets the flow on",
    {
      timeout: 120_000,
    },
    async (ctx) => {
      const { existing, fresh } = await pair(ctx, "v2024");
      const { showing, scanning } = await startBoth(existing, fresh, "A");
      await scanQrFrom(showing.page, scanning.page, "paste");
      const code = await readCheckCode(scanning.page);
      await typeCheckCode(showing.page, wrongFor(code));
      const mismatch = showing.page.getByRole("alert");
      await mismatch.getByText(t("phase.check_code_entry.mismatch")).waitFor();
      await mismatch.getByText(t("phase.check_code_entry.attemptsLeft.one", { count: 1 })).waitFor();
      // The boxes are empty again, for the second try.
      const first = showing.page.getByLabel(t("phase.check_code_entry.digit", { index: 1, total: 2 }));
      expect(await first.inputValue()).toBe("");
      await typeCheckCode(showing.page, code);
      // The right code lets the flow on: the signed-in device asks to allow the new one (the rest is the
      // success flow's, flows.test.ts).
      await phaseShown(existing.page, "approve_device");
      expect(await existing.problems()).toEqual([]);
      expect(await fresh.problems()).toEqual([]);
    },
  );

  it("two wrong codes end the flow on both screens", { timeout: 90_000 }, async (ctx) => {
    const { existing, fresh } = await pair(ctx, "v2025");
    const { showing, scanning } = await startBoth(existing, fresh, "B");
    await scanQrFrom(showing.page, scanning.page, "drop");
    const code = await readCheckCode(scanning.page);
    await typeCheckCode(showing.page, wrongFor(code));
    await showing.page.getByText(t("phase.check_code_entry.mismatch")).waitFor();
    await typeCheckCode(showing.page, wrongFor(code));
    await expectError(fresh.page, "check_code_mismatch", "new_device");
    // The scanning device sees the showing device end the session.
    await expectError(existing.page, "expired", "existing_device");
  });
});

describe("the account provider's page", () => {
  it("Deny there ends the flow as declined on both screens", { timeout: 90_000 }, async (ctx) => {
    const { existing, fresh } = await pair(ctx, "v2025");
    const { showing, scanning } = await startBoth(existing, fresh, "A");
    await scanQrFrom(showing.page, scanning.page, "paste");
    await carryCheckCode(scanning.page, showing.page);
    await phaseShown(existing.page, "approve_device");
    await existing.page.getByRole("button", { name: t("phase.approve_device.allow"), exact: true }).click();
    const consent = await openConsent(existing.page, providerHost(existing));
    const userCode = await readUserCode(fresh.page);
    expect(await answerConsent(consent, userCode, false)).toBe("denied");
    await expectError(fresh.page, "declined", "new_device");
    await expectError(existing.page, "declined", "existing_device");
  });
});

describe("an unscanned QR code", () => {
  it(
    "is replaced before it expires, the screen says so, and the new one works",
    { timeout: 90_000 },
    async (ctx) => {
      const server = instances.server();
      const lifetimes = server.hooks.rendezvousLifetimes();
      // The QR code is replaced a second before its rendezvous expires (FLOW_TEST_TIMINGS): three seconds of life.
      server.hooks.setRendezvousLifetimes({ v2024S: 3 });
      try {
        const { existing, fresh } = await pair(ctx, "v2024");
        const { showing, scanning } = await startBoth(existing, fresh, "A");
        const drawn = () => qrElement(showing.page).evaluate((svg) => svg.outerHTML);
        const before = await drawn();
        // Its replacement lives as long as usual.
        server.hooks.setRendezvousLifetimes(lifetimes);
        // The page announces the replacement in its live region, and draws another code.
        await showing.page
          .getByRole("status")
          .getByText(t("flow.qrWasReplaced"))
          .waitFor({ timeout: 10_000 });
        expect(await drawn()).not.toBe(before);
        const after = await photographQrElement(showing.page);
        await phaseShown(scanning.page, "scanning");
        await pasteImage(scanning.page, after);
        await carryCheckCode(scanning.page, showing.page);
        await phaseShown(existing.page, "approve_device");
      } finally {
        server.hooks.setRendezvousLifetimes(lifetimes);
      }
    },
  );
});

describe("cancelling", () => {
  it(
    "on the signed-in device, denying the new device: both screens say the sign-in was cancelled",
    {
      timeout: 90_000,
    },
    async (ctx) => {
      const { existing, fresh } = await pair(ctx, "v2024");
      const { showing, scanning } = await startBoth(existing, fresh, "B");
      await scanQrFrom(showing.page, scanning.page, "paste");
      await carryCheckCode(existing.page, fresh.page);
      await phaseShown(existing.page, "approve_device");
      await existing.page.getByRole("button", { name: t("phase.approve_device.deny"), exact: true }).click();
      await expectError(existing.page, "cancelled_here", "existing_device");
      await expectError(fresh.page, "cancelled_there", "new_device");
    },
  );

  it(
    "on the new device while it waits for approval: it goes back, the signed-in device is told",
    {
      timeout: 90_000,
    },
    async (ctx) => {
      const { existing, fresh } = await pair(ctx, "v2025");
      const { showing, scanning } = await startBoth(existing, fresh, "A");
      await scanQrFrom(showing.page, scanning.page, "drop");
      await carryCheckCode(scanning.page, showing.page);
      await phaseShown(existing.page, "approve_device");
      await existing.page.getByRole("button", { name: t("phase.approve_device.allow"), exact: true }).click();
      // The new device waits once the signed-in one has opened the account provider's page.
      await openConsent(existing.page, providerHost(existing));
      await readUserCode(fresh.page);
      await fresh.page.getByRole("button", { name: t("action.cancel"), exact: true }).click();
      await heading(fresh.page, t("app.name")).waitFor();
      await expectError(existing.page, "cancelled_there", "existing_device");
    },
  );
});

describe("a homeserver without QR login", () => {
  it("the new device's QR screen names what the homeserver lacks", { timeout: 90_000 }, async (ctx) => {
    const bare = await instances.otherServer({ rendezvous: { msc4108: false, msc4388Mode: "off" } });
    const context = await instances.context(ctx);
    const fresh = await instances.fresh(context, { theme: "dark", homeserver: bare.baseUrl });
    await fresh.page.getByRole("button", { name: t("welcome.signIn") }).click();
    await fresh.page.getByRole("button", { name: new RegExp(`^${t("signInChoice.show.title")}`) }).click();
    // The missing piece: the rendezvous ("the meeting point that the two devices use to find each other").
    await expectError(fresh.page, "server_unsupported", "new_device", "no_rendezvous");
    await fresh.page.getByRole("button", { name: t("action.signInWithBrowser") }).waitFor();
    await fresh.page.screenshot({ path: join(FLOW_SCREENS, "dark-no-qr-login-new.png"), fullPage: true });
    expect(await fresh.problems()).toEqual([]);
  });
});
