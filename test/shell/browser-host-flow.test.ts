// A whole sign-in through the browser host against the devserver: two real engines (a signed-in profile that
// links, a fresh one that signs in by scanning), each behind its own browser host, each driven from its page in
// Chromium over the host's WebSocket, by the contract alone. The consent page opens from the user's click on the
// linking device's page (a page may not open a window by itself), and the flow completes on both.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevserver, type Devserver } from "../../devserver/index";
import { createEngine, type Engine } from "../../src-main/engine";
import { openUrlThroughPage, startBrowserHost, type BrowserHost } from "../../src-main/hosts/browser/server";
import { t } from "../../src-renderer/copy/format";
import { buildRenderer } from "../../e2e/renderer-page";
import { DEVSERVER, FLOW_TEST_TIMINGS, existingAccount } from "../flows/harness";
import { useChromium } from "../helpers/chromium";
import { TEST_CRYPTO_STORE, TEST_TIMINGS, postHook } from "../helpers/matrix-device";
import { ROOT } from "./electron-build";

const RENDERER = join(ROOT, "out", "shell-test", "flow-renderer");
const browser = useChromium();
let server: Devserver;
let root: string;

beforeAll(async () => {
  await buildRenderer(RENDERER);
  server = await startDevserver(DEVSERVER);
  root = await mkdtemp(join(tmpdir(), "mqrl-browser-flow-"));
  const { account } = await existingAccount(server, root);
  await account.stop();
  await account.profile.close();
}, 120_000);

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

async function served(dir: string): Promise<{ engine: Engine; host: BrowserHost }> {
  const holder: { host?: BrowserHost } = {};
  const engine = await createEngine({
    location: { dir },
    app: "browser-host",
    allowInsecureHttp: true,
    timings: FLOW_TEST_TIMINGS,
    device: { timings: TEST_TIMINGS, cryptoStore: TEST_CRYPTO_STORE },
    openUrl: openUrlThroughPage(() => holder.host, true),
  });
  const host = await startBrowserHost({ rendererDir: RENDERER, engine });
  holder.host = host;
  return { engine, host };
}

interface Snapshot {
  readonly flowId: string;
  readonly phase: string;
  readonly [field: string]: unknown;
}

/** Opens the host's page and records, in the page, every snapshot its bridge delivers. */
async function openPage(page: Page, host: BrowserHost): Promise<void> {
  await page.goto(host.url);
  await page
    .getByRole("button", { name: t("welcome.signIn") })
    .or(page.getByRole("heading", { name: t("home.title") }))
    .first()
    .waitFor();
  await page.evaluate(() => {
    const bridge = (
      window as unknown as {
        matrixQrLogin: { events: Record<string, (l: (p: unknown) => void) => () => void> };
      }
    ).matrixQrLogin;
    const seen: unknown[] = [];
    (window as unknown as { seen: unknown[] }).seen = seen;
    bridge.events["flow.snapshot"]?.((payload) => seen.push(payload));
  });
}

async function invoke(page: Page, name: string, request: unknown): Promise<{ ok: boolean; value?: unknown }> {
  return page.evaluate(
    async ([command, payload]) => {
      const bridge = (
        window as unknown as {
          matrixQrLogin: { commands: Record<string, (r: unknown) => Promise<unknown>> };
        }
      ).matrixQrLogin;
      return (await bridge.commands[command]?.(payload)) as { ok: boolean; value?: unknown };
    },
    [name, request] as const,
  );
}

/** Waits for the page's latest snapshot of `flowId` to be in `phase`, and returns it. */
async function phase(page: Page, flowId: string, name: string, timeout = 30_000): Promise<Snapshot> {
  const handle = await page.waitForFunction(
    ([id, wanted]) => {
      const seen = (window as unknown as { seen: { flowId: string; phase: string }[] }).seen;
      const latest = seen.filter((snapshot) => snapshot.flowId === id).at(-1);
      if (latest?.phase === "error") return latest;
      return latest?.phase === wanted ? latest : undefined;
    },
    [flowId, name] as const,
    { timeout, polling: 50 },
  );
  const snapshot = (await handle.jsonValue()) as Snapshot;
  expect(snapshot.phase, JSON.stringify(snapshot)).toBe(name);
  return snapshot;
}

describe("a sign-in through the browser host", () => {
  it(
    "links a new device that scans the QR code, both pages on their own host, to the end",
    { timeout: 120_000 },
    async (ctx) => {
      const context = await browser.newContext(ctx);
      const existing = await served(join(root, "existing"));
      const fresh = await served(join(root, "new"));
      try {
        const linking = await context.newPage();
        const signingIn = await context.newPage();
        await openPage(linking, existing.host);
        await openPage(signingIn, fresh.host);
        expect(await invoke(linking, "account.get", {})).toMatchObject({
          ok: true,
          value: { status: "signed_in" },
        });
        expect(await invoke(signingIn, "account.get", {})).toMatchObject({
          ok: true,
          value: { status: "signed_out" },
        });

        const shown = await invoke(linking, "flow.start", { kind: "link", side: "show" });
        const scanning = await invoke(signingIn, "flow.start", { kind: "sign_in", side: "scan" });
        const showId = (shown.value as { flowId: string }).flowId;
        const scanId = (scanning.value as { flowId: string }).flowId;

        const qr = (await phase(linking, showId, "showing_qr")).qr as string;
        await phase(signingIn, scanId, "scanning");
        await invoke(signingIn, "flow.command", {
          flowId: scanId,
          command: { type: "submitScannedQr", bytes: qr },
        });
        const code = (await phase(signingIn, scanId, "check_code_display")).code as string;
        await phase(linking, showId, "check_code_entry");
        await invoke(linking, "flow.command", { flowId: showId, command: { type: "submitCheckCode", code } });
        await phase(linking, showId, "approve_device");
        await invoke(linking, "flow.command", {
          flowId: showId,
          command: { type: "approveDevice", approve: true },
        });

        // The consent page: the host cannot open it, so the linking page offers it, and the user's click opens it.
        const consent = await phase(linking, showId, "consent");
        const popup = context.waitForEvent("page");
        await linking
          .getByRole("button", { name: t("phase.consent.open", { host: consent.host as string }) })
          .first()
          .click();
        const consentPage = await popup;
        expect(consentPage.url()).toBe(consent.verificationUri);
        // The user approves there (the devserver's hook stands in for typing the user code on its page).
        const userCode = (await phase(signingIn, scanId, "waiting_for_approval")).userCode as string;
        const approved = await postHook(server, "/_devserver/approve", {
          user_code: userCode,
          user: "alice",
          approve: true,
        });
        expect(approved.status).toBe(200);

        expect(await phase(signingIn, scanId, "done", 60_000)).toMatchObject({
          verified: true,
          backup: true,
        });
        await phase(linking, showId, "done", 60_000);
        expect(await invoke(signingIn, "account.get", {})).toMatchObject({
          ok: true,
          value: { status: "signed_in", verified: true },
        });
        // Nothing the pages received carries either device's tokens.
        const secrets = [
          existing.engine.profile.tokens?.accessToken,
          fresh.engine.profile.tokens?.accessToken,
        ].filter((value): value is string => value !== undefined);
        expect(secrets).toHaveLength(2);
        for (const page of [linking, signingIn]) {
          const text = await page.evaluate(() =>
            JSON.stringify((window as unknown as { seen: unknown[] }).seen),
          );
          for (const secret of secrets) expect(text).not.toContain(secret);
        }
      } finally {
        await Promise.all([existing.host.close(), fresh.host.close()]);
        await Promise.all([existing.engine.close(), fresh.engine.close()]);
      }
    },
  );
});
