// The flow screen: the latest snapshot decides what shows. Each phase has its own view (phases.tsx), inside the
// frame every flow screen shares. Buttons exist only for commands the snapshot accepts.
import { useEffect } from "react";
import type { FlowSnapshot } from "../../../src-shared/flow";
import { useApp } from "../../app-context";
import { FlowFrame } from "../../components/FlowFrame";
import { ProgressRing } from "../../components/ui";
import { errorCopy } from "../../copy/errors";
import { t } from "../../copy/format";
import { PHASE_STEP } from "../../copy/instructions";
import { phaseTitle } from "../../copy/phases";
import { prewarmQrDecoder } from "../../scanner/decode-client";
import { ErrorView } from "./ErrorView";
import { PhaseView } from "./phases";

const BEFORE_SCANNING = new Set<FlowSnapshot["phase"]>(["preflight", "instructions", "preparing"]);

export function FlowScreen() {
  const flow = useApp((state) => state.flow);
  const startError = useApp((state) => state.startError);
  const flowStart = useApp((state) => state.flowStart);
  const lastStep = useApp((state) => state.lastStep);
  // A flow that will scan: the QR decoder loads while the flow prepares, not after the camera's first frame.
  const willScan =
    flow === undefined
      ? flowStart?.side === "scan"
      : flow.side === "scanner" && BEFORE_SCANNING.has(flow.phase);
  useEffect(() => {
    if (willScan) prewarmQrDecoder();
  }, [willScan]);

  if (flow === undefined) {
    // Between `flow.start` and the first snapshot, or when starting failed.
    const role = flowStart?.kind === "link" ? "existing_device" : "new_device";
    const side = flowStart?.side === "scan" ? "scanner" : "generator";
    if (startError !== undefined) {
      const copy = errorCopy(startError, role);
      return (
        <FlowFrame
          role={role}
          side={side}
          version={flowStart?.version}
          step={0}
          failed
          heading={t(copy.title)}
        >
          <ErrorView error={startError} role={role} accepts={[]} />
        </FlowFrame>
      );
    }
    return (
      <FlowFrame
        role={role}
        side={side}
        version={flowStart?.version}
        step={0}
        heading={t(
          side === "generator" ? "phase.preparing.title.generator" : "phase.preparing.title.scanner",
        )}
      >
        <ProgressRing label={t("phase.preparing.lead")} large />
      </FlowFrame>
    );
  }

  return <FlowWithSnapshot flow={flow} lastStep={lastStep} />;
}

function FlowWithSnapshot({ flow, lastStep }: { readonly flow: FlowSnapshot; readonly lastStep: number }) {
  const step = PHASE_STEP[flow.phase] ?? lastStep;
  const heading =
    flow.phase === "error"
      ? t(errorCopy(flow.error, flow.role).title)
      : t(phaseTitle(flow.phase, flow.role, flow.side));
  const switchTo =
    flow.phase === "showing_qr" && flow.accepts.includes("switchVersion")
      ? flow.version === "v2024"
        ? "v2025"
        : "v2024"
      : undefined;
  return (
    <FlowFrame
      role={flow.role}
      side={flow.side}
      version={flow.version}
      step={step}
      failed={flow.phase === "error"}
      switchTo={switchTo}
      heading={heading}
      wide={flow.phase === "showing_qr" || flow.phase === "scanning"}
    >
      {/* The key restarts each phase view's own state (a typed digit, a copied notice) when the phase changes. */}
      <div className="phase" key={`${flow.flowId}:${flow.phase}`} data-phase={flow.phase}>
        <PhaseView flow={flow} />
      </div>
    </FlowFrame>
  );
}
