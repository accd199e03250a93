// Two real app instances for end-to-end tests, driven through their pages as a person would: one devserver, the
// renderer's production build, and per instance a real engine (its own profile folder) behind its own browser
// host (src-main/hosts/browser/server.ts), opened in Chromium. The existing instance's profile is signed in
// through the devserver's device grant and has cross-signing, secret storage and a key backup; a new instance is
// an empty profile. The helpers between the two pages do what the person does between two screens: photograph
// the QR code (a screenshot of its element, pixels only) and paste or drop the picture into the other page's
// scanner, read the check code on one page and type it into the other, and click through the account provider's
// consent page that the user's click opened. A third client (matrix-js-sdk, unlocked with the recovery key)
// judges whether the new device ended verified.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientEvent, createClient, SyncState, type MatrixClient } from "matrix-js-sdk";
import { decodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/index.js";
import type { BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, type TestContext } from "vitest";
import { startDevserver, type Devserver, type DevserverOptions } from "../../devserver/index";
import { createEngine, type Engine } from "../../src-main/engine";
import { openUrlThroughPage, startBrowserHost, type BrowserHost } from "../../src-main/hosts/browser/server";
import type { Settings } from "../../src-shared/contract";
import { t } from "../../src-renderer/copy/format";
import { DEVSERVER, FLOW_TEST_TIMINGS, existingAccount } from "../../test/flows/harness";
import { useChromium, type LaunchOptions } from "../../test/helpers/chromium";
import { approveInBrowser } from "../../test/helpers/consent";
import { mintDeviceToken } from "../../test/helpers/csapi";
import { cryptoOf, quietLogger, SecretStorageKeys } from "../../test/helpers/js-sdk";
import { TEST_CRYPTO_STORE, TEST_TIMINGS } from "../../test/helpers/matrix-device";
import { qrElement } from "./camera-scan";
import { E2E_RENDERER_DIR, watchedPage } from "../renderer-page";
import { SecretWatch } from "./secret-watch";

/** The one user of the devserver, as the consent page's login form takes her. */
export const USER = { name: "alice", password: "secret" } as const;

/** One app instance: a profile's engine, its browser host, and the page a person looks at. */
export interface AppInstance {
  readonly name: string;
  readonly engine: Engine;
  readonly host: BrowserHost;
  readonly page: Page;
  /** Console errors, page errors and CSP violations the page met so far. */
  readonly problems: () => Promise<string[]>;
}

export interface InstancesOptions {
  /** Chromium's extra flags (the fake camera's). */
  readonly browser?: LaunchOptions;
  /** The devserver's options beyond the flows' defaults (alice, one-second device-code polling). */
  readonly devserver?: DevserverOptions;
  /** Whether an existing, signed-in and bootstrapped instance is needed (default true). */
  readonly existing?: boolean;
}

export interface Instances {
  /** The devserver every instance talks to. */
  server(): Devserver;
  /** The recovery key of alice's secret storage (the third client unlocks with it). */
  readonly recoveryKey: () => string;
  /** A browser context for this test's pages (closed after the test). */
  context(ctx: TestContext, options?: BrowserContextOptions): Promise<BrowserContext>;
  /**
   * Two browser contexts, one for each instance's page (the existing one's first): each context is a window of
   * its own. Chromium draws only the front tab of a window; a page behind another waited a second or more for
   * each frame, and with it every screenshot, click and wait on it (4 s per action measured in direction A).
   */
  windows(
    ctx: TestContext,
    options?: BrowserContextOptions,
  ): Promise<readonly [existing: BrowserContext, fresh: BrowserContext]>;
  /** Opens the existing device's page (one engine for the whole file) in `context`. */
  existing(context: BrowserContext, settings?: Partial<Settings>): Promise<AppInstance>;
  /** A new, empty profile (closed after the test) and its page in `context`. */
  fresh(context: BrowserContext, settings?: Partial<Settings>): Promise<AppInstance>;
  /** Another devserver, stopped after the file (a homeserver with other features). */
  otherServer(options: DevserverOptions): Promise<Devserver>;
  /** Asserts that a third client of alice sees `deviceId` cross-signed by her identity. */
  expectVerifiedByThirdClient(deviceId: string): Promise<void>;
  /**
   * The secret sinks of every instance and page (./secret-watch.ts): searched after each test that passed, for
   * the secrets of the instances it ran; a leak fails the test.
   */
  readonly secrets: SecretWatch;
}

interface Served {
  readonly engine: Engine;
  readonly host: BrowserHost;
}

/** Registers the file's hooks: one renderer build, one devserver, one browser, the existing profile. */
export function useInstances(options: InstancesOptions = {}): Instances {
  const browser = useChromium(options.browser);
  const rendererDir = E2E_RENDERER_DIR;
  let server: Devserver | undefined;
  let folder = "";
  let recoveryKey = "";
  let existing: Served | undefined;
  const perTest: Served[] = [];
  const others: Devserver[] = [];
  let freshCount = 0;
  let third: Promise<MatrixClient> | undefined;
  const watch = new SecretWatch();

  async function serve(dir: string, name: string): Promise<Served> {
    // The engine's openUrl needs the host, which needs the engine: the host is filled in once it runs.
    const holder: { host?: BrowserHost } = {};
    const engine = await createEngine({
      location: { dir },
      app: "browser-host",
      allowInsecureHttp: true,
      timings: FLOW_TEST_TIMINGS,
      device: { timings: TEST_TIMINGS, cryptoStore: TEST_CRYPTO_STORE },
      openUrl: openUrlThroughPage(() => holder.host, true),
      runtime: watch.runtime(),
      onError: watch.onError(name),
    });
    watch.watchEngine(name, engine);
    const host = await startBrowserHost({ rendererDir, engine });
    holder.host = host;
    return { engine, host };
  }

  async function open(
    name: string,
    served: Served,
    context: BrowserContext,
    settings: Partial<Settings>,
  ): Promise<AppInstance> {
    // Settings a person chose earlier (theme, wire version, homeserver), before the page loads.
    if (Object.keys(settings).length > 0) {
      const changed = await served.engine.invoke("settings.set", settings);
      if (!changed.ok) throw new Error(`settings refused: ${JSON.stringify(changed)}`);
    }
    const { page, problems } = await watchedPage(context);
    watch.watchPage(name, page);
    await page.goto(served.host.url);
    await page
      .getByRole("heading", { level: 1, name: t("home.title"), exact: true })
      .or(page.getByRole("button", { name: t("welcome.signIn") }))
      .first()
      .waitFor();
    return { name, engine: served.engine, host: served.host, page, problems };
  }

  beforeAll(async () => {
    if (browser.unavailableReason !== undefined) return;
    server = await startDevserver({ ...DEVSERVER, ...options.devserver });
    folder = await mkdtemp(join(tmpdir(), "mqrl-e2e-"));
    if (options.existing !== false) {
      const signedIn = await existingAccount(server, folder);
      recoveryKey = signedIn.recoveryKey;
      watch.secret("recovery key", recoveryKey);
      await signedIn.account.stop();
      await signedIn.account.profile.close();
    }
    if (options.existing !== false) existing = await serve(join(folder, "existing"), "existing");
  }, 180_000);

  afterEach(async (ctx) => {
    const closing = perTest.splice(0);
    // No secret in any sink of a test that passed, while its instances still run (a failed test's own failure
    // says more than a search after it).
    if (ctx.task.result?.state !== "fail" && browser.unavailableReason === undefined) {
      const signedIn = closing.some(({ engine }) => engine.profile.tokens !== undefined);
      try {
        await watch.expectNoLeaks({ signedIn });
      } finally {
        for (const { engine } of closing) watch.forget(engine);
      }
    } else {
      for (const { engine } of closing) watch.forget(engine);
      watch.reset();
    }
    await Promise.all(closing.map(({ host }) => host.close()));
    await Promise.all(closing.map(({ engine }) => engine.close()));
  });

  afterAll(async () => {
    watch.restore();
    if (third !== undefined) (await third).stopClient();
    await existing?.host.close();
    await existing?.engine.close();
    await Promise.all(others.map((other) => other.close()));
    await server?.close();
    if (folder !== "") await rm(folder, { recursive: true, force: true });
  });

  return {
    server: () => {
      if (server === undefined) throw new Error("the devserver did not start");
      return server;
    },
    recoveryKey: () => recoveryKey,
    secrets: watch,
    context: (ctx, contextOptions = {}) =>
      browser.newContext(ctx, {
        viewport: { width: 1280, height: 860 },
        reducedMotion: "reduce",
        ...contextOptions,
      }),
    async windows(ctx, contextOptions = {}) {
      return [await this.context(ctx, contextOptions), await this.context(ctx, contextOptions)] as const;
    },
    async existing(context, settings = {}) {
      if (existing === undefined) throw new Error("no existing instance in this file");
      return open("existing", existing, context, settings);
    },
    async fresh(context, settings = {}) {
      freshCount += 1;
      const served = await serve(join(folder, `new-${freshCount}`), `new-${freshCount}`);
      perTest.push(served);
      return open(`new-${freshCount}`, served, context, settings);
    },
    async otherServer(serverOptions) {
      const other = await startDevserver({ ...DEVSERVER, ...serverOptions });
      others.push(other);
      return other;
    },
    async expectVerifiedByThirdClient(deviceId) {
      // One third client for the file (signing in and unlocking it is the slow part); it asks the server anew.
      third ??= startThirdClient(this.server(), recoveryKey);
      const client = await third;
      const userId = client.getSafeUserId();
      await cryptoOf(client).getUserDeviceInfo([userId], true);
      const seen = await cryptoOf(client).getDeviceVerificationStatus(userId, deviceId);
      expect(seen).toMatchObject({ signedByOwner: true, crossSigningVerified: true });
    },
  };
}

/**
 * Another device of alice (matrix-js-sdk with Rust crypto) that trusts her identity through the recovery key, as
 * Element does after "Verify with recovery key".
 */
async function startThirdClient(server: Devserver, recoveryKey: string): Promise<MatrixClient> {
  const token = await mintDeviceToken(server, USER.name);
  const keys = new SecretStorageKeys();
  const client = createClient({
    baseUrl: server.baseUrl,
    userId: token.user_id,
    deviceId: token.device_id,
    accessToken: token.access_token,
    logger: quietLogger,
    cryptoCallbacks: { getSecretStorageKey: keys.callback },
  });
  await client.initRustCrypto({ useIndexedDB: false });
  const synced = new Promise<void>((resolve, reject) => {
    const onSync = (state: SyncState): void => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) resolve();
      else if (state === SyncState.Error) reject(new Error("the third client's first sync failed"));
      else return;
      client.off(ClientEvent.Sync, onSync);
    };
    client.on(ClientEvent.Sync, onSync);
  });
  await client.startClient({ initialSyncLimit: 1 });
  await synced;
  const keyId = await client.secretStorage.getDefaultKeyId();
  if (keyId === null) throw new Error("no default secret storage key");
  keys.add(keyId, decodeRecoveryKey(recoveryKey));
  await cryptoOf(client).bootstrapCrossSigning({});
  return client;
}

// ---- what the person does between the two screens ----

/** The page's level-1 heading with exactly this text. */
export function heading(page: Page, name: string) {
  return page.getByRole("heading", { level: 1, name, exact: true });
}

/** Waits until the page shows the flow phase `phase` (its screen's `data-phase`), failing fast on an error. */
export async function phaseShown(page: Page, phase: string, timeout = 30_000): Promise<void> {
  const shown = page.locator(`.phase[data-phase="${phase}"], .phase[data-phase="error"]`).first();
  await shown.waitFor({ timeout });
  const now = await shown.getAttribute("data-phase");
  if (now !== phase) {
    const technical = await page.locator(".technical").first().innerText();
    throw new Error(`${page.url()} shows an error instead of ${phase}: ${technical}`);
  }
}

/** A screenshot of the QR code element as the person sees it (a PNG: pixels, never the bytes it encodes). */
export async function photographQrElement(page: Page): Promise<Buffer> {
  const element = qrElement(page);
  await element.waitFor();
  return element.screenshot();
}

/** Pastes a PNG into the page (Ctrl+V after a screenshot to the clipboard), wherever the focus is. */
export async function pasteImage(page: Page, png: Buffer): Promise<void> {
  await page.evaluate((encoded) => {
    const file = new File([Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0))], "qr.png", {
      type: "image/png",
    });
    const data = new DataTransfer();
    data.items.add(file);
    document.dispatchEvent(
      new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
    );
  }, png.toString("base64"));
}

/** Opens the scanner's image tab and drops a PNG file on its drop zone. */
export async function dropImage(page: Page, png: Buffer): Promise<void> {
  await page.getByRole("tab", { name: t("scanner.source.image") }).click();
  await page.locator(".drop-zone").evaluate((zone, encoded) => {
    const file = new File([Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0))], "qr.png", {
      type: "image/png",
    });
    const data = new DataTransfer();
    data.items.add(file);
    zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
  }, png.toString("base64"));
}

/** How the scanning instance receives the picture. */
export type ImageRoute = "paste" | "drop";

/** Photographs the QR code on `showing` and gives the picture to `scanning`'s scanner. */
export async function scanQrFrom(showing: Page, scanning: Page, route: ImageRoute = "paste"): Promise<void> {
  const png = await photographQrElement(showing);
  await phaseShown(scanning, "scanning");
  if (route === "paste") await pasteImage(scanning, png);
  else await dropImage(scanning, png);
}

/** The two large digits the scanning page shows, as the person reads them. */
export async function readCheckCode(page: Page): Promise<string> {
  await phaseShown(page, "check_code_display");
  // It cannot see the digits being typed over there, so it says from the start that it waits for them.
  const waiting = (role: "new_device" | "existing_device") =>
    page.getByRole("status").filter({ hasText: t(`phase.check_code_display.waiting.${role}`) });
  await waiting("new_device").or(waiting("existing_device")).waitFor();
  const digits = await page.locator(".check-code-digit").allInnerTexts();
  const code = digits.map((digit) => digit.trim()).join("");
  expect(code).toMatch(/^\d{2}$/);
  return code;
}

/** Types `code` into the two digit boxes and presses Continue. */
export async function typeCheckCode(page: Page, code: string): Promise<void> {
  await phaseShown(page, "check_code_entry");
  const first = page.getByLabel(t("phase.check_code_entry.digit", { index: 1, total: 2 }));
  await first.click();
  await page.keyboard.type(code);
  await page.getByRole("button", { name: t("action.continue"), exact: true }).click();
}

/** Reads the check code on one page and types it into the other. */
export async function carryCheckCode(from: Page, to: Page): Promise<string> {
  const code = await readCheckCode(from);
  await typeCheckCode(to, code);
  return code;
}

/** The user code the new device shows for the account provider's page. */
export async function readUserCode(page: Page): Promise<string> {
  await phaseShown(page, "waiting_for_approval");
  return (await page.locator(".user-code").innerText()).trim();
}

/**
 * On the existing device's consent screen, clicks "Open <host>" (a page opens windows only from the user's click)
 * and returns the account provider's page it opened.
 */
export async function openConsent(existing: Page, providerHost: string): Promise<Page> {
  await phaseShown(existing, "consent");
  const context = existing.context();
  const opened = new Promise<Page>((resolve) => {
    const onPage = (page: Page): void => {
      context.off("page", onPage);
      resolve(page);
    };
    context.on("page", onPage);
  });
  const openButton = existing.getByRole("button", {
    name: t("phase.consent.open", { host: providerHost }),
    exact: true,
  });
  // One button opens the page, whether the flow or the host asked for it.
  expect(await openButton.count()).toBe(1);
  // A web page opens nothing without the user's click (openUrl answered needs_user): the screen asks for the
  // click, and says the page opened only once it has.
  const lead = existing.locator('.phase[data-phase="consent"] > .lead');
  expect(await lead.innerText()).toBe(t("phase.consent.leadToOpen", { host: providerHost }));
  await openButton.click();
  await expect
    .poll(() => lead.innerText(), { timeout: 10_000 })
    .toBe(t("phase.consent.lead", { host: providerHost }));
  const consent = await opened;
  await consent.waitForLoadState();
  expect(new URL(consent.url()).origin).not.toBe(new URL(existing.url()).origin);
  return consent;
}

/**
 * On the account provider's page: signs in as alice, checks that it shows the user code the new device shows,
 * and clicks Approve or Deny. Returns the result page's verdict.
 */
export async function answerConsent(
  consent: Page,
  userCode: string,
  approve: boolean,
): Promise<"approved" | "denied"> {
  const outcome = await approveInBrowser(consent, {
    verificationUri: consent.url(),
    userCode,
    user: USER.name,
    password: USER.password,
    approve,
  });
  await consent.close();
  if (outcome.kind !== "result") throw new Error(`the consent page redirected to ${outcome.url.href}`);
  return outcome.result;
}

/** The text of the page's error screen's technical line ("Technical detail: code · reason"). */
export async function errorShown(page: Page, code: string): Promise<string> {
  await page.locator('.phase[data-phase="error"]').waitFor({ timeout: 30_000 });
  const technical = await page.locator(".technical").innerText();
  expect(technical).toContain(code);
  return technical;
}
