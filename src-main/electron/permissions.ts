// What the renderer may use of the machine: the camera (`media`, video only, never the microphone) while a
// scanner is open, and one screen's picture for "scan from screen" when the user asks for it (a click, so a user
// gesture) while a scanner is open; both only for the app's own page. Every other permission (notifications,
// geolocation, clipboard, USB...) is denied, whether requested or merely checked (Electron's checklist: handle
// session permission requests).
import type { DesktopCapturer, Session, WebContents } from "electron";
import { isAppUrl } from "./trust";

export interface PermissionRules {
  /** Whether this web contents is one of the app's windows. */
  readonly isOwn: (contents: WebContents | null) => boolean;
  /** Whether a flow shows its scanner now. */
  readonly scannerOpen: () => boolean;
}

type SessionPermissions = Pick<
  Session,
  "setPermissionRequestHandler" | "setPermissionCheckHandler" | "setDisplayMediaRequestHandler"
>;

export function installPermissionHandlers(
  session: SessionPermissions,
  desktopCapturer: Pick<DesktopCapturer, "getSources">,
  rules: PermissionRules,
): void {
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    const mediaTypes = "mediaTypes" in details ? (details.mediaTypes ?? []) : [];
    const origin = "securityOrigin" in details ? details.securityOrigin : undefined;
    const allowed =
      permission === "media" &&
      rules.isOwn(contents) &&
      details.isMainFrame &&
      isAppUrl(details.requestingUrl) &&
      (origin === undefined || isAppUrl(origin)) &&
      mediaTypes.length > 0 &&
      mediaTypes.every((type) => type === "video") &&
      rules.scannerOpen();
    callback(allowed);
  });

  session.setPermissionCheckHandler((contents, permission, requestingOrigin, details) => {
    return (
      permission === "media" &&
      details.mediaType === "video" &&
      rules.isOwn(contents) &&
      isAppUrl(requestingOrigin) &&
      rules.scannerOpen()
    );
  });

  session.setDisplayMediaRequestHandler((request, callback) => {
    const frame = request.frame;
    const allowed =
      request.userGesture &&
      request.videoRequested &&
      frame !== null &&
      frame.parent === null &&
      isAppUrl(frame.url) &&
      isAppUrl(request.securityOrigin) &&
      rules.scannerOpen();
    if (!allowed) {
      callback(null);
      return;
    }
    // The screen's picture only, never its sound; the first screen is the one the window is usually on.
    desktopCapturer.getSources({ types: ["screen"] }).then(
      (sources) => {
        const [screen] = sources;
        callback(screen === undefined ? null : { video: screen });
      },
      (error: unknown) => {
        console.error("no screen to capture:", error);
        callback(null);
      },
    );
  });
}
