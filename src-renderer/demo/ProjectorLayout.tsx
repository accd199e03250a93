// Projector mode (docs/ux.md "Demo mode"): the flow screen with a big QR code (error correction Q), a giant check
// code and user code and large type, side by side with the live sequence diagram and the transcript pane (which
// folds away). Everything shown comes from the store's snapshot and transcript, each entry sanitised again on its
// way in. The wire version chip stays in the flow's header, switchable while the QR code is shown.
import { useEffect, useMemo, useRef } from "react";
import { Download, X } from "lucide-react";
import type { FlowRole, FlowSide } from "../../src-shared/flow";
import type { TranscriptEntry } from "../../src-shared/transcript";
import { useApp } from "../app-context";
import { Button } from "../components/ui";
import { t } from "../copy/format";
import { FlowScreen } from "../screens/flow/FlowScreen";
import { demoStore, useDemo, useProjector } from "./demo-state";
import { downloadText } from "./download";
import { offsetText, sanitisedAll } from "./entry-text";
import { EntryLine, sizesText, stepName } from "./EntryText";
import { layoutSequence } from "./sequence-layout";
import { SequenceDiagram, serializeDiagram } from "./SequenceDiagram";
import { PALETTES, useResolvedTheme } from "./palette";
import { TranscriptPane } from "./TranscriptPane";
import "./demo.css";

export const DIAGRAM_FILE = "sign-in-sequence.svg";

/** The flow view: projector mode's layout when it is on, the plain flow screen otherwise. */
export function FlowView() {
  return useProjector() ? <ProjectorLayout /> : <FlowScreen />;
}

function perspectiveKey(role: FlowRole, side: FlowSide) {
  return `demo.perspective.${role}.${side}` as const;
}

export function ProjectorLayout() {
  const items = useApp((state) => state.transcript);
  const flow = useApp((state) => state.flow);
  const flowStart = useApp((state) => state.flowStart);
  const announce = useApp((state) => state.announce);
  const selected = useDemo((state) => state.selected);
  const transcriptOpen = useDemo((state) => state.transcriptOpen);
  const theme = useResolvedTheme();
  const palette = PALETTES[theme];
  const svgRef = useRef<SVGSVGElement>(null);
  // Rebuilt by the transcript's own rules, whatever the engine sent (entry-text.ts).
  const entries = useMemo(() => sanitisedAll(items), [items]);

  const role: FlowRole | undefined =
    flow?.role ??
    (flowStart === undefined ? undefined : flowStart.kind === "link" ? "existing_device" : "new_device");
  const side: FlowSide | undefined =
    flow?.side ?? (flowStart === undefined ? undefined : flowStart.side === "scan" ? "scanner" : "generator");

  // A new flow starts a new transcript: a selection from the old one means nothing there.
  useEffect(() => {
    if (selected !== undefined && selected >= entries.length) demoStore.getState().select(undefined);
  }, [entries.length, selected]);

  const select = (index: number | undefined) => {
    demoStore.getState().select(index);
  };

  return (
    <div className={transcriptOpen ? "projector" : "projector projector-transcript-closed"}>
      <section className="projector-flow">
        <FlowScreen />
      </section>
      <section className="projector-diagram" aria-labelledby="diagram-title">
        <header className="projector-diagram-header">
          <div>
            <h2 id="diagram-title" className="projector-diagram-title">
              {t("demo.diagram.title")}
            </h2>
            {role === undefined || side === undefined ? null : (
              <p className="projector-perspective">{t(perspectiveKey(role, side))}</p>
            )}
          </div>
          <Button
            kind="secondary"
            icon={<Download aria-hidden="true" />}
            disabled={entries.length === 0}
            onClick={() => {
              const svg = svgRef.current;
              if (svg === null) return;
              downloadText(DIAGRAM_FILE, serializeDiagram(svg), "image/svg+xml");
              announce(t("demo.saved", { file: DIAGRAM_FILE }));
            }}
          >
            {t("demo.diagram.exportSvg")}
          </Button>
        </header>
        <SequenceDiagram
          entries={entries}
          role={role}
          version={flow?.version ?? flowStart?.version}
          palette={palette}
          selected={selected}
          onSelect={select}
          svgRef={svgRef}
        />
        {selected === undefined || entries[selected] === undefined ? null : (
          <EntryCard
            entries={entries}
            index={selected}
            onClose={() => {
              select(undefined);
            }}
          />
        )}
      </section>
      <TranscriptPane
        entries={entries}
        selected={selected}
        onSelect={select}
        open={transcriptOpen}
        onOpenChange={(next) => {
          demoStore.getState().setTranscriptOpen(next);
        }}
      />
    </div>
  );
}

/** The selected entry in full, under the diagram; for a folded poll, how many and over how long. */
function EntryCard({
  entries,
  index,
  onClose,
}: {
  readonly entries: readonly TranscriptEntry[];
  readonly index: number;
  readonly onClose: () => void;
}) {
  const entry = entries[index];
  const fold = useMemo(
    () => layoutSequence(entries).folds.find((candidate) => candidate.indices.includes(index)),
    [entries, index],
  );
  if (entry === undefined) return null;
  const first = entries[0]?.time;
  const sizes = sizesText(entry);
  const name = stepName(entry.step);
  return (
    <section className="entry-card" aria-labelledby="entry-card-title">
      <header className="entry-card-header">
        <h3 id="entry-card-title" className="entry-card-title">
          {t("demo.entry.title")}
          {entry.step === undefined ? null : <span className="entry-card-step">{entry.step}</span>}
          {name === undefined ? null : <span className="entry-card-step-name">{name}</span>}
        </h3>
        <Button
          kind="quiet"
          className="icon-button"
          aria-label={t("demo.entry.close")}
          title={t("demo.entry.close")}
          icon={<X aria-hidden="true" />}
          onClick={onClose}
        >
          <span className="visually-hidden">{t("demo.entry.close")}</span>
        </Button>
      </header>
      <p className="entry-card-line">
        <span className="entry-time">{offsetText(entry.time, first)}</span>{" "}
        <span className="entry-layer">{entry.layer}</span> <EntryLine entry={entry} />
      </p>
      {sizes === undefined ? null : <p className="entry-card-meta">{sizes}</p>}
      {fold === undefined ? null : (
        <p className="entry-card-meta">
          {t("demo.entry.foldedPolls", {
            count: fold.count,
            first: offsetText(fold.firstTime, first),
            last: offsetText(fold.lastTime, first),
          })}
        </p>
      )}
    </section>
  );
}
