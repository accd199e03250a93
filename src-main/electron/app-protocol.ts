// The app:// scheme: the renderer's build (out/renderer) served to the window as app://renderer/<path>, every
// answer with the renderer's Content-Security-Policy. Registered as privileged (standard, secure, fetch) before
// `ready`, so the page is a secure context (the camera and crypto.subtle need one) with an origin of its own; a
// request for anything outside the build, by whatever spelling, is answered 404.
import { readFile } from "node:fs/promises";
import type { CustomScheme } from "electron";
import { RENDERER_CSP } from "../hosts/csp";
import { rendererFile } from "../hosts/renderer-files";
import { APP_HOST, APP_SCHEME } from "./trust";

export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

function answer(status: number, body: BodyInit | null, contentType?: string): Response {
  const headers = new Headers({
    "Content-Security-Policy": RENDERER_CSP,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
  });
  if (contentType !== undefined) headers.set("Content-Type", contentType);
  return new Response(body, { status, headers });
}

/** The `protocol.handle("app", …)` handler for the build in `rendererDir`. */
export function appProtocolHandler(rendererDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") return answer(405, null);
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return answer(400, null);
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return answer(404, null);
    // The raw path, before any resolution of dot segments, is what the guard must judge.
    const rawPath = request.url.slice(`${APP_SCHEME}://${APP_HOST}`.length).split(/[?#]/, 1)[0] ?? "";
    const found = rendererFile(rendererDir, rawPath === "" ? "/" : rawPath);
    if (found === undefined) return answer(404, null);
    try {
      const body = await readFile(found.file);
      return answer(200, request.method === "HEAD" ? null : new Uint8Array(body), found.contentType);
    } catch {
      return answer(404, null);
    }
  };
}
