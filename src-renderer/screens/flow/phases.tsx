// One view per phase of a sign-in (docs/ux.md "Phases"), each the hero of its screen: the QR code, the
// scanner, the check code, the user code, a progress ring, or the result.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { CircleCheck, CircleExclamationPoint, ExternalLink, Maximize2, RefreshCw } from "lucide-react";
import type { FlowCommand, FlowSnapshot } from "../../../src-shared/flow";
import { useApp } from "../../app-context";
import { CheckCodeInput } from "../../components/CheckCodeInput";
import { CheckList, Countdown, Instructions, SafetyLine } from "../../components/flow-parts";
import { Button, CopyButton, Msg, ProgressRing } from "../../components/ui";
import { PROJECTOR_QR, useProjector } from "../../demo/demo-state";
import { FAKE_CHECK_CODE_HINT } from "../../preview";
import { t, tCount } from "../../copy/format";
import { QrCode } from "../../qr/QrCode";
import { SendQrButton } from "../../demo/LocalDemo";
import { QUIET_ZONE, base64ToBytes, bytesToBase64, pixelsPerModule, qrMatrix } from "../../qr/matrix";
import { Scanner } from "../../scanner/Scanner";
import { ErrorView } from "./ErrorView";
import { useShowQrInstead } from "./show-instead";

type Of<P extends FlowSnapshot["phase"]> = Extract<FlowSnapshot, { phase: P }>;

export function PhaseView({ flow }: { readonly flow: FlowSnapshot }) {
  switch (flow.phase) {
    case "preflight":
      return (
        <>
          <p className="lead">{t("phase.preflight.lead")}</p>
          <CheckList checks={flow.checks} />
          <CancelOnly flow={flow} />
        </>
      );
    case "instructions":
      return (
        <>
          <Instructions
            role={flow.role}
            side={flow.side}
            version={flow.version}
            canSwitchVersion={flow.accepts.includes("switchVersion")}
          />
          <CancelOnly flow={flow} />
        </>
      );
    case "preparing":
      return (
        <>
          <ProgressRing label={t("phase.preparing.lead")} large />
          <CancelOnly flow={flow} />
        </>
      );
    case "showing_qr":
      return <ShowingQr flow={flow} />;
    case "scanning":
      return <Scanning flow={flow} />;
    case "connecting":
      return <Waiting flow={flow} label={t("phase.connecting.lead")} />;
    case "check_code_display":
      return <CheckCodeDisplay flow={flow} />;
    case "check_code_entry":
      return <CheckCodeEntry flow={flow} />;
    case "confirm_homeserver":
      return <ConfirmHomeserver flow={flow} />;
    case "approve_device":
      return <ApproveDevice flow={flow} />;
    case "negotiating":
      return <Waiting flow={flow} label={t("phase.connecting.lead")} />;
    case "waiting_for_approval":
      return <WaitingForApproval flow={flow} />;
    case "consent":
      return <Consent flow={flow} />;
    case "syncing_secrets":
      return <Waiting flow={flow} label={t("phase.syncing_secrets.lead")} />;
    case "done":
      return <Done flow={flow} />;
    case "error":
      return <ErrorView error={flow.error} role={flow.role} accepts={flow.accepts} />;
  }
}

/** Sends a command the snapshot accepts; the button calling it exists only then. */
function useSend(): (command: FlowCommand) => Promise<void> {
  const send = useApp((state) => state.send);
  return async (command) => {
    const answer = await send(command);
    if (answer.type === "rejected") console.warn(`${command.type} was refused: ${answer.reason}`);
  };
}

function Actions({ children }: { readonly children: ReactNode }) {
  return <div className="actions">{children}</div>;
}

function CancelButton({
  flow,
  primary = false,
}: {
  readonly flow: FlowSnapshot;
  readonly primary?: boolean;
}) {
  const leaveFlow = useApp((state) => state.leaveFlow);
  if (!flow.accepts.includes("cancel")) return null;
  return (
    <Button
      kind={primary ? "primary" : "secondary"}
      onClick={() => {
        void leaveFlow();
      }}
    >
      {t("action.cancel")}
    </Button>
  );
}

function CancelOnly({ flow }: { readonly flow: FlowSnapshot }) {
  return (
    <Actions>
      <CancelButton flow={flow} />
    </Actions>
  );
}

function Waiting({ flow, label }: { readonly flow: FlowSnapshot; readonly label: string }) {
  return (
    <>
      <div className="hero">
        <ProgressRing label={label} large />
      </div>
      <Countdown expiresAt={flow.expiresAt} />
      <CancelOnly flow={flow} />
    </>
  );
}

/** The QR code's size in the column: large enough for a phone at arm's length, small enough to fit. */
const QR_ROOM = 320;

function ShowingQr({ flow }: { readonly flow: Of<"showing_qr"> }) {
  const send = useSend();
  const setting = useApp((state) => state.account?.settings.qrErrorCorrection ?? "M");
  // Projector mode: error correction Q and a bigger code (demo/demo-state.ts).
  const projector = useProjector();
  const level = projector ? PROJECTOR_QR.level : setting;
  const fullscreen = useApp((state) => state.fullscreenQr);
  const setFullscreen = useApp((state) => state.setFullscreenQr);
  return (
    <div className="qr-layout">
      <div className="qr-main">
        <div className="hero">
          <button
            type="button"
            className="qr-frame"
            title={t("phase.showing_qr.fullscreen")}
            onClick={() => {
              setFullscreen(true);
            }}
          >
            <QrCode
              bytes={flow.qr}
              level={level}
              available={projector ? PROJECTOR_QR.room : QR_ROOM}
              label={t("phase.showing_qr.alt")}
            />
          </button>
        </div>
        <Countdown expiresAt={flow.expiresAt} qr />
        <div className="tools">
          <Button
            kind="quiet"
            icon={<Maximize2 aria-hidden="true" size={18} />}
            onClick={() => {
              setFullscreen(true);
            }}
          >
            {t("phase.showing_qr.fullscreenShort")}
          </Button>
          <CopyButton text={flow.qr} label={t("phase.showing_qr.copyAsText")} />
          <SendQrButton qr={flow.qr} level={level} />
          {flow.accepts.includes("newQr") ? (
            <Button
              kind="quiet"
              icon={<RefreshCw aria-hidden="true" size={18} />}
              onClick={() => {
                void send({ type: "newQr" });
              }}
            >
              {t("phase.showing_qr.newQr")}
            </Button>
          ) : null}
        </div>
      </div>
      <div className="qr-side">
        <Instructions
          role={flow.role}
          side={flow.side}
          version={flow.version}
          canSwitchVersion={flow.accepts.includes("switchVersion")}
        />
        <SafetyLine showing />
        <CancelOnly flow={flow} />
      </div>
      {fullscreen ? (
        <QrFullscreen
          bytes={flow.qr}
          level={level}
          onClose={() => {
            setFullscreen(false);
          }}
        />
      ) : null}
    </div>
  );
}

function QrFullscreen({
  bytes,
  level,
  onClose,
}: {
  readonly bytes: string;
  readonly level: "L" | "M" | "Q" | "H";
  readonly onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [room, setRoom] = useState(() => Math.min(window.innerWidth, window.innerHeight) - 96);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
    const onResize = () => {
      setRoom(Math.min(window.innerWidth, window.innerHeight) - 96);
    };
    window.addEventListener("resize", onResize);
    return () => {
      window.removeEventListener("resize", onResize);
      dialog?.close();
    };
  }, []);
  // Sized here, not by CSS, so the module size stays a whole number of pixels.
  const matrix = qrMatrix(base64ToBytes(bytes), level);
  const px = pixelsPerModule(matrix, room);
  return (
    <dialog
      ref={ref}
      className="qr-fullscreen"
      aria-label={t("phase.showing_qr.fullscreen")}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onClick={onClose}
    >
      <QrCode
        bytes={bytes}
        level={level}
        available={(matrix.size + 2 * QUIET_ZONE) * px}
        label={t("phase.showing_qr.alt")}
      />
      <p className="qr-fullscreen-hint">{t("phase.showing_qr.fullscreenHint")}</p>
      <button type="button" className="visually-hidden" onClick={onClose}>
        {t("action.close")}
      </button>
    </dialog>
  );
}

const SCAN_SOURCES = ["camera", "screen", "image"] as const;

function Scanning({ flow }: { readonly flow: Of<"scanning"> }) {
  const send = useSend();
  const showQrInstead = useShowQrInstead(flow.role);
  const accepting = flow.accepts.includes("submitScannedQr");
  return (
    <div className="qr-layout">
      <div className="qr-main">
        <Scanner
          sources={SCAN_SOURCES}
          role={flow.role}
          enabled={accepting}
          onBytes={(bytes) => {
            void send({ type: "submitScannedQr", bytes: bytesToBase64(bytes) });
          }}
          onShowQrInstead={() => {
            void showQrInstead();
          }}
        />
      </div>
      <div className="qr-side">
        <Instructions role={flow.role} side={flow.side} version={flow.version} />
        <SafetyLine showing={false} />
        <CancelOnly flow={flow} />
      </div>
    </div>
  );
}

function CheckCodeDisplay({ flow }: { readonly flow: Of<"check_code_display"> }) {
  const digits = flow.code.split("");
  return (
    <>
      <p className="lead">{t(`phase.check_code_display.lead.${flow.role}`)}</p>
      <div className="hero">
        <p className="check-code-label" aria-hidden="true">
          {t("phase.check_code_display.codeLabel")}
        </p>
        <p className="check-code">
          {/* Read digit by digit ("0 7", not "seven"); the large digits are for the eyes only. */}
          <span className="visually-hidden">
            {t("phase.check_code_display.codeAria", { digits: digits.join(" ") })}
          </span>
          {digits.map((digit, index) => (
            <span key={index} className="check-code-digit" aria-hidden="true">
              {digit}
            </span>
          ))}
        </p>
      </div>
      <p className="explain">{t("phase.check_code_display.explain")}</p>
      {/* Nothing reaches this device when the digits are typed over there (the next message comes only after
          the other device's user has allowed the sign-in: docs/protocol.md §5, A-S6 / B-S5), so from the
          start the screen says what it waits for rather than only asking to type. */}
      <ProgressRing label={t(`phase.check_code_display.waiting.${flow.role}`)} />
      <Countdown expiresAt={flow.expiresAt} />
      <CancelOnly flow={flow} />
    </>
  );
}

function CheckCodeEntry({ flow }: { readonly flow: Of<"check_code_entry"> }) {
  const send = useSend();
  const preview = useApp((state) => state.preview);
  const [busy, setBusy] = useState(false);
  const mismatchId = "check-code-mismatch";
  return (
    <>
      <p className="lead">{t("phase.check_code_entry.lead")}</p>
      {flow.mismatch ? (
        <p className="inline-error" id={mismatchId} role="alert">
          <CircleExclamationPoint aria-hidden="true" size={20} />
          <span>
            <span>{t("phase.check_code_entry.mismatch")}</span>{" "}
            <span>
              {tCount(flow.attemptsLeft, {
                one: "phase.check_code_entry.attemptsLeft.one",
                other: "phase.check_code_entry.attemptsLeft.other",
              })}
            </span>
          </span>
        </p>
      ) : null}
      {flow.accepts.includes("submitCheckCode") ? (
        <CheckCodeInput
          key={flow.attemptsLeft}
          busy={busy}
          {...(flow.mismatch ? { describedBy: mismatchId } : {})}
          onSubmit={(code) => {
            setBusy(true);
            void send({ type: "submitCheckCode", code }).finally(() => {
              setBusy(false);
            });
          }}
        />
      ) : null}
      {preview ? (
        <p className="preview-hint">
          {t("phase.check_code_entry.previewHint", { code: FAKE_CHECK_CODE_HINT })}
        </p>
      ) : null}
      <Countdown expiresAt={flow.expiresAt} />
      <CancelOnly flow={flow} />
    </>
  );
}

function ConfirmHomeserver({ flow }: { readonly flow: Of<"confirm_homeserver"> }) {
  const send = useSend();
  const accepting = flow.accepts.includes("confirmHomeserver");
  return (
    <>
      <p className="lead">{t("phase.confirm_homeserver.lead", { from: flow.from, to: flow.to })}</p>
      <dl className="facts">
        <div>
          <dt>{t("phase.confirm_homeserver.from")}</dt>
          <dd className="mono">{flow.from}</dd>
        </div>
        <div>
          <dt>{t("phase.confirm_homeserver.to")}</dt>
          <dd className="mono">{flow.to}</dd>
        </div>
      </dl>
      <Countdown expiresAt={flow.expiresAt} />
      <Actions>
        {accepting ? (
          <Button
            kind="primary"
            onClick={() => {
              void send({ type: "confirmHomeserver", accept: true });
            }}
          >
            {t("phase.confirm_homeserver.accept", { to: flow.to })}
          </Button>
        ) : null}
        {accepting ? (
          <Button
            onClick={() => {
              void send({ type: "confirmHomeserver", accept: false });
            }}
          >
            {t("action.cancel")}
          </Button>
        ) : (
          <CancelButton flow={flow} />
        )}
      </Actions>
    </>
  );
}

function ApproveDevice({ flow }: { readonly flow: Of<"approve_device"> }) {
  const send = useSend();
  const accepting = flow.accepts.includes("approveDevice");
  return (
    <>
      <p className="lead">
        <Msg
          k="phase.approve_device.lead"
          values={{
            device: <strong className="mono">{flow.deviceId}</strong>,
            user: <strong>{flow.userId}</strong>,
          }}
        />
      </p>
      <dl className="facts">
        <div>
          <dt>{t("phase.approve_device.deviceLabel")}</dt>
          <dd className="mono">{flow.deviceId}</dd>
        </div>
        <div>
          <dt>{t("phase.approve_device.userLabel")}</dt>
          <dd>{flow.userId}</dd>
        </div>
      </dl>
      <p className="explain">{t("phase.approve_device.receives")}</p>
      <Countdown expiresAt={flow.expiresAt} />
      <Actions>
        {accepting ? (
          <>
            <Button
              kind="primary"
              onClick={() => {
                void send({ type: "approveDevice", approve: true });
              }}
            >
              {t("phase.approve_device.allow")}
            </Button>
            <Button
              onClick={() => {
                void send({ type: "approveDevice", approve: false });
              }}
            >
              {t("phase.approve_device.deny")}
            </Button>
          </>
        ) : (
          <CancelButton flow={flow} />
        )}
      </Actions>
    </>
  );
}

function hostOf(uri: string): string {
  try {
    return new URL(uri).host;
  } catch {
    return uri;
  }
}

/** Only https pages open from the app (plain http only for this machine, the local development server). */
export function openable(uri: string): boolean {
  try {
    const url = new URL(uri);
    return (
      url.protocol === "https:" ||
      (url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))
    );
  } catch {
    return false;
  }
}

/** Whether two links open the same page (the host's request carries the URL as it checked it). */
function samePage(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

function WaitingForApproval({ flow }: { readonly flow: Of<"waiting_for_approval"> }) {
  return (
    <>
      <div className="hero">
        <p className="user-code-label">{t("phase.waiting_for_approval.codeLabel")}</p>
        <p className="user-code">{flow.userCode}</p>
      </div>
      <p className="explain">{t("phase.waiting_for_approval.explain")}</p>
      <p className="explain">
        {t("phase.waiting_for_approval.where", { host: hostOf(flow.verificationUri) })}
      </p>
      <ProgressRing label={t("phase.waiting_for_approval.waiting")} />
      <Countdown expiresAt={flow.expiresAt} />
      <CancelOnly flow={flow} />
    </>
  );
}

function Consent({ flow }: { readonly flow: Of<"consent"> }) {
  const send = useSend();
  const openRequest = useApp((state) => state.openRequest);
  const clearOpenRequest = useApp((state) => state.clearOpenRequest);
  const canOpen = openable(flow.verificationUri);
  const ownButton = flow.accepts.includes("consentOpened") && canOpen;
  // The browser host also asks every page to offer the same page (a page opens windows only from a click):
  // one button for one page, so the host's request shows only when it is for another page or the flow's is gone.
  const sameAsOwn = openRequest !== undefined && samePage(openRequest.url, flow.verificationUri);
  const hostButton = openRequest !== undefined && openable(openRequest.url) && !(ownButton && sameAsOwn);
  return (
    <>
      {/* The page opened only if the host said so (openUrl answered "opened"); otherwise the flow waits for
          the user's own click (the browser host, or a refused prompt) and the screen asks for it. */}
      <p className="lead">
        {t(flow.accepts.includes("consentOpened") ? "phase.consent.leadToOpen" : "phase.consent.lead", {
          host: flow.host,
        })}
      </p>
      <p className="explain">
        <Msg
          k="phase.consent.device"
          values={{ device: <strong className="mono">{flow.deviceId}</strong> }}
        />
      </p>
      <p className="explain">{t("phase.consent.userCodeHint")}</p>
      <Countdown expiresAt={flow.expiresAt} />
      <Actions>
        {ownButton ? (
          <Button
            kind="primary"
            icon={<ExternalLink aria-hidden="true" size={18} />}
            onClick={() => {
              window.open(flow.verificationUri, "_blank", "noopener,noreferrer");
              if (sameAsOwn) clearOpenRequest();
              void send({ type: "consentOpened" });
            }}
          >
            {t("phase.consent.open", { host: flow.host })}
          </Button>
        ) : null}
        {hostButton ? (
          <Button
            kind="primary"
            icon={<ExternalLink aria-hidden="true" size={18} />}
            onClick={() => {
              window.open(openRequest.url, "_blank", "noopener,noreferrer");
              clearOpenRequest();
            }}
          >
            {t("phase.consent.open", { host: openRequest.host })}
          </Button>
        ) : null}
        {flow.accepts.includes("openConsentAgain") ? (
          <Button
            icon={<ExternalLink aria-hidden="true" size={18} />}
            onClick={() => {
              void send({ type: "openConsentAgain" });
            }}
          >
            {t("action.openAgain")}
          </Button>
        ) : null}
        <CopyButton text={flow.verificationUri} label={t("action.copyLink")} kind="secondary" />
        <CancelButton flow={flow} />
      </Actions>
    </>
  );
}

function Done({ flow }: { readonly flow: Of<"done"> }) {
  const leaveFlow = useApp((state) => state.leaveFlow);
  const isNew = flow.role === "new_device";
  return (
    <>
      <div className="hero">
        <CircleCheck aria-hidden="true" size={88} className="done-icon" />
      </div>
      <ul className="results">
        <li>{t("phase.done.signedInAs", { user: flow.userId })}</li>
        <li className="mono">{t("phase.done.device", { device: flow.deviceId })}</li>
        <li className={flow.verified ? "result-ok" : "result-warn"}>
          {flow.verified
            ? t(isNew ? "phase.done.verified" : "phase.done.verifiedOther")
            : t(isNew ? "phase.done.notVerified" : "phase.done.notVerifiedOther")}
        </li>
        <li className={flow.backup ? "result-ok" : "result-warn"}>
          {t(flow.backup ? "phase.done.backup" : "phase.done.noBackup")}
        </li>
      </ul>
      <Actions>
        <Button
          kind="primary"
          onClick={() => {
            void leaveFlow();
          }}
        >
          {t("action.done")}
        </Button>
      </Actions>
    </>
  );
}
