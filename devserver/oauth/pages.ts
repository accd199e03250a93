// The server-rendered pages of the sign-in flow: code entry (the device grant's verification_uri), login, consent,
// the result, and errors. Plain HTML with inline CSS, no scripts and no external assets, usable by keyboard (labels,
// autofocus, real buttons). Every page's <main> carries `data-page` (and the result page `data-result`) so tests and
// the shared Chromium helper can tell where they are without depending on the copy.
import type { ServerResponse } from "node:http";
import { setHeaders } from "../http";

/** Sent with every page: nothing loads from anywhere, no scripts run, no framing. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/html; charset=utf-8",
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

/** Answers with a page and its headers (oidc-provider's own pages set them on its Koa context instead). */
export function sendPage(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  setHeaders(res, PAGE_HEADERS);
  res.end(html);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
  body { margin: 0; padding: 2rem 1rem; }
  main { max-width: 28rem; margin: 0 auto; }
  h1 { font-size: 1.5rem; margin-top: 0; }
  label { display: block; font-weight: 600; margin-top: 1rem; }
  input[type=text], input[type=password] { display: block; width: 100%; box-sizing: border-box;
    font-size: 1.1rem; padding: 0.5rem; margin-top: 0.25rem; }
  #user_code { font-family: ui-monospace, monospace; letter-spacing: 0.2em; text-transform: uppercase; }
  .actions { display: flex; gap: 0.75rem; margin-top: 1.5rem; }
  button { font-size: 1rem; padding: 0.5rem 1.25rem; cursor: pointer; }
  button:focus-visible, input:focus-visible { outline: 3px solid #4d90fe; outline-offset: 2px; }
  .error { border-left: 4px solid #c62828; padding: 0.5rem 0.75rem; background: rgba(198, 40, 40, 0.1); }
  .code { font-family: ui-monospace, monospace; font-size: 1.4rem; letter-spacing: 0.2em; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
  dt { font-weight: 600; }
  dd { margin: 0; overflow-wrap: anywhere; }
  code { overflow-wrap: anywhere; }
`;

interface Layout {
  readonly title: string;
  readonly page: string;
  readonly body: string;
  readonly result?: "approved" | "denied";
}

function layout({ title, page, body, result }: Layout): string {
  const resultAttribute = result === undefined ? "" : ` data-result="${result}"`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main data-page="${page}"${resultAttribute}>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function alert(message: string | undefined): string {
  return message === undefined ? "" : `<p class="error" role="alert">${escapeHtml(message)}</p>`;
}

export interface CodeEntryPage {
  readonly action: string;
  /** The anti-CSRF value oidc-provider checks on POST. */
  readonly xsrf: string;
  readonly userCode?: string;
  readonly error?: string;
}

/** The device grant's verification page: the user types the code their new device shows. */
export function codeEntryPage({ action, xsrf, userCode, error }: CodeEntryPage): string {
  const value = userCode === undefined ? "" : ` value="${escapeHtml(userCode)}"`;
  return layout({
    title: "Sign in a new device",
    page: "code-entry",
    body: `${alert(error)}
<p>Enter the code shown on the device you are signing in.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="xsrf" value="${escapeHtml(xsrf)}">
<input type="hidden" name="confirm" value="yes">
<label for="user_code">Code from your device</label>
<input type="text" id="user_code" name="user_code" autocomplete="one-time-code" autocapitalize="characters"
  spellcheck="false" required autofocus${value}${error === undefined ? "" : ' aria-invalid="true"'}>
<div class="actions"><button type="submit">Continue</button></div>
</form>`,
  });
}

export interface LoginPage {
  readonly action: string;
  readonly clientName: string;
  readonly username?: string;
  readonly error?: string;
}

export function loginPage({ action, clientName, username, error }: LoginPage): string {
  const value = username === undefined ? "" : ` value="${escapeHtml(username)}"`;
  return layout({
    title: "Sign in",
    page: "login",
    body: `${alert(error)}
<p>Sign in to continue to <strong>${escapeHtml(clientName)}</strong>.</p>
<form method="post" action="${escapeHtml(action)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false"
  required${username === undefined ? " autofocus" : ""}${value}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${
      username === undefined ? "" : " autofocus"
    }>
<div class="actions"><button type="submit">Sign in</button></div>
</form>`,
  });
}

export interface ConsentPage {
  readonly action: string;
  readonly clientName: string;
  readonly clientUri: string | undefined;
  readonly userId: string;
  readonly deviceId: string;
  /** Present for the device grant: the user compares it with the code on the new device. */
  readonly userCode: string | undefined;
  readonly scopes: readonly string[];
}

export function consentPage(page: ConsentPage): string {
  const { action, clientName, clientUri, userId, deviceId, userCode, scopes } = page;
  const website =
    clientUri === undefined
      ? ""
      : `<dt>Website</dt><dd><a href="${escapeHtml(clientUri)}" rel="noopener noreferrer">${escapeHtml(
          clientUri,
        )}</a></dd>`;
  const code =
    userCode === undefined
      ? ""
      : `<dt>Code</dt><dd><span class="code" id="user-code">${escapeHtml(userCode)}</span></dd>`;
  const check =
    userCode === undefined
      ? ""
      : "<p>Approve only if your new device shows this same code and you started this sign-in yourself.</p>";
  return layout({
    title: "Allow access to your account?",
    page: "consent",
    body: `<p><strong>${escapeHtml(clientName)}</strong> wants to sign in as <strong>${escapeHtml(userId)}</strong>
with full access to your account, as a new device.</p>
<dl>
<dt>Application</dt><dd id="client-name">${escapeHtml(clientName)}</dd>
${website}
<dt>New device</dt><dd><code id="device-id">${escapeHtml(deviceId)}</code></dd>
${code}
<dt>Access</dt><dd>${scopes.map((scope) => `<code>${escapeHtml(scope)}</code>`).join("<br>")}</dd>
</dl>
${check}
<form method="post" action="${escapeHtml(action)}">
<div class="actions">
<button type="submit" name="decision" value="approve" autofocus>Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</div>
</form>`,
  });
}

export function resultPage(result: "approved" | "denied"): string {
  return result === "approved"
    ? layout({
        title: "Device signed in",
        page: "result",
        result,
        body: "<p>You approved the sign-in. You can close this page and continue on your new device.</p>",
      })
    : layout({
        title: "Sign-in denied",
        page: "result",
        result,
        body: "<p>You denied the sign-in. The device was not signed in. You can close this page.</p>",
      });
}

export function errorPage(title: string, message: string): string {
  return layout({ title, page: "error", body: `<p role="alert">${escapeHtml(message)}</p>` });
}

export function accountPage(userIdHint: string): string {
  return layout({
    title: "Your account",
    page: "account",
    body: `<p>This development server has no account management pages. Accounts are configured when it starts
(for example ${escapeHtml(userIdHint)}); devices are managed through the client-server API.</p>`,
  });
}
