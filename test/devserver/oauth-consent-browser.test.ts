// The sign-in pages in real Chromium: approve and deny through the shared helper, the whole flow by keyboard alone
// (with what the consent page tells the user), and a second sign-in in the same browser, which skips the login but
// still asks for consent. Skips, saying how to install it, where Chromium is missing.
import type * as oauth from "oauth4webapi";
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import { useChromium } from "../helpers/chromium";
import { approveInBrowser } from "../helpers/consent";
import {
  USERS,
  discover,
  expectTokens,
  expectWhoami,
  matrixScope,
  pollOnce,
  registerClient,
  requestDeviceCode,
  useOAuthDevservers,
} from "./oauth-fixtures";

const browser = useChromium();
const start = useOAuthDevservers();

/** Runs an action that submits a form and waits for the next document to load. */
async function submitting(page: Page, action: () => Promise<void>): Promise<void> {
  const loaded = page.waitForEvent("load");
  await action();
  await loaded;
}

function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === document.activeElement);
}

interface DeviceFlow {
  readonly server: Devserver;
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly device: oauth.DeviceAuthorizationResponse;
  readonly newDeviceCode: (deviceId: string) => Promise<oauth.DeviceAuthorizationResponse>;
}

async function deviceFlow(deviceId: string): Promise<DeviceFlow> {
  const server = await start();
  const as = await discover(server);
  const client = await registerClient(as, { client_name: "Matrix QR Login" });
  const newDeviceCode = (id: string): Promise<oauth.DeviceAuthorizationResponse> =>
    requestDeviceCode(as, client, matrixScope(id));
  return { server, as, client, device: await newDeviceCode(deviceId), newDeviceCode };
}

describe("consent pages in Chromium", () => {
  it("approve: the helper signs the device in and the client's next poll gets tokens", async (ctx) => {
    const context = await browser.newContext(ctx);
    const flow = await deviceFlow("BROWSERDEV1");
    const outcome = await approveInBrowser(context, {
      verificationUri: flow.device.verification_uri,
      userCode: flow.device.user_code,
      user: "alice",
      password: USERS.alice,
      approve: true,
    });
    expect(outcome).toEqual({ kind: "result", result: "approved" });
    const tokens = expectTokens(await pollOnce(flow.as, flow.client, flow.device.device_code));
    await expectWhoami(flow.server, tokens.access_token, "BROWSERDEV1");
  });

  it("deny: the result page says so and the client's next poll gets access_denied", async (ctx) => {
    const context = await browser.newContext(ctx);
    const flow = await deviceFlow("BROWSERDEV2");
    const page = await context.newPage();
    const outcome = await approveInBrowser(page, {
      verificationUri: flow.device.verification_uri_complete ?? "",
      user: "alice",
      password: USERS.alice,
      approve: false,
    });
    expect(outcome).toEqual({ kind: "result", result: "denied" });
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Sign-in denied");
    expect(await pollOnce(flow.as, flow.client, flow.device.device_code)).toMatchObject({
      error: "access_denied",
    });
  });

  it("by keyboard alone; the consent page names the application, its website, the user, the device and the code", async (ctx) => {
    const context = await browser.newContext(ctx);
    const flow = await deviceFlow("KEYBOARDDEV");
    const page = await context.newPage();
    await page.goto(flow.device.verification_uri);

    expect(await isFocused(page.getByLabel("Code from your device"))).toBe(true);
    await page.keyboard.type(flow.device.user_code);
    await submitting(page, () => page.keyboard.press("Enter"));

    expect(await isFocused(page.getByLabel("Username"))).toBe(true);
    await page.keyboard.type("alice");
    await page.keyboard.press("Tab");
    expect(await isFocused(page.getByLabel("Password"))).toBe(true);
    await page.keyboard.type(USERS.alice);
    await submitting(page, () => page.keyboard.press("Enter"));

    const main = page.locator("main");
    expect(await main.getAttribute("data-page")).toBe("consent");
    expect(await page.locator("#client-name").innerText()).toBe("Matrix QR Login");
    expect(await page.getByRole("link", { name: "https://client.example.org/" }).isVisible()).toBe(true);
    expect(await main.innerText()).toContain(`@alice:${flow.server.serverName}`);
    expect(await page.locator("#device-id").innerText()).toBe("KEYBOARDDEV");
    expect(await page.locator("#user-code").innerText()).toBe(flow.device.user_code);
    expect(await isFocused(page.getByRole("button", { name: "Approve" }))).toBe(true);
    expect(await page.getByRole("button", { name: "Deny" }).isVisible()).toBe(true);
    await submitting(page, () => page.keyboard.press("Enter"));

    expect(await main.getAttribute("data-result")).toBe("approved");
    expectTokens(await pollOnce(flow.as, flow.client, flow.device.device_code));
  });

  it("a second sign-in in the same browser skips the login but still asks for consent", async (ctx) => {
    const context = await browser.newContext(ctx);
    const flow = await deviceFlow("FIRSTDEVICE");
    await approveInBrowser(context, {
      verificationUri: flow.device.verification_uri,
      userCode: flow.device.user_code,
      user: "alice",
      password: USERS.alice,
      approve: true,
    });
    const second = await flow.newDeviceCode("SECONDDEVICE");
    const page = await context.newPage();
    await page.goto(second.verification_uri);
    await page.getByLabel("Code from your device").fill(second.user_code);
    await submitting(page, () => page.getByRole("button", { name: "Continue" }).click());
    expect(await page.locator("main").getAttribute("data-page")).toBe("consent");
    expect(await page.locator("#device-id").innerText()).toBe("SECONDDEVICE");
  });
});
