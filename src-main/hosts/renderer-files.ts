// Which file of the renderer's build a request path names, for every host that serves it (Electron's app://
// handler, the browser host's HTTP server). A path that would leave the build's folder by any spelling (`..`,
// `%2e%2e`, an encoded slash or backslash, an absolute path, a NUL) names nothing: the caller answers 404.
import { extname, join } from "node:path";
import { RENDERER_CONTENT_TYPES } from "./csp";

export interface RendererFile {
  readonly file: string;
  readonly contentType: string;
}

/** The file under `rendererDir` that the URL path `pathname` names, or undefined when it names none. */
export function rendererFile(rendererDir: string, pathname: string): RendererFile | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (!decoded.startsWith("/") || decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const wanted = decoded === "/" ? "index.html" : decoded.slice(1);
  // Refused rather than normalised: no page of ours links with them, so any is an attempt. An empty segment
  // would make the rest an absolute path (`//etc/passwd`).
  if (wanted.split("/").some((segment) => segment === "" || segment === "." || segment === ".."))
    return undefined;
  const file = join(rendererDir, wanted);
  const contentType = RENDERER_CONTENT_TYPES[extname(file)];
  return contentType === undefined ? undefined : { file, contentType };
}
