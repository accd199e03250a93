// Pieces of the flow screens: the quiet countdown, the numbered instructions of a direction, the safety line
// of the QR screens, and the list of checks (preflight and homeserver doctor alike).
import { CircleCheck, CircleDashed, CircleMinus, CircleX, ShieldExclamationPoint } from "lucide-react";
import type { FlowRole, FlowSide, WireVersion } from "../../src-shared/flow";
import { CHECK_STATUS, causeCopy, checkLabel, type CheckStatus } from "../copy/checks";
import { t } from "../copy/format";
import { instructionsFor } from "../copy/instructions";
import type { PlainKey } from "../copy/format";
import { clock, useNow } from "./ui";

/** "Expires in 0:48" on the QR screen (which says a new one follows), "Time left: 0:41" elsewhere. */
export function Countdown({
  expiresAt,
  qr = false,
}: {
  readonly expiresAt: number | undefined;
  readonly qr?: boolean;
}) {
  const now = useNow(1000);
  if (expiresAt === undefined) return null;
  const left = expiresAt - now;
  if (qr) {
    return (
      <p className="countdown" role="timer" aria-live="off">
        {left > 0 ? (
          <>
            <span>{t("flow.expiresIn", { time: clock(left) })}</span>
            <span aria-hidden="true"> · </span>
            <span>{t("flow.qrReplaced")}</span>
          </>
        ) : (
          <span>{t("flow.qrReplacing")}</span>
        )}
      </p>
    );
  }
  return (
    <p className="countdown" role="timer" aria-live="off">
      {t("flow.timeLeft", { time: clock(left) })}
    </p>
  );
}

export function Instructions({
  role,
  side,
  version,
  canSwitchVersion = false,
}: {
  readonly role: FlowRole;
  readonly side: FlowSide;
  readonly version: WireVersion;
  /** Whether the flow takes `switchVersion` now (the header's version button works). */
  readonly canSwitchVersion?: boolean;
}) {
  const steps: readonly PlainKey[] = instructionsFor(role, side, version);
  // A person holding Element X meets a v2025 code it cannot read: say so, and how to get one it can.
  const elementXNote = version === "v2025" && side === "generator";
  return (
    <section className="instructions" aria-labelledby="instructions-title">
      <h2 id="instructions-title" className="section-title">
        {t("flow.instructionsTitle")}
      </h2>
      <ol>
        {steps.map((key) => (
          <li key={key}>{t(key)}</li>
        ))}
      </ol>
      {elementXNote ? (
        <p className="explain instructions-note">
          {t("instructions.v2025.elementX")}
          {canSwitchVersion ? <> {t("instructions.v2025.switch")}</> : null}
        </p>
      ) : null}
    </section>
  );
}

export function SafetyLine({ showing }: { readonly showing: boolean }) {
  return (
    <p className="safety">
      <ShieldExclamationPoint aria-hidden="true" size={20} />
      <span>{t(showing ? "flow.safetyShow" : "flow.safety")}</span>
    </p>
  );
}

export interface CheckRow {
  readonly id: string;
  readonly status: CheckStatus;
  readonly cause?: string | undefined;
}

const STATUS_ICON = {
  ok: CircleCheck,
  failed: CircleX,
  skipped: CircleMinus,
  pending: CircleDashed,
} as const;

export function CheckList({ checks }: { readonly checks: readonly CheckRow[] }) {
  return (
    <ul className="checks">
      {checks.map((check) => {
        const Icon = STATUS_ICON[check.status];
        const label = checkLabel(check.id);
        const cause = check.cause === undefined ? undefined : causeCopy(check.cause);
        return (
          <li key={check.id} className={`check check-${check.status}`}>
            <Icon aria-hidden="true" size={22} className="check-icon" />
            <div className="check-text">
              <div className="check-label">
                {label === undefined ? t("doctor.unknownCheck", { id: check.id }) : t(label)}
              </div>
              <div className="check-status">
                <span className="visually-hidden">{t(CHECK_STATUS[check.status])}: </span>
                {check.status === "ok" ? (
                  <span aria-hidden="true">{t(CHECK_STATUS.ok)}</span>
                ) : check.cause === undefined ? (
                  <span aria-hidden="true">{t(CHECK_STATUS[check.status])}</span>
                ) : cause === undefined ? (
                  t("doctor.unknownCause", { cause: check.cause })
                ) : (
                  t(cause)
                )}
              </div>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
