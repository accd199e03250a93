// Drives the devserver's real sign-in pages (devserver/oauth/pages.ts) the way a user would: open the
// verification URI (or an authorization URL), type the user code when asked, log in, then Approve or Deny.
// - `approveInBrowser` clicks through them in Chromium (about a second per run);
// - `approveOverHttp` submits the same forms with fetch and a cookie jar (tens of milliseconds), for suites that
//   need a signed-in device but do not test the pages.
// Both stop at the result page (`data-result`), or, for the authorization code flow, at the redirect back to the
// client. Each page's <main data-page> says which step it is.
import type { BrowserContext, Page } from "playwright-core";

export interface ConsentRequest {
  /** The device grant's `verification_uri` or `verification_uri_complete`, or an authorization URL. */
  readonly verificationUri: string;
  /** Typed when the code entry page asks for it, and compared with the code the consent page shows. */
  readonly userCode?: string;
  /** A localpart (`alice`) or user ID. */
  readonly user: string;
  readonly password: string;
  /** Click Approve (true) or Deny (false). */
  readonly approve: boolean;
  /** Give up after this long; default 15 s. */
  readonly timeoutMs?: number;
  /**
   * `approveInBrowser` only: let the browser follow the redirect to the client (a native app's loopback listener
   * that must receive it) and report where it landed, instead of stopping it there. (Playwright's `route` does not
   * see a server redirect's next hop, so the landing page's URL is what tells.)
   */
  readonly letRedirectThrough?: boolean;
}

/** What the flow ended with: the device grant's result page, or the redirect to the client. */
export type ConsentOutcome =
  | { readonly kind: "result"; readonly result: "approved" | "denied" }
  | { readonly kind: "redirect"; readonly url: URL };

function isPage(target: Page | BrowserContext): target is Page {
  return "goto" in target;
}

function sameUserCode(a: string, b: string): boolean {
  const normalize = (code: string): string => code.toUpperCase().replace(/[^A-Z0-9]/g, "");
  return normalize(a) === normalize(b);
}

/**
 * Clicks through the pages in Chromium. Pass a page, or a context to open a new page in. Resolves with the result
 * page's verdict (device grant), or with the URL the browser was sent back to (authorization code flow: the
 * navigation to the client's redirect URI is stopped and reported, so no client needs to listen there).
 */
export async function approveInBrowser(
  target: Page | BrowserContext,
  request: ConsentRequest,
): Promise<ConsentOutcome> {
  const page = isPage(target) ? target : await target.newPage();
  const timeout = request.timeoutMs ?? 15_000;
  page.setDefaultTimeout(timeout);
  const origin = new URL(request.verificationUri).origin;
  let redirect: URL | undefined;
  await page.route(
    (url) => url.origin !== origin,
    async (route) => {
      redirect = new URL(route.request().url());
      await route.fulfill({
        status: 200,
        contentType: "text/html",
        body: '<main data-page="redirected"></main>',
      });
    },
  );

  const submit = async (buttonName: string): Promise<void> => {
    const loaded = page.waitForEvent("load");
    await page.getByRole("button", { name: buttonName, exact: true }).click();
    await loaded;
  };

  await page.goto(request.verificationUri);
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const landed = new URL(page.url());
    if (request.letRedirectThrough === true && landed.origin !== origin)
      return { kind: "redirect", url: landed };
    const main = page.locator("main[data-page]");
    const step = await main.getAttribute("data-page");
    const alert = page.locator('[role="alert"]');
    const problem = (await alert.count()) > 0 ? await alert.first().innerText() : undefined;
    switch (step) {
      case "redirected":
        if (redirect === undefined) throw new Error("redirected without a URL");
        return { kind: "redirect", url: redirect };
      case "result": {
        const result = await main.getAttribute("data-result");
        if (result !== "approved" && result !== "denied")
          throw new Error(`unexpected result page: ${result}`);
        return { kind: "result", result };
      }
      case "code-entry": {
        if (problem !== undefined) throw new Error(`code entry page says: ${problem}`);
        const field = page.getByLabel("Code from your device");
        if (request.userCode !== undefined) await field.fill(request.userCode);
        else if ((await field.inputValue()) === "")
          throw new Error("the page asks for a user code; none was given");
        await submit("Continue");
        break;
      }
      case "login":
        if (problem !== undefined) throw new Error(`login page says: ${problem}`);
        await page.getByLabel("Username").fill(request.user);
        await page.getByLabel("Password").fill(request.password);
        await submit("Sign in");
        break;
      case "consent": {
        const shown = page.locator("#user-code");
        if (request.userCode !== undefined && (await shown.count()) > 0) {
          const code = await shown.innerText();
          if (!sameUserCode(code, request.userCode)) {
            throw new Error(`consent page shows code ${code}, expected ${request.userCode}`);
          }
        }
        await submit(request.approve ? "Approve" : "Deny");
        break;
      }
      default:
        throw new Error(`unexpected page (${step ?? "no data-page"}): ${problem ?? (await page.title())}`);
    }
  }
  throw new Error(`consent flow did not finish within ${timeout} ms`);
}

// ---- the same flow over HTTP ----

interface ParsedPage {
  readonly step: string | undefined;
  readonly result: string | undefined;
  readonly action: string | undefined;
  readonly hidden: ReadonlyMap<string, string>;
  readonly userCodeValue: string | undefined;
  readonly shownUserCode: string | undefined;
  readonly alert: string | undefined;
}

function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

function parsePage(html: string): ParsedPage {
  const main = /<main data-page="([^"]+)"(?: data-result="([^"]+)")?/.exec(html);
  const hidden = new Map<string, string>();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    hidden.set(unescapeHtml(match[1] ?? ""), unescapeHtml(match[2] ?? ""));
  }
  const attribute = (pattern: RegExp): string | undefined => {
    const found = pattern.exec(html)?.[1];
    return found === undefined ? undefined : unescapeHtml(found);
  };
  return {
    step: main?.[1],
    result: main?.[2],
    action: attribute(/<form method="post" action="([^"]+)"/),
    hidden,
    userCodeValue: attribute(/id="user_code"[^>]*?value="([^"]*)"/),
    shownUserCode: attribute(/id="user-code">([^<]*)</),
    alert: attribute(/role="alert">([^<]*)</),
  };
}

/** A cookie jar for one origin: enough for the interaction and session cookies. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const equals = pair?.indexOf("=") ?? -1;
      if (pair === undefined || equals < 0) continue;
      const name = pair.slice(0, equals).trim();
      const value = pair.slice(equals + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/**
 * Submits the same forms as `approveInBrowser`, without a browser. Cookie paths are ignored (every cookie goes to
 * every request), which the devserver tolerates.
 */
export async function approveOverHttp(request: ConsentRequest): Promise<ConsentOutcome> {
  const jar = new CookieJar();
  const origin = new URL(request.verificationUri).origin;
  const signal = AbortSignal.timeout(request.timeoutMs ?? 15_000);

  async function load(url: URL, form?: URLSearchParams): Promise<{ url: URL; page?: ParsedPage }> {
    let current = url;
    let body = form;
    for (let hops = 0; hops < 20; hops += 1) {
      if (current.origin !== origin) return { url: current };
      const response = await fetch(current, {
        method: body === undefined ? "GET" : "POST",
        headers: {
          cookie: jar.header(),
          ...(body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }),
        },
        ...(body === undefined ? {} : { body }),
        redirect: "manual",
        signal,
      });
      jar.store(response);
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location !== null) {
        current = new URL(location, current);
        body = undefined;
        continue;
      }
      return { url: current, page: parsePage(await response.text()) };
    }
    throw new Error("too many redirects");
  }

  let { url, page } = await load(new URL(request.verificationUri));
  for (let steps = 0; steps < 10; steps += 1) {
    if (page === undefined) return { kind: "redirect", url };
    const action = page.action === undefined ? url : new URL(page.action, url);
    const fields = new URLSearchParams([...page.hidden]);
    switch (page.step) {
      case "result":
        if (page.result !== "approved" && page.result !== "denied")
          throw new Error(`bad result ${page.result}`);
        return { kind: "result", result: page.result };
      case "code-entry": {
        if (page.alert !== undefined) throw new Error(`code entry page says: ${page.alert}`);
        const code = request.userCode ?? page.userCodeValue;
        if (code === undefined || code === "")
          throw new Error("the page asks for a user code; none was given");
        fields.set("user_code", code);
        break;
      }
      case "login":
        if (page.alert !== undefined) throw new Error(`login page says: ${page.alert}`);
        fields.set("username", request.user);
        fields.set("password", request.password);
        break;
      case "consent":
        if (
          request.userCode !== undefined &&
          page.shownUserCode !== undefined &&
          !sameUserCode(page.shownUserCode, request.userCode)
        ) {
          throw new Error(`consent page shows code ${page.shownUserCode}, expected ${request.userCode}`);
        }
        fields.set("decision", request.approve ? "approve" : "deny");
        break;
      default:
        throw new Error(`unexpected page (${page.step ?? "no data-page"}): ${page.alert ?? ""}`);
    }
    ({ url, page } = await load(action, fields));
  }
  throw new Error("consent flow did not finish");
}
