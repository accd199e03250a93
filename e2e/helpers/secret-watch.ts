// The secret sinks of an e2e test (test/helpers/secret-sinks.ts searches them): everything a sign-in between app
// instances leaves where a secret must never be. Per instance: its engine's events (what any host carries to the
// view: Electron's IPC, the browser host's WebSocket), its background errors and its transcript, the files of its
// profile outside the secret stores; per page: its console and page errors, its WebSocket frames both ways, and,
// when the test ends, its DOM, localStorage and sessionStorage; and this process's console. The secrets in play
// are each instance's tokens, crypto-store key and the private keys of its secrets bundle, the recovery key, and
// the OAuth device codes the new devices were handed. Recording costs a push per event; the search runs once, at
// the end of each test.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import type { Engine } from "../../src-main/engine";
import { MatrixError } from "../../src-main/matrix";
import { createRuntime, type Runtime } from "../../src-main/protocol";
import {
  captureConsole,
  deviceCodeRecorder,
  findLeaks,
  SecretSet,
  Sinks,
  type Leak,
} from "../../test/helpers/secret-sinks";

interface WatchedEngine {
  readonly name: string;
  readonly engine: Engine;
  readonly events: unknown[];
  readonly errors: string[];
}

interface WatchedPageSinks {
  readonly name: string;
  readonly page: Page;
  readonly console: string[];
  readonly frames: string[];
}

/** What a page holds when the test ends: its DOM as HTML, its localStorage and its sessionStorage. */
export async function pageStorage(page: Page): Promise<{ dom: string; local: string; session: string }> {
  return page.evaluate(() => {
    const dump = (storage: Storage) => {
      const stored: Record<string, string | null> = {};
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i) ?? "";
        stored[key] = storage.getItem(key);
      }
      return JSON.stringify(stored);
    };
    return {
      dom: document.documentElement.outerHTML,
      local: dump(window.localStorage),
      session: dump(window.sessionStorage),
    };
  });
}

/** Every private key, token and store key an engine holds (none for a profile that never signed in). */
export async function engineSecrets(secrets: SecretSet, who: string, engine: Engine): Promise<void> {
  const tokens = engine.profile.tokens;
  secrets.text(`${who} access token`, tokens?.accessToken).text(`${who} refresh token`, tokens?.refreshToken);
  if (tokens !== undefined) secrets.bytes(`${who} crypto-store key`, await engine.profile.cryptoStoreKey());
  // A device that never received the account's secrets (a flow that ended before A-S11 / B-G12) has none.
  const bundle = await engine.account.device?.exportSecretsBundle().catch((error: unknown) => {
    if (error instanceof MatrixError && error.code === "missing_secrets") return undefined;
    throw error;
  });
  secrets.keysIn(`${who} secrets bundle`, bundle);
}

export class SecretWatch {
  readonly #console = captureConsole();
  readonly #deviceCodes = deviceCodeRecorder();
  #consoleFrom = 0;
  readonly #engines: WatchedEngine[] = [];
  #pages: WatchedPageSinks[] = [];
  /** Values the test adds (the recovery key). */
  readonly #extra: [name: string, value: string][] = [];

  /** The runtime an engine is created with: the real one, with the device codes it receives recorded. */
  runtime(): Runtime {
    return createRuntime({ fetch: this.#deviceCodes.wrap((url, init) => globalThis.fetch(url, init)) });
  }

  /** The engine's `onError`: its background failures are a log, and a sink. */
  onError(name: string): (error: unknown) => void {
    return (error) => {
      // As text: an Error's own fields are not enumerable, and JSON would drop its message.
      const text =
        error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error);
      this.#engines.find((watched) => watched.name === name)?.errors.push(text);
    };
  }

  /** Records everything `engine` emits from now on, until `forget(engine)`. */
  watchEngine(name: string, engine: Engine): void {
    const watched: WatchedEngine = { name, engine, events: [], errors: [] };
    this.#engines.push(watched);
    engine.subscribe((event) => watched.events.push(event));
  }

  /** Stops watching an engine that closes (its sinks were searched at the end of its test). */
  forget(engine: Engine): void {
    const index = this.#engines.findIndex((watched) => watched.engine === engine);
    if (index >= 0) this.#engines.splice(index, 1);
  }

  /** Records the page's console, page errors and WebSocket frames both ways: call before it loads. */
  watchPage(name: string, page: Page): void {
    const watched: WatchedPageSinks = { name, page, console: [], frames: [] };
    this.#pages.push(watched);
    page.on("console", (message) => watched.console.push(message.text()));
    page.on("pageerror", (error) => watched.console.push(`${error.message}\n${error.stack ?? ""}`));
    const text = (payload: string | Buffer) =>
      typeof payload === "string" ? payload : payload.toString("latin1");
    page.on("websocket", (socket) => {
      socket.on("framereceived", ({ payload }) => watched.frames.push(text(payload)));
      socket.on("framesent", ({ payload }) => watched.frames.push(text(payload)));
    });
  }

  /** A secret the test knows of (the recovery key). */
  secret(name: string, value: string): void {
    this.#extra.push([name, value]);
  }

  /** The secrets in play now: every watched engine's, the device codes, what the test added. */
  async secrets(): Promise<SecretSet> {
    const secrets = new SecretSet();
    for (const [name, value] of this.#extra) secrets.text(name, value);
    for (const { name, engine } of this.#engines) await engineSecrets(secrets, name, engine);
    for (const code of this.#deviceCodes.codes) secrets.text("a new device's device code", code);
    return secrets;
  }

  /** Every sink since the last search, the pages' storage read now (closed pages: what they recorded). */
  async sinks(): Promise<Sinks> {
    const sinks = new Sinks().add("this process's console", this.#console.text().slice(this.#consoleFrom));
    for (const { name, engine, events, errors } of this.#engines) {
      sinks
        .add(`${name} engine events`, events)
        .add(`${name} engine errors`, errors.join("\n"))
        .add(`${name} transcript`, engine.transcript.list());
      await sinks.addProfileFiles(`${name} profile`, engine.profile.dir);
    }
    for (const { name, page, console, frames } of this.#pages) {
      sinks.add(`${name} page console`, console).add(`${name} page WebSocket frames`, frames.join("\n"));
      if (page.isClosed()) continue;
      const held = await pageStorage(page);
      sinks
        .add(`${name} page DOM`, held.dom)
        .add(`${name} page localStorage`, held.local)
        .add(`${name} page sessionStorage`, held.session);
    }
    return sinks;
  }

  /** The search: every secret in play against every sink. */
  async leaks(): Promise<{ leaks: Leak[]; secrets: SecretSet }> {
    const secrets = await this.secrets();
    return { leaks: findLeaks(secrets, await this.sinks()), secrets };
  }

  /**
   * Asserts that no sink holds a secret, then starts the next test's record. `signedIn` says a new device
   * signed in: it was handed a device code, which the recorder must have seen (else the search proves nothing).
   */
  async expectNoLeaks(options: { readonly signedIn?: boolean } = {}): Promise<void> {
    if (options.signedIn === true) expect(this.#deviceCodes.codes, "device codes recorded").not.toEqual([]);
    const { leaks, secrets } = await this.leaks();
    expect(leaks, `secrets in play: ${secrets.names.join(", ")}`).toEqual([]);
    this.reset();
  }

  /** Forgets what the pages and engines recorded so far (the next test starts clean). */
  reset(): void {
    this.#consoleFrom = this.#console.text().length;
    this.#pages = [];
    for (const watched of this.#engines) {
      watched.events.length = 0;
      watched.errors.length = 0;
    }
  }

  restore(): void {
    this.#console.restore();
  }
}
