// The live sequence diagram, drawn with our own SVG from layoutSequence (sequence-layout.ts): lifeline heads that
// stay in view while the rows scroll, one arrow per request or login message labelled with its step, folded polls
// as dotted lines with a count, the secure channel as a band. It follows the newest row unless the user scrolled
// away; a click (or Enter) on an arrow selects its transcript entry. Sized for a projector: 21 px labels in a
// 1080p picture are about 2 % of the screen's height, readable from the back of a room.
import {
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
  type RefObject,
} from "react";
import type { FlowRole, WireVersion } from "../../src-shared/flow";
import type { TranscriptEntry } from "../../src-shared/transcript";
import { t } from "../copy/format";
import { stepName } from "./EntryText";
import type { Palette } from "./palette";
import {
  DIAGRAM_METRICS as M,
  layoutSequence,
  type Lifeline,
  type LifelineId,
  type SequenceArrow,
  type SequenceFold,
  type SequenceLayout,
} from "./sequence-layout";

const FONT = "Inter, system-ui, sans-serif";
const MONO = "Inconsolata, ui-monospace, monospace";
const LABEL_SIZE = 21;
const DETAIL_SIZE = 17;
const BADGE_SIZE = 17;
const STEP_SIZE = 17;
/** A label starts this far right of its arrow's left end (clear of an activation bar or arrowhead). */
const LABEL_INSET = 22;
/** Average advance of a character, as a share of the font size (Inter's is about 0.55, Inconsolata's 0.5). */
const SANS_ADVANCE = 0.56;
const MONO_ADVANCE = 0.5;

export interface SequenceDiagramProps {
  readonly entries: readonly TranscriptEntry[];
  readonly role: FlowRole | undefined;
  readonly version: WireVersion | undefined;
  readonly palette: Palette;
  readonly selected: number | undefined;
  readonly onSelect: (index: number | undefined) => void;
  /** The drawing's width before the column has been measured (and in tests without layout). */
  readonly initialWidth?: number;
  /** Receives the drawing's element, for the export. */
  readonly svgRef?: RefObject<SVGSVGElement | null>;
}

/** `text` cut with "…" to at most `max` characters. */
function fit(text: string, max: number): string {
  if (max <= 1) return "…";
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}

function badgeWidth(step: string): number {
  return Math.round(step.length * BADGE_SIZE * MONO_ADVANCE + 14);
}

/** The scrolling column's inner size, followed as the window changes. */
function useSize(initial: number): [RefObject<HTMLDivElement | null>, number, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(initial);
  const [height, setHeight] = useState(0);
  useLayoutEffect(() => {
    const element = ref.current;
    if (element === null || typeof ResizeObserver === "undefined") return;
    const measure = () => {
      const next = Math.floor(element.clientWidth);
      if (next > 0) setWidth(next);
      setHeight(Math.floor(element.clientHeight));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => {
      observer.disconnect();
    };
  }, []);
  return [ref, width, height];
}

export function SequenceDiagram({
  entries,
  role,
  version,
  palette,
  selected,
  onSelect,
  initialWidth = 900,
  svgRef,
}: SequenceDiagramProps) {
  const [scrollRef, width, visibleHeight] = useSize(initialWidth);
  const layout = useMemo(() => layoutSequence(entries, { width }), [entries, width]);
  // The lifelines run to the bottom of the column even before the rows fill it (the export keeps the rows only).
  const height = Math.max(layout.height, visibleHeight);
  const following = useRef(true);
  const [detached, setDetached] = useState(false);

  // Follow the newest row unless the user scrolled up to read.
  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (element !== null && following.current) element.scrollTop = element.scrollHeight;
  }, [layout.rowCount, layout.height, scrollRef]);

  // A selection made elsewhere (the transcript pane) scrolls its arrow into view.
  useEffect(() => {
    if (selected === undefined) return;
    const element = scrollRef.current;
    const y = rowYOf(layout, selected);
    if (element === null || y === undefined) return;
    if (y < element.scrollTop + M.headerHeight || y > element.scrollTop + element.clientHeight - M.arrowRow) {
      following.current = false;
      setDetached(true);
      element.scrollTop = Math.max(0, y - element.clientHeight / 2);
    }
    // Only when the selection changes, not on every new row.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected]);

  const onScroll = () => {
    const element = scrollRef.current;
    if (element === null) return;
    const atEnd = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
    following.current = atEnd;
    setDetached(!atEnd);
  };

  const names = lifelineNames(role);
  const drawing = (
    <svg
      ref={svgRef}
      xmlns="http://www.w3.org/2000/svg"
      className="sequence-svg"
      width={layout.width}
      height={height}
      viewBox={`0 0 ${layout.width} ${height}`}
      fontFamily={FONT}
      role="group"
      data-content-height={layout.height}
      aria-label={t("demo.diagram.label")}
      data-arrows={layout.arrows.length}
      data-folds={layout.folds.length}
    >
      <rect width={layout.width} height={height} fill={palette.background} />
      {layout.bands.map((band) => (
        <g key={`band-${band.startIndex}`} data-kind="band">
          <rect
            x={band.x1 - 26}
            y={band.y1 + 4}
            width={band.x2 - band.x1 + 52}
            height={Math.max(0, band.y2 - band.y1 - 4)}
            rx={16}
            fill={palette.accentSoft}
            stroke={palette.accent}
            strokeOpacity={0.55}
            strokeWidth={2}
          />
          <BandLabel
            x={band.x2}
            y={band.y1 + 4}
            text={t("demo.band", { version: version ?? "" }).trim()}
            palette={palette}
          />
        </g>
      ))}
      <Lifelines layout={layout} bottom={height - 8} palette={palette} />
      {layout.steps.map((mark) => (
        <StepRow key={`step-${mark.index}`} layout={layout} mark={mark} palette={palette} />
      ))}
      {layout.folds.map((fold) => (
        <FoldRow
          key={`fold-${fold.indices[0] ?? 0}`}
          layout={layout}
          fold={fold}
          palette={palette}
          selected={selected !== undefined && fold.indices.includes(selected)}
          onSelect={onSelect}
        />
      ))}
      {layout.arrows.map((arrow) => (
        <ArrowRow
          key={`arrow-${arrow.index}`}
          layout={layout}
          arrow={arrow}
          palette={palette}
          selected={selected === arrow.index}
          onSelect={onSelect}
        />
      ))}
      <Heads layout={layout} palette={palette} names={names} />
    </svg>
  );

  return (
    <div className="sequence">
      <div className="sequence-scroll" ref={scrollRef} onScroll={onScroll}>
        {/* The heads again, pinned while the rows scroll under them; the drawing itself keeps its own. */}
        <svg
          className="sequence-heads"
          aria-hidden="true"
          width={layout.width}
          height={M.headerHeight}
          viewBox={`0 0 ${layout.width} ${M.headerHeight}`}
          fontFamily={FONT}
        >
          <rect width={layout.width} height={M.headerHeight} fill={palette.background} />
          <Heads layout={layout} palette={palette} names={names} />
        </svg>
        {drawing}
        {entries.length === 0 ? <p className="sequence-empty">{t("demo.diagram.empty")}</p> : null}
      </div>
      {detached ? (
        <button
          type="button"
          className="button button-secondary sequence-follow"
          onClick={() => {
            const element = scrollRef.current;
            following.current = true;
            setDetached(false);
            if (element !== null) element.scrollTop = element.scrollHeight;
          }}
        >
          <span>{t("demo.diagram.follow")}</span>
        </button>
      ) : null}
    </div>
  );
}

/** Where an entry's row is, for scrolling to it. */
function rowYOf(layout: SequenceLayout, index: number): number | undefined {
  return (
    layout.arrows.find((arrow) => arrow.index === index)?.y ??
    layout.folds.find((fold) => fold.indices.includes(index))?.y ??
    layout.steps.find((mark) => mark.index === index)?.y
  );
}

interface Names {
  readonly name: Readonly<Record<LifelineId, string>>;
  readonly sub: Readonly<Record<LifelineId, string | undefined>>;
}

function lifelineNames(role: FlowRole | undefined): Names {
  const other: FlowRole | undefined =
    role === undefined ? undefined : role === "new_device" ? "existing_device" : "new_device";
  return {
    name: {
      this_device: t("demo.lifeline.this_device"),
      server: t("demo.lifeline.server"),
      account: t("demo.lifeline.account"),
      other_device: t("demo.lifeline.other_device"),
    },
    sub: {
      this_device: role === undefined ? undefined : t(`demo.role.${role}`),
      server: t("demo.lifeline.serverSub"),
      account: t("demo.lifeline.accountSub"),
      other_device: other === undefined ? undefined : t(`demo.role.${other}`),
    },
  };
}

function headWidth(layout: SequenceLayout): number {
  const xs = layout.lifelines.map((line) => line.x);
  const spacing = xs.length > 1 ? Math.min(...xs.slice(1).map((x, i) => x - (xs[i] ?? 0))) : 220;
  return Math.max(120, Math.min(214, spacing - 16));
}

function Heads({
  layout,
  palette,
  names,
}: {
  readonly layout: SequenceLayout;
  readonly palette: Palette;
  readonly names: Names;
}) {
  const width = headWidth(layout);
  return (
    <g data-kind="heads">
      {layout.lifelines.map((line) => {
        const ours = line.id === "this_device";
        const sub = names.sub[line.id];
        return (
          <g key={line.id} data-lifeline={line.id}>
            <rect
              x={line.x - width / 2}
              y={12}
              width={width}
              height={68}
              rx={12}
              fill={ours ? palette.accentSoft : palette.surface}
              stroke={ours ? palette.accent : palette.lifeline}
              strokeWidth={ours ? 3 : 2}
            />
            <text
              x={line.x}
              y={sub === undefined ? 53 : 42}
              textAnchor="middle"
              fontSize={19}
              fontWeight={700}
              fill={palette.text}
            >
              {fit(names.name[line.id], Math.floor(width / (19 * SANS_ADVANCE)))}
            </text>
            {sub === undefined ? null : (
              <text x={line.x} y={66} textAnchor="middle" fontSize={15} fill={palette.secondary}>
                {fit(sub, Math.floor(width / (15 * SANS_ADVANCE)))}
              </text>
            )}
          </g>
        );
      })}
    </g>
  );
}

function Lifelines({
  layout,
  bottom,
  palette,
}: {
  readonly layout: SequenceLayout;
  readonly bottom: number;
  readonly palette: Palette;
}) {
  return (
    <g data-kind="lifelines">
      {layout.lifelines.map((line: Lifeline) => (
        <g key={line.id}>
          <line
            x1={line.x}
            x2={line.x}
            y1={M.headerHeight - 16}
            y2={bottom}
            stroke={palette.lifeline}
            strokeWidth={2}
            strokeDasharray="6 8"
          />
          {line.activeFrom === undefined || line.activeTo === undefined ? null : (
            <rect
              x={line.x - 7}
              y={line.activeFrom - 26}
              width={14}
              height={line.activeTo - line.activeFrom + 40}
              rx={4}
              fill={palette.surface}
              stroke={palette.lifeline}
              strokeWidth={2}
            />
          )}
        </g>
      ))}
    </g>
  );
}

function BandLabel({
  x,
  y,
  text,
  palette,
}: {
  readonly x: number;
  readonly y: number;
  readonly text: string;
  readonly palette: Palette;
}) {
  const width = Math.round(text.length * 15 * SANS_ADVANCE + 44);
  return (
    <g>
      <rect x={x - width / 2} y={y - 14} width={width} height={28} rx={14} fill={palette.accent} />
      <LockGlyph x={x - width / 2 + 14} y={y - 8} color={palette.background} />
      <text x={x - width / 2 + 34} y={y + 5} fontSize={15} fontWeight={700} fill={palette.background}>
        {text}
      </text>
    </g>
  );
}

/** A small padlock, drawn so the SVG needs no icon font. */
function LockGlyph({ x, y, color }: { readonly x: number; readonly y: number; readonly color: string }) {
  return (
    <g>
      <rect x={x} y={y + 6} width={13} height={10} rx={2} fill={color} />
      <path
        d={`M${x + 3} ${y + 6.5}v-2.5a3.5 3.5 0 0 1 7 0v2.5`}
        fill="none"
        stroke={color}
        strokeWidth={2}
      />
    </g>
  );
}

function StepBadge({
  x,
  y,
  step,
  palette,
}: {
  readonly x: number;
  readonly y: number;
  readonly step: string;
  readonly palette: Palette;
}) {
  const width = badgeWidth(step);
  return (
    <g>
      <rect x={x} y={y - 18} width={width} height={25} rx={6} fill={palette.accent} />
      <text
        x={x + width / 2}
        y={y}
        textAnchor="middle"
        fontFamily={MONO}
        fontSize={BADGE_SIZE}
        fontWeight={700}
        fill={palette.background}
      >
        {step}
      </text>
    </g>
  );
}

function StepRow({
  layout,
  mark,
  palette,
}: {
  readonly layout: SequenceLayout;
  readonly mark: SequenceLayout["steps"][number];
  readonly palette: Palette;
}) {
  const name = stepName(mark.step) ?? mark.name;
  const left = 16;
  const badge = mark.step === undefined ? 0 : badgeWidth(mark.step) + 10;
  // Room up to the other device's lifeline, where a band's label may sit.
  const right = (layout.lifelines.at(-1)?.x ?? layout.width) - 110;
  const max = Math.floor((right - left - badge) / (STEP_SIZE * SANS_ADVANCE));
  return (
    <g data-kind="step" data-step={mark.step}>
      <line
        x1={left}
        x2={layout.width - 16}
        y1={mark.y + 14}
        y2={mark.y + 14}
        stroke={palette.border}
        strokeWidth={1}
      />
      {mark.step === undefined ? null : (
        <StepBadge x={left} y={mark.y + 6} step={mark.step} palette={palette} />
      )}
      <text x={left + badge} y={mark.y + 6} fontSize={STEP_SIZE} fontWeight={600} fill={palette.secondary}>
        {fit(name, max)}
      </text>
    </g>
  );
}

function arrowHead(x: number, y: number, leftwards: boolean, color: string, hollow = false): ReactNode {
  const d = leftwards ? `M${x} ${y}l14 -7v14z` : `M${x} ${y}l-14 -7v14z`;
  return (
    <path
      d={d}
      fill={hollow ? "none" : color}
      stroke={hollow ? color : "none"}
      strokeWidth={hollow ? 2 : 0}
    />
  );
}

function activate(event: KeyboardEvent, run: () => void): void {
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    run();
  }
}

function Selection({
  layout,
  top,
  palette,
}: {
  readonly layout: SequenceLayout;
  readonly top: number;
  readonly palette: Palette;
}) {
  return (
    <rect
      data-selection=""
      x={6}
      y={top}
      width={layout.width - 12}
      height={M.arrowRow - 4}
      rx={10}
      fill={palette.focus}
      fillOpacity={0.14}
      stroke={palette.focus}
      strokeWidth={2}
    />
  );
}

function Label({
  x,
  y,
  step,
  text,
  detail,
  color,
  palette,
  layout,
  bold,
  suffix,
}: {
  readonly x: number;
  readonly y: number;
  readonly step: string | undefined;
  readonly text: string;
  readonly detail: string | undefined;
  readonly color: string;
  readonly palette: Palette;
  readonly layout: SequenceLayout;
  readonly bold: boolean;
  readonly suffix?: string;
}) {
  const badge = step === undefined ? 0 : badgeWidth(step) + 10;
  const room = layout.width - 12 - x;
  const labelMax = Math.floor((room - badge) / (LABEL_SIZE * SANS_ADVANCE)) - (suffix?.length ?? 0);
  const detailMax = Math.floor(room / (DETAIL_SIZE * MONO_ADVANCE));
  return (
    <>
      {step === undefined ? null : <StepBadge x={x} y={y - M.labelAbove} step={step} palette={palette} />}
      <text
        x={x + badge}
        y={y - M.labelAbove}
        fontSize={LABEL_SIZE}
        fontWeight={bold ? 700 : 600}
        fill={color}
      >
        {fit(text, labelMax)}
        {suffix === undefined ? null : (
          <tspan fontWeight={800} fill={palette.text}>
            {suffix}
          </tspan>
        )}
      </text>
      {detail === undefined ? null : (
        <text
          x={x}
          y={y + M.detailBelow}
          fontFamily={MONO}
          fontSize={DETAIL_SIZE}
          fontWeight={500}
          fill={palette.secondary}
        >
          {fit(detail, detailMax)}
        </text>
      )}
    </>
  );
}

function ArrowRow({
  layout,
  arrow,
  palette,
  selected,
  onSelect,
}: {
  readonly layout: SequenceLayout;
  readonly arrow: SequenceArrow;
  readonly palette: Palette;
  readonly selected: boolean;
  readonly onSelect: (index: number | undefined) => void;
}) {
  const leftwards = arrow.x2 < arrow.x1;
  const color =
    arrow.tone === "error" ? palette.critical : arrow.tone === "warn" ? palette.warning : palette.text;
  const lineColor = arrow.secure ? palette.accent : color;
  const start = Math.min(arrow.x1, arrow.x2);
  const end = arrow.x2 + (leftwards ? 3 : -3);
  const top = arrow.y - M.arrowLine + 2;
  const select = () => {
    onSelect(selected ? undefined : arrow.index);
  };
  return (
    <g
      data-kind="arrow"
      data-index={arrow.index}
      data-step={arrow.step}
      tabIndex={0}
      role="button"
      aria-pressed={selected}
      aria-label={[arrow.step, arrow.label, arrow.detail].filter(Boolean).join(", ")}
      className="sequence-arrow"
      onClick={select}
      onKeyDown={(event) => {
        activate(event, select);
      }}
    >
      {selected ? <Selection layout={layout} top={top} palette={palette} /> : null}
      <rect x={6} y={top} width={layout.width - 12} height={M.arrowRow - 4} fill="transparent" />
      <line
        x1={arrow.x1}
        x2={leftwards ? end + 14 : end - 14}
        y1={arrow.y}
        y2={arrow.y}
        stroke={lineColor}
        strokeWidth={arrow.secure ? 4 : 2.5}
        strokeLinecap="round"
      />
      {arrowHead(end, arrow.y, leftwards, lineColor)}
      <Label
        x={start + LABEL_INSET}
        y={arrow.y}
        step={arrow.step}
        text={arrow.label}
        detail={arrow.detail}
        color={arrow.secure ? palette.accent : color}
        palette={palette}
        layout={layout}
        bold={arrow.secure}
      />
    </g>
  );
}

function FoldRow({
  layout,
  fold,
  palette,
  selected,
  onSelect,
}: {
  readonly layout: SequenceLayout;
  readonly fold: SequenceFold;
  readonly palette: Palette;
  readonly selected: boolean;
  readonly onSelect: (index: number | undefined) => void;
}) {
  const leftwards = fold.x2 < fold.x1;
  const end = fold.x2 + (leftwards ? 3 : -3);
  const top = fold.y - M.arrowLine + 2;
  const first = fold.indices[0];
  const select = () => {
    onSelect(selected ? undefined : first);
  };
  const count = t("demo.fold.count", { count: fold.count });
  return (
    <g
      data-kind="fold"
      data-reason={fold.reason}
      data-count={fold.count}
      data-index={first}
      data-step={fold.step}
      tabIndex={0}
      role="button"
      aria-pressed={selected}
      aria-label={t("demo.fold.aria", {
        label: fold.label,
        count: fold.count,
      })}
      className="sequence-arrow"
      onClick={select}
      onKeyDown={(event) => {
        activate(event, select);
      }}
    >
      {selected ? <Selection layout={layout} top={top} palette={palette} /> : null}
      <rect x={6} y={top} width={layout.width - 12} height={M.arrowRow - 4} fill="transparent" />
      <line
        x1={fold.x1}
        x2={leftwards ? end + 14 : end - 14}
        y1={fold.y}
        y2={fold.y}
        stroke={palette.secondary}
        strokeWidth={3.5}
        strokeDasharray="0.5 9"
        strokeLinecap="round"
      />
      {arrowHead(end, fold.y, leftwards, palette.secondary, true)}
      <Label
        x={Math.min(fold.x1, fold.x2) + LABEL_INSET}
        y={fold.y}
        step={fold.step}
        text={`${fold.label}  `}
        suffix={count}
        detail={t(`demo.fold.${fold.reason}`)}
        color={palette.secondary}
        palette={palette}
        layout={layout}
        bold={false}
      />
    </g>
  );
}

/**
 * The drawing as a standalone SVG document: the same picture without the selection highlight and the keyboard
 * and screen-reader wiring, with the XML declaration, namespace and title a file needs.
 */
export function serializeDiagram(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  // The rows only, without the empty room below them that the column on screen had.
  const height = copy.getAttribute("data-content-height");
  if (height !== null) {
    copy.setAttribute("height", height);
    copy.setAttribute("viewBox", `0 0 ${copy.getAttribute("width") ?? "0"} ${height}`);
  }
  for (const element of copy.querySelectorAll("[data-selection]")) element.remove();
  for (const element of [copy, ...copy.querySelectorAll("*")]) {
    for (const name of ["tabindex", "role", "aria-pressed", "class"]) element.removeAttribute(name);
  }
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
  title.textContent = t("demo.diagram.label");
  copy.insertBefore(title, copy.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}
