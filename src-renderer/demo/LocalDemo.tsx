// The local demo's pieces of the screen ("Try it on this computer", src-main/demo/): the bar that labels each of
// the two windows ("This computer, signed in" / "New device"), shows the demo account the consent page asks for
// and the "Synapse timing" switch; and the "Send QR to the other window" button beside a shown QR code, which
// passes the code as a picture (pixels drawn from the code on screen, never its bytes) so that the other window's
// scanner runs its real decoder on it.
import { useState } from "react";
import { MonitorSmartphone, Send } from "lucide-react";
import { useApp } from "../app-context";
import { t } from "../copy/format";
import { Button } from "../components/ui";
import { base64ToBytes, qrMatrix, QUIET_ZONE, type ErrorCorrection } from "../qr/matrix";
import { call } from "../store";

export function LocalDemoBar() {
  const demo = useApp((state) => state.demo);
  const engine = useApp((state) => state.engine);
  const setDemo = useApp((state) => state.setDemo);
  const [busy, setBusy] = useState(false);
  if (demo?.active !== true || demo.window === undefined) return null;
  const toggle = () => {
    setBusy(true);
    call(engine, "demo.setSynapseTiming", { on: !demo.synapseTiming })
      .then((next) => {
        setDemo({ ...next, ...(demo.password === undefined ? {} : { password: demo.password }) });
      })
      .catch((error: unknown) => {
        console.error("the Synapse timing switch failed", error);
      })
      .finally(() => {
        setBusy(false);
      });
  };
  return (
    <aside className="local-demo-bar" aria-label={t("local.bar")} data-window={demo.window}>
      <span className="local-demo-label">
        <MonitorSmartphone aria-hidden="true" size={20} />
        <strong>
          {t(demo.window === "signed_in" ? "local.window.signed_in" : "local.window.new_device")}
        </strong>
      </span>
      {demo.homeserver === undefined ? null : (
        <span className="local-demo-detail">{t("local.homeserver", { homeserver: demo.homeserver })}</span>
      )}
      {demo.password === undefined || demo.user === undefined ? null : (
        <span className="local-demo-detail" title={t("local.accountHint")}>
          {t("local.account", { user: demo.user, password: demo.password })}
        </span>
      )}
      <label
        className="local-demo-switch"
        title={t("local.synapseTimingHint", { seconds: demo.v2024LifetimeS ?? 600 })}
      >
        <input type="checkbox" role="switch" checked={demo.synapseTiming} disabled={busy} onChange={toggle} />
        <span>{t("local.synapseTiming")}</span>
      </label>
    </aside>
  );
}

/** Pixels per module of the picture sent: small enough for one message, plenty for a decoder. */
const SENT_MODULE_PX = 6;

/** The QR code as a PNG, drawn module by module as the screen draws it (dark on white, the quiet zone kept). */
function qrPicture(qr: string, level: ErrorCorrection): string {
  const matrix = qrMatrix(base64ToBytes(qr), level);
  const side = (matrix.size + 2 * QUIET_ZONE) * SENT_MODULE_PX;
  const canvas = document.createElement("canvas");
  canvas.width = side;
  canvas.height = side;
  const context = canvas.getContext("2d");
  if (context === null) throw new Error("no 2D canvas");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, side, side);
  context.fillStyle = "#000000";
  for (let y = 0; y < matrix.size; y++) {
    for (let x = 0; x < matrix.size; x++) {
      if (matrix.modules[y * matrix.size + x] === 1) {
        context.fillRect(
          (x + QUIET_ZONE) * SENT_MODULE_PX,
          (y + QUIET_ZONE) * SENT_MODULE_PX,
          SENT_MODULE_PX,
          SENT_MODULE_PX,
        );
      }
    }
  }
  const url = canvas.toDataURL("image/png");
  return url.slice(url.indexOf(",") + 1);
}

export function SendQrButton({ qr, level }: { readonly qr: string; readonly level: ErrorCorrection }) {
  const active = useApp((state) => state.demo?.active === true);
  const engine = useApp((state) => state.engine);
  const announce = useApp((state) => state.announce);
  if (!active) return null;
  return (
    <Button
      kind="secondary"
      icon={<Send aria-hidden="true" size={18} />}
      onClick={() => {
        Promise.resolve()
          .then(() => call(engine, "demo.sendQrToOtherWindow", { png: qrPicture(qr, level) }))
          .then(() => {
            announce(t("local.sentQr"));
          })
          .catch((error: unknown) => {
            console.error("the QR code could not be sent", error);
          });
      }}
    >
      {t("local.sendQr")}
    </Button>
  );
}

/** A PNG the other window sent, as the Blob the image scanner takes. */
export function pictureBlob(png: string): Blob {
  return new Blob([new Uint8Array(base64ToBytes(png))], { type: "image/png" });
}
