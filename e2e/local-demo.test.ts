// "Try it on this computer" in Chromium on the browser host, as a user at one computer meets it: a fresh profile's
// page starts the local demo (a homeserver in process, this page signed in through the device grant, a second
// page served as the new device), then the signed-in page shows a QR code and the new one scans it through "Send
// QR to the other window" (a picture, decoded by the scanner's real decoder); both end verified. Then the other
// direction. Each success run's transcript, exported as JSON, has that direction's numbered steps in order, and
// neither it nor any log line, WebSocket event, or either page's DOM and localStorage carries a secret in play: a
// token, the demo's password, a crypto-store key, the private cross-signing keys or the backup key. The sequence
// diagram after each run is captured in projector mode at 1920x1080 (test-results/screens/projector/live/), and
// its SVG export has one arrow per transcript entry that is not a folded poll (one that found nothing); the Matrix
// client's own housekeeping (sync, key queries, backup checks) is no transcript entry at all.
import { mkdirSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Download, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrowserWindows, type ServedWindow } from "../src-main/hosts/browser/windows";
import { Engine } from "../src-main/engine";
import { SwitchableEngine } from "../src-main/demo/launcher";
import { DEMO_USER } from "../src-main/demo/local-demo";
import { t } from "../src-renderer/copy/format";
import { FLOW_TEST_TIMINGS } from "../test/flows/harness";
import { useChromium } from "../test/helpers/chromium";
import { captureConsole, findLeaks, SecretSet, Sinks } from "../test/helpers/secret-sinks";
import { approveInBrowser } from "../test/helpers/consent";
import { TEST_CRYPTO_STORE, TEST_TIMINGS } from "../test/helpers/matrix-device";
import { E2E_RENDERER_DIR } from "./renderer-page";

const root = join(import.meta.dirname, "..");
const rendererDir = E2E_RENDERER_DIR;
const shots = join(root, "test-results", "screens", "projector", "live");
const browser = useChromium();

let profiles: string | undefined;
let windows: BrowserWindows | undefined;
const served: ServedWindow[] = [];
const logLines: string[] = [];
/** What this process writes through `console` during the run (the engines' loggers write there). */
const nodeConsole = captureConsole();

beforeAll(async () => {
  if (browser.unavailableReason !== undefined) return;
  profiles = await mkdtemp(join(tmpdir(), "mqrl-local-demo-"));
  mkdirSync(shots, { recursive: true });
}, 120_000);

afterAll(async () => {
  nodeConsole.restore();
  await windows?.close();
  if (profiles !== undefined) await rm(profiles, { recursive: true, force: true });
});

interface Snapshot {
  readonly flowId: string;
  readonly phase: string;
  readonly [field: string]: unknown;
}

type PageWindow = Window & {
  seen: Snapshot[];
  matrixQrLogin: {
    commands: Record<string, (request: unknown) => Promise<{ ok: boolean; value?: unknown }>>;
    events: Record<string, (listener: (payload: unknown) => void) => () => void>;
  };
};

/** Every event frame a page's WebSocket received, as text. */
const frames = new Map<Page, string[]>();
/** Every frame either way on every page's WebSocket (answers too: the signed-in page's carry the password). */
const wire: string[] = [];

async function openPage(context: BrowserContext, window: ServedWindow): Promise<Page> {
  const page = await context.newPage();
  const received: string[] = [];
  frames.set(page, received);
  page.on("websocket", (socket) => {
    socket.on("framereceived", ({ payload }) => {
      if (typeof payload === "string" && payload.includes('"type":"event"')) received.push(payload);
      wire.push(typeof payload === "string" ? payload : payload.toString("latin1"));
    });
    socket.on("framesent", ({ payload }) => {
      wire.push(typeof payload === "string" ? payload : payload.toString("latin1"));
    });
  });
  page.on("console", (message) => {
    logLines.push(message.text());
  });
  await page.goto(window.host.url);
  await follow(page);
  return page;
}

/** Records, in the page, every snapshot its bridge delivers (again after a reload). */
async function follow(page: Page): Promise<void> {
  await page.locator("[data-view]").first().waitFor();
  await page.evaluate(() => {
    const win = window as unknown as PageWindow;
    win.seen = [];
    win.matrixQrLogin.events["flow.snapshot"]?.((payload) => win.seen.push(payload as Snapshot));
  });
}

async function invoke(page: Page, name: string, request: unknown): Promise<unknown> {
  const outcome = await page.evaluate(
    ([command, payload]) =>
      (window as unknown as PageWindow).matrixQrLogin.commands[command]?.(payload) ??
      Promise.resolve({ ok: false, value: undefined }),
    [name, request] as const,
  );
  expect(outcome.ok, `${name}: ${JSON.stringify(outcome)}`).toBe(true);
  return outcome.value;
}

/** The page's latest snapshot of `flowId` once it is in `name` (an error ends the wait, and the test). */
async function phase(page: Page, flowId: string, name: string): Promise<Snapshot> {
  const handle = await page.waitForFunction(
    ([id, wanted]) => {
      const latest = (window as unknown as PageWindow).seen.filter((s) => s.flowId === id).at(-1);
      return latest?.phase === wanted || latest?.phase === "error" ? latest : undefined;
    },
    [flowId, name] as const,
    { timeout: 30_000, polling: 50 },
  );
  const snapshot = (await handle.jsonValue()) as Snapshot;
  expect(snapshot.phase, JSON.stringify(snapshot)).toBe(name);
  return snapshot;
}

async function command(page: Page, flowId: string, body: unknown): Promise<void> {
  expect(await invoke(page, "flow.command", { flowId, command: body })).toEqual({ type: "accepted" });
}

/**
 * Clicks the consent button on the existing device's page (the user's click opens it; the flow goes on once it is
 * open), then approves in the new tab as the demo user with the user code the new device shows.
 */
async function consent(
  context: BrowserContext,
  page: Page,
  snapshot: Snapshot,
  userCode: () => Promise<string>,
  password: string,
): Promise<void> {
  const popup = context.waitForEvent("page");
  await page
    .getByRole("button", { name: t("phase.consent.open", { host: snapshot.host as string }) })
    .first()
    .click();
  const consentPage = await popup;
  expect(
    await approveInBrowser(consentPage, {
      verificationUri: snapshot.verificationUri as string,
      userCode: await userCode(),
      user: DEMO_USER,
      password,
      approve: true,
      // The consent pages' four loads took over 15 s on two cores shared with other lanes' runs.
      timeoutMs: 45_000,
    }),
  ).toEqual({ kind: "result", result: "approved" });
  await consentPage.close();
}

/** A device's secrets: its tokens, its crypto-store key, and the private keys of its secrets bundle. */
async function holdSecrets(secrets: SecretSet, who: string, engine: Engine): Promise<void> {
  const tokens = engine.profile.tokens;
  secrets.text(`${who} access token`, tokens?.accessToken).text(`${who} refresh token`, tokens?.refreshToken);
  secrets.bytes(`${who} crypto-store key`, await engine.profile.cryptoStoreKey());
  const device = engine.account.device;
  if (device === undefined) throw new TypeError(`${who}: not signed in`);
  secrets.keysIn(`${who} secrets bundle`, await device.exportSecretsBundle());
}

/** What a page holds: its DOM as HTML and its localStorage. */
async function pageText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const stored: Record<string, string | null> = {};
    for (let i = 0; i < window.localStorage.length; i++) {
      const key = window.localStorage.key(i) ?? "";
      stored[key] = window.localStorage.getItem(key);
    }
    return `${document.documentElement.outerHTML}\n${JSON.stringify(stored)}`;
  });
}

/** The steps of the exported transcript, in order, each once. */
function stepsOf(json: string, prefix: string): string[] {
  const entries = JSON.parse(json) as { step?: string }[];
  const steps: string[] = [];
  for (const entry of entries) {
    if (entry.step?.startsWith(prefix) === true && steps.at(-1) !== entry.step) steps.push(entry.step);
  }
  return steps.filter((step, index) => steps.indexOf(step) === index);
}

async function downloaded(page: Page, click: () => Promise<void>): Promise<string> {
  const download: Promise<Download> = page.waitForEvent("download");
  await click();
  return readFile(await (await download).path(), "utf8");
}

/** Projector mode on the page's finished flow: a screenshot, and the SVG export's arrows against the transcript. */
async function captureDiagram(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.getByRole("button", { name: t("demo.projector.enter") }).click();
  await page.locator(".sequence-svg").waitFor();
  for (const theme of ["dark", "light"] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: "reduce" });
    await page.screenshot({ path: join(shots, `${name}--${theme}.png`) });
  }
  const svg = await downloaded(page, () =>
    page.getByRole("button", { name: t("demo.diagram.exportSvg") }).click(),
  );
  const json = await downloaded(page, () =>
    page.getByRole("button", { name: t("demo.transcript.exportJsonLabel") }).click(),
  );
  const counted = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
    return {
      arrows: doc.querySelectorAll('[data-kind="arrow"]').length,
      folded: [...doc.querySelectorAll('[data-kind="fold"]')].reduce(
        (sum, fold) => sum + Number(fold.getAttribute("data-count")),
        0,
      ),
      folds: doc.querySelectorAll('[data-kind="fold"]').length,
      background: [...doc.querySelectorAll('[data-kind="fold"][data-reason="background"]')].reduce(
        (sum, fold) => sum + Number(fold.getAttribute("data-count")),
        0,
      ),
      unsteppedHousekeeping: [...doc.querySelectorAll('[data-kind="arrow"]:not([data-step])')]
        .map((arrow) => arrow.textContent)
        .filter((text) => /\b(sync|keys\/query|room_keys\/version) → 2\d\d/.test(text)),
    };
  }, svg);
  const entries = JSON.parse(json) as { kind: string }[];
  const drawable = entries.filter((entry) => entry.kind !== "step").length;
  // One arrow per entry, except polls that found nothing: those are folded, counted in their fold.
  expect(counted.arrows + counted.folded, name).toBe(drawable);
  expect(counted.arrows, name).toBeGreaterThan(10);
  // A live run's device queries keys and checks the backup on its own, dozens of times once the secrets are
  // across: none of that is in the transcript, so nothing folds as background and no arrow without a step is one.
  expect(counted.background, name).toBe(0);
  expect(counted.unsteppedHousekeeping, name).toEqual([]);
  await page.getByRole("button", { name: t("demo.projector.exit") }).click();
  await page.setViewportSize({ width: 1280, height: 800 });
}

const A_G = ["A-G1", "A-G2", "A-G3", "A-G4", "A-G5", "A-G7", "A-G8", "A-G9", "A-G10", "A-G11", "A-G12"];
const A_S = ["A-S1", "A-S2", "A-S3", "A-S4", "A-S5", "A-S6", "A-S7", "A-S10", "A-S11"];
const B_G = ["B-G1", "B-G2", "B-G3", "B-G4", "B-G5", "B-G7", "B-G8", "B-G9", "B-G10", "B-G11", "B-G12"];
const B_S = ["B-S1", "B-S2", "B-S3", "B-S4", "B-S5", "B-S6", "B-S7", "B-S8", "B-S9", "B-S10", "B-S11"];

describe("Try it on this computer", () => {
  it(
    "starts the demo from a fresh profile, then signs the new window in by each direction, both ending verified",
    { timeout: 150_000 },
    async (ctx) => {
      const context = await browser.newContext(ctx, {
        viewport: { width: 1280, height: 800 },
        acceptDownloads: true,
      });
      const opened: ServedWindow[] = [];
      windows = new BrowserWindows({
        rendererDir,
        allowInsecureHttp: false,
        engine: {
          timings: FLOW_TEST_TIMINGS,
          device: { timings: TEST_TIMINGS, cryptoStore: TEST_CRYPTO_STORE },
          onError: (error) => logLines.push(String(error)),
        },
        onWindow: (window) => {
          opened.push(window);
          served.push(window);
        },
      });
      await windows.serveProfile({ dir: join(profiles ?? tmpdir(), "fresh") });
      const [first] = opened;
      if (first === undefined) throw new TypeError("no page served");
      const signedIn = await openPage(context, first);
      await signedIn.getByRole("button", { name: t("local.try") }).click();
      // This page is now the demo's signed-in device; a second page is served for the new device.
      await signedIn.getByRole("heading", { name: t("home.title") }).waitFor({ timeout: 60_000 });
      await expect.poll(() => opened.length).toBe(2);
      const bar = signedIn.locator(".local-demo-bar");
      await expect.poll(() => bar.textContent()).toContain(t("local.window.signed_in"));
      const password = /password ([A-Za-z0-9_-]{16})/.exec((await bar.textContent()) ?? "")?.[1] ?? "";
      expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);
      const second = opened[1];
      if (second === undefined) throw new TypeError("no second page");
      expect(second.label).toBe("New device");
      const fresh = await openPage(context, second);
      await expect
        .poll(() => fresh.locator(".local-demo-bar").textContent())
        .toContain(t("local.window.new_device"));
      expect(await fresh.locator(".local-demo-bar").textContent()).not.toContain(password);
      // The engines behind the pages: the first page's switched to the demo's signed-in one.
      const engineA = first.engine instanceof SwitchableEngine ? first.engine.current : undefined;
      const engineB = second.engine;
      if (!(engineA instanceof Engine) || !(engineB instanceof Engine)) throw new TypeError("not engines");
      expect(await invoke(signedIn, "account.get", {})).toMatchObject({
        status: "signed_in",
        verified: true,
        backup: true,
      });

      // Direction A: this computer shows the QR code, the new device scans it.
      const showA = (
        (await invoke(signedIn, "flow.start", { kind: "link", side: "show" })) as { flowId: string }
      ).flowId;
      const scanA = (
        (await invoke(fresh, "flow.start", { kind: "sign_in", side: "scan" })) as { flowId: string }
      ).flowId;
      await phase(signedIn, showA, "showing_qr");
      await phase(fresh, scanA, "scanning");
      await signedIn.getByRole("button", { name: t("local.sendQr") }).click();
      const code = (await phase(fresh, scanA, "check_code_display")).code as string;
      await phase(signedIn, showA, "check_code_entry");
      await command(signedIn, showA, { type: "submitCheckCode", code });
      await phase(signedIn, showA, "approve_device");
      await command(signedIn, showA, { type: "approveDevice", approve: true });
      const consentA = await phase(signedIn, showA, "consent");
      await consent(
        context,
        signedIn,
        consentA,
        async () => (await phase(fresh, scanA, "waiting_for_approval")).userCode as string,
        password,
      );
      expect(await phase(fresh, scanA, "done")).toMatchObject({ verified: true, backup: true });
      await phase(signedIn, showA, "done");
      expect(await invoke(fresh, "account.get", {})).toMatchObject({ status: "signed_in", verified: true });
      const jsonA = ((await invoke(signedIn, "transcript.export", { format: "json" })) as { text: string })
        .text;
      const jsonAS = ((await invoke(fresh, "transcript.export", { format: "json" })) as { text: string })
        .text;
      expect(stepsOf(jsonA, "A-G")).toEqual(A_G);
      expect(stepsOf(jsonAS, "A-S")).toEqual(A_S);
      await captureDiagram(signedIn, "A-existing-shows");
      await captureDiagram(fresh, "A-new-scans");
      const secretsA = [engineA.profile.tokens, engineB.profile.tokens].flatMap((tokens) =>
        tokens === undefined ? [] : [tokens.accessToken, tokens.refreshToken ?? ""].filter((v) => v !== ""),
      );
      // The private keys in play, read from the devices: the cross-signing keys and the backup key, which the
      // existing device sent and the new one imported (direction B's new device signs out after it).
      const held = new SecretSet();
      await holdSecrets(held, "run A existing", engineA);
      await holdSecrets(held, "run A new", engineB);
      const pagesA = [await pageText(signedIn), await pageText(fresh)];

      // Direction B: the new device (signed out again) shows the QR code, this computer scans it.
      await invoke(fresh, "account.signOut", {});
      // Both pages are opened afresh: a page keeps following the flow it showed last until it leaves it.
      for (const page of [fresh, signedIn]) {
        await page.reload();
        await follow(page);
      }
      const homeserver = (await invoke(signedIn, "demo.status", {})) as { homeserver: string };
      const showB = (
        (await invoke(fresh, "flow.start", {
          kind: "sign_in",
          side: "show",
          homeserver: homeserver.homeserver,
        })) as { flowId: string }
      ).flowId;
      const scanB = (
        (await invoke(signedIn, "flow.start", { kind: "link", side: "scan" })) as { flowId: string }
      ).flowId;
      await phase(fresh, showB, "showing_qr");
      await phase(signedIn, scanB, "scanning");
      await fresh.getByRole("button", { name: t("local.sendQr") }).click();
      const codeB = (await phase(signedIn, scanB, "check_code_display")).code as string;
      await phase(fresh, showB, "check_code_entry");
      await command(fresh, showB, { type: "submitCheckCode", code: codeB });
      await phase(signedIn, scanB, "approve_device");
      await command(signedIn, scanB, { type: "approveDevice", approve: true });
      const consentB = await phase(signedIn, scanB, "consent");
      await consent(
        context,
        signedIn,
        consentB,
        async () => (await phase(fresh, showB, "waiting_for_approval")).userCode as string,
        password,
      );
      expect(await phase(fresh, showB, "done")).toMatchObject({ verified: true, backup: true });
      await phase(signedIn, scanB, "done");
      const jsonB = ((await invoke(fresh, "transcript.export", { format: "json" })) as { text: string }).text;
      const jsonBS = ((await invoke(signedIn, "transcript.export", { format: "json" })) as { text: string })
        .text;
      expect(stepsOf(jsonB, "B-G")).toEqual(B_G);
      expect(stepsOf(jsonBS, "B-S")).toEqual(B_S);
      await captureDiagram(fresh, "B-new-shows");
      await captureDiagram(signedIn, "B-existing-scans");

      await holdSecrets(held, "run B new", engineB);
      // The private keys are what the scan looks for: the devices hold all four, and the scan can see each of
      // them (in a control sink that holds them in the clear).
      for (const key of ["master_key", "self_signing_key", "user_signing_key"]) {
        expect(held.names).toContain(`run A new secrets bundle.cross_signing.${key}`);
      }
      expect(held.names).toContain("run A new secrets bundle.backup.key");
      const bundle = await engineA.account.device?.exportSecretsBundle();
      expect(findLeaks(held, new Sinks().add("control", bundle)).length).toBeGreaterThan(0);

      // No token of either device (both runs) and not the password, anywhere the run wrote or sent.
      const secrets = [
        ...secretsA,
        ...[engineA.profile.tokens, engineB.profile.tokens].flatMap((tokens) =>
          tokens === undefined ? [] : [tokens.accessToken, tokens.refreshToken ?? ""].filter((v) => v !== ""),
        ),
        password,
      ];
      expect(secrets.length).toBeGreaterThanOrEqual(5);
      const haystacks = {
        transcripts: [jsonA, jsonAS, jsonB, jsonBS].join("\n"),
        events: [...frames.values()].flat().join("\n"),
        logs: logLines.join("\n"),
        "this process's console": nodeConsole.text(),
      };
      expect(haystacks.events.length).toBeGreaterThan(1000);
      for (const [where, text] of Object.entries(haystacks)) {
        for (const secret of secrets) expect(text.includes(secret), `${where} carries a secret`).toBe(false);
      }
      // Nor any secret of the devices, in any encoding, there or in either page's DOM and localStorage (where the
      // signed-in page shows the demo's password, as it should).
      for (const secret of secrets) if (secret !== password) held.text("token", secret);
      const sinks = new Sinks();
      for (const [where, text] of Object.entries(haystacks)) sinks.add(where, text);
      sinks.add("WebSocket frames, both ways", wire.join("\n"));
      for (const text of [...pagesA, await pageText(signedIn), await pageText(fresh)])
        sinks.add("page", text);
      expect(findLeaks(held, sinks), `secrets in play: ${held.names.join(", ")}`).toEqual([]);
    },
  );
});
