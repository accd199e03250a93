// An error's screen: what happened and what to do, from the copy table by code (and reason), the next step as
// the primary button, and "Copy diagnostic transcript" (Markdown) on every error.
import type { FlowError } from "../../../src-shared/errors";
import type { FlowCommandType, FlowRole } from "../../../src-shared/flow";
import { useApp, useAppStore } from "../../app-context";
import { Button, CopyButton, useCopy } from "../../components/ui";
import { errorCopy } from "../../copy/errors";
import { t } from "../../copy/format";
import { diagnosticMarkdown, entriesMarkdown } from "../../diagnostics";
import { QrCode } from "../../qr/QrCode";
import { bytesToBase64 } from "../../qr/matrix";
import { call } from "../../store";
import { useShowQrInstead } from "./show-instead";

export interface ErrorViewProps {
  readonly error: FlowError;
  readonly role: FlowRole;
  readonly accepts: readonly FlowCommandType[];
}

export function ErrorView({ error, role, accepts }: ErrorViewProps) {
  const copy = errorCopy(error, role);
  const store = useAppStore();
  const retry = useApp((state) => state.retry);
  const leaveFlow = useApp((state) => state.leaveFlow);
  const go = useApp((state) => state.go);
  const showQrInstead = useShowQrInstead(role);
  const canRestart = useApp((state) => state.flowStart !== undefined);
  const lastConsentUri = useApp((state) => state.lastConsentUri);
  const copyText = useCopy();

  const copyTranscript = async () => {
    const { engine, flow, transcript } = store.getState();
    let text: string;
    try {
      text = (await call(engine, "transcript.export", { format: "markdown" })).text;
    } catch (exportError) {
      console.warn("the engine could not export its transcript; using this view's entries", exportError);
      text = entriesMarkdown(transcript);
    }
    const host = window.matrixQrLogin?.host ?? (store.getState().preview ? "preview" : "unknown");
    await copyText(
      diagnosticMarkdown({ error, flow, host, now: Date.now() }, text),
      "action.transcriptCopied",
    );
  };

  const retryable = accepts.includes("newQr") || (error.retryable && canRestart);
  const primary = (() => {
    if (retryable) {
      return (
        <Button
          kind="primary"
          onClick={() => {
            void retry();
          }}
        >
          {t("action.tryAgain")}
        </Button>
      );
    }
    switch (error.code) {
      case "server_unsupported":
        return (
          <Button
            kind="primary"
            onClick={() => {
              void leaveFlow().then(() => {
                go("homeserver");
              });
            }}
          >
            {t("action.checkHomeserver")}
          </Button>
        );
      case "signed_out":
        return (
          <Button
            kind="primary"
            onClick={() => {
              void leaveFlow().then(() => {
                go("welcome");
              });
            }}
          >
            {t("welcome.signIn")}
          </Button>
        );
      default:
        return null;
    }
  })();

  return (
    <>
      <section className="error-card" aria-labelledby="error-cause">
        <h2 id="error-cause" className="section-title">
          {t("error.label")}
        </h2>
        <p>{t(copy.cause)}</p>
        <h2 className="section-title">{t("error.nextLabel")}</h2>
        <p>{t(copy.next)}</p>
        {error.code === "unable_to_open_browser" && lastConsentUri !== undefined ? (
          <div className="link-box">
            <p>{t("error.linkToOpen")}</p>
            <p className="mono link-text">{lastConsentUri}</p>
            <CopyButton text={lastConsentUri} label={t("action.copyLink")} kind="secondary" />
            {/* The link as a QR code: the phone's camera opens the page there instead. */}
            <div className="link-qr">
              <div className="qr-frame">
                <QrCode
                  bytes={bytesToBase64(new TextEncoder().encode(lastConsentUri))}
                  level="M"
                  available={200}
                  label={t("error.linkAsQr")}
                />
              </div>
              <p className="hint">{t("error.linkAsQr")}</p>
            </div>
          </div>
        ) : null}
        <p className="technical">
          {t("error.technical", {
            code: error.reason === undefined ? error.code : `${error.code} · ${error.reason}`,
          })}
        </p>
      </section>
      <div className="actions">
        {primary}
        {error.code === "camera_unavailable" ? (
          <Button
            kind={primary === null ? "primary" : "secondary"}
            onClick={() => {
              void showQrInstead();
            }}
          >
            {t("action.showQrInstead")}
          </Button>
        ) : null}
        {error.code === "server_unsupported" && role === "new_device" ? (
          <Button
            onClick={() => {
              void leaveFlow().then(() => {
                go("manual_sign_in");
              });
            }}
          >
            {t("action.signInWithBrowser")}
          </Button>
        ) : null}
        <Button
          kind={primary === null && error.code !== "camera_unavailable" ? "primary" : "secondary"}
          onClick={() => {
            void leaveFlow();
          }}
        >
          {t("action.close")}
        </Button>
      </div>
      <div className="quiet-actions">
        <button
          type="button"
          className="link-button"
          onClick={() => {
            void copyTranscript();
          }}
        >
          {t("action.copyTranscript")}
        </button>
      </div>
    </>
  );
}
