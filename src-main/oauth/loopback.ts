// The loopback redirect of a native app's browser sign-in (RFC 8252 §7.3, §8.3): a one-shot HTTP listener on
// 127.0.0.1 at a port the system picks, answering only `GET /callback` with the `state` this sign-in sent. The
// browser lands there with the authorization response in the query; the listener shows a plain "you can close this
// tab" page, hands the parameters over and closes. A request with another state (another tab, another app, a
// forged link) is refused and the listener keeps waiting. Cancel and timeout close it too.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { stepEntry } from "../../src-shared/transcript";
import type { Runtime } from "../protocol";
import { OAuthError } from "./errors";

export const CALLBACK_PATH = "/callback";

export interface LoopbackListenerOptions {
  readonly runtime: Runtime;
  /** Closes the listener; `callback` then rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /** The `state` the authorization request carries; a callback with any other is refused. */
  readonly expectedState: string;
  /** How long to wait for the browser, on the runtime's clock; then `callback` rejects with OAuthError `expired`. */
  readonly timeoutMs: number;
}

export interface LoopbackListener {
  /** `http://127.0.0.1:<port>/callback`: the redirect URI of this sign-in. */
  readonly redirectUri: string;
  /** The authorization response's parameters, once the browser brings them with the expected state. */
  readonly callback: Promise<URLSearchParams>;
  /** Stops listening (also after the callback, a timeout or an abort); resolves once the port is free. */
  close(): Promise<void>;
}

const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/html; charset=utf-8",
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  // The URL of this page carries the authorization code: no page it could lead to may learn it.
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

function page(title: string, text: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title>
<style>:root{color-scheme:light dark;font-family:system-ui,sans-serif}main{max-width:28rem;margin:3rem auto;padding:0 1rem}</style>
</head>
<body><main><h1>${title}</h1><p>${text}</p></main></body>
</html>
`;
}

const DONE_PAGE = page("Signed in", "You can close this tab and return to Matrix QR Login.");
const WRONG_STATE_PAGE = page(
  "Not this sign-in",
  "This link does not belong to the sign-in in progress. Start signing in again in Matrix QR Login.",
);

function send(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...extra });
  res.end(body);
}

export async function startLoopbackListener(options: LoopbackListenerOptions): Promise<LoopbackListener> {
  const { runtime, signal, expectedState, timeoutMs } = options;
  signal.throwIfAborted();
  if (expectedState === "") throw new TypeError("startLoopbackListener needs a non-empty state");

  let resolve: (params: URLSearchParams) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const callback = new Promise<URLSearchParams>((onResult, onError) => {
    resolve = onResult;
    reject = onError;
  });
  // The caller may stop awaiting after a failure elsewhere; the rejection is still delivered to whoever awaits.
  callback.catch(() => undefined);
  let settled = false;
  const stopTimer = new AbortController();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = URL.parse(req.url ?? "/", "http://127.0.0.1");
    if (url?.pathname !== CALLBACK_PATH) {
      send(res, 404, page("Not found", "There is nothing here."));
      return;
    }
    if (req.method !== "GET") {
      send(res, 405, page("Not allowed", "Only the browser's return to the app is served here."), {
        Allow: "GET",
      });
      return;
    }
    if (settled || url.searchParams.get("state") !== expectedState) {
      runtime.transcript(
        stepEntry({ layer: "oauth", name: "browser callback refused", detail: "wrong state" }),
      );
      send(res, 400, WRONG_STATE_PAGE);
      return;
    }
    settled = true;
    runtime.transcript(stepEntry({ layer: "oauth", name: "browser returned to the app" }));
    res.once("finish", () => void close());
    send(res, 200, DONE_PAGE);
    resolve(new URLSearchParams(url.searchParams));
  });

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= new Promise<void>((done) => {
      stopTimer.abort();
      signal.removeEventListener("abort", onAbort);
      server.close(() => {
        done();
      });
      server.closeIdleConnections();
      // The browser may hold keep-alive connections open; nothing more is served.
      setImmediate(() => {
        server.closeAllConnections();
      });
    });
    return closing;
  }

  function fail(error: unknown): void {
    if (settled) return;
    settled = true;
    reject(error);
    void close();
  }

  const onAbort = (): void => {
    fail(signal.reason);
  };

  await new Promise<void>((listening, failed) => {
    server.once("error", failed);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", failed);
      listening();
    });
  });
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) onAbort();
  runtime.sleep(timeoutMs, stopTimer.signal).then(
    () => {
      fail(
        new OAuthError("expired", `the browser did not return to the app within ${timeoutMs} ms`, {
          reason: "browser_timeout",
        }),
      );
    },
    () => undefined,
  );

  const { port } = server.address() as AddressInfo;
  return { redirectUri: `http://127.0.0.1:${port}${CALLBACK_PATH}`, callback, close };
}
