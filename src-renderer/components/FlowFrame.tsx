// The frame of every flow screen: a header (back, title, the wire version chip, help), the steps of this
// direction with the current one marked, then the screen's own content.
import { useState, type ReactNode } from "react";
import { ArrowLeft, Check, CircleQuestionMark, X } from "lucide-react";
import type { FlowRole, FlowSide, WireVersion } from "../../src-shared/flow";
import { useApp } from "../app-context";
import { ProjectorToggle } from "../demo/ProjectorToggle";
import { t } from "../copy/format";
import { stepsOf } from "../copy/instructions";
import type { PlainKey } from "../copy/format";
import { Button, Dialog } from "./ui";

export interface FlowFrameProps {
  readonly role: FlowRole;
  readonly side: FlowSide;
  readonly version: WireVersion | undefined;
  /** 0-based step; 4 = all done. */
  readonly step: number;
  readonly failed?: boolean;
  /** The other version, when the flow accepts switching to it now. */
  readonly switchTo?: WireVersion | undefined;
  readonly heading: string;
  /** The QR code and the scanner sit beside their instructions on wide windows. */
  readonly wide?: boolean;
  readonly children: ReactNode;
}

export function FlowFrame({
  role,
  side,
  version,
  step,
  failed = false,
  switchTo,
  heading,
  wide = false,
  children,
}: FlowFrameProps) {
  const leaveFlow = useApp((state) => state.leaveFlow);
  const send = useApp((state) => state.send);
  const [help, setHelp] = useState(false);
  return (
    <div className={wide ? "flow flow-wide" : "flow"}>
      <header className="flow-header">
        <Button
          kind="quiet"
          className="flow-back"
          icon={<ArrowLeft aria-hidden="true" size={20} />}
          onClick={() => {
            void leaveFlow();
          }}
        >
          {t("action.back")}
        </Button>
        <div className="flow-title">{t(`flow.title.${role}`)}</div>
        <div className="flow-header-end">
          {version === undefined ? null : switchTo === undefined ? (
            <span className="chip" title={t("flow.versionLabel", { version })}>
              <span className="visually-hidden">{t("flow.versionLabel", { version })}</span>
              <span aria-hidden="true">{t("flow.version", { version })}</span>
            </span>
          ) : (
            <button
              type="button"
              className="chip chip-button"
              title={t("flow.switchVersion", { version: switchTo })}
              aria-label={t("flow.versionChipLabel", { version, other: switchTo })}
              onClick={() => {
                void send({ type: "switchVersion", version: switchTo });
              }}
            >
              {t("flow.version", { version })}
              <span aria-hidden="true" className="chip-swap">
                ⇄
              </span>
            </button>
          )}
          <ProjectorToggle />
          <Button
            kind="quiet"
            className="icon-button"
            aria-label={t("action.help")}
            title={t("action.help")}
            icon={<CircleQuestionMark aria-hidden="true" size={22} />}
            onClick={() => {
              setHelp(true);
            }}
          >
            <span className="visually-hidden">{t("action.help")}</span>
          </Button>
        </div>
      </header>
      <Steps side={side} step={step} failed={failed} />
      <main id="content" className="flow-body" tabIndex={-1}>
        <h1 className="flow-heading">{heading}</h1>
        {children}
      </main>
      {help ? (
        <HelpDialog
          onClose={() => {
            setHelp(false);
          }}
        />
      ) : null}
    </div>
  );
}

function Steps({
  side,
  step,
  failed,
}: {
  readonly side: FlowSide;
  readonly step: number;
  readonly failed: boolean;
}) {
  const steps = stepsOf(side);
  return (
    <nav className="steps" aria-label={t("flow.steps")}>
      <p className="visually-hidden">
        {t("flow.stepOf", { current: Math.min(step + 1, steps.length), total: steps.length })}
      </p>
      <ol>
        {steps.map((key: PlainKey, index) => {
          const state = index < step ? "done" : index === step ? (failed ? "failed" : "current") : "todo";
          const label = t(key);
          return (
            <li
              key={key}
              className={`step step-${state}`}
              aria-current={state === "current" ? "step" : undefined}
            >
              <span className="step-marker" aria-hidden="true">
                {state === "done" ? (
                  <Check size={14} strokeWidth={3} />
                ) : state === "failed" ? (
                  <X size={14} strokeWidth={3} />
                ) : (
                  index + 1
                )}
              </span>
              <span className="step-label">
                {state === "done" ? (
                  <>
                    <span aria-hidden="true">{label}</span>
                    <span className="visually-hidden">{t("flow.stepDone", { step: label })}</span>
                  </>
                ) : (
                  label
                )}
              </span>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

function HelpDialog({ onClose }: { readonly onClose: () => void }) {
  const sections: readonly [PlainKey, PlainKey][] = [
    ["help.qr.title", "help.qr.body"],
    ["help.checkCode.title", "help.checkCode.body"],
    ["help.userCode.title", "help.userCode.body"],
    ["help.safety.title", "help.safety.body"],
  ];
  return (
    <Dialog title={t("help.title")} onClose={onClose}>
      {sections.map(([title, body]) => (
        <section key={title} className="help-section">
          <h3>{t(title)}</h3>
          <p>{t(body)}</p>
        </section>
      ))}
    </Dialog>
  );
}
