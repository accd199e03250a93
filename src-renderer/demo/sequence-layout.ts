// The live sequence diagram as data: where each lifeline, arrow, folded poll, step marker and the secure-channel
// band sits, computed from one device's transcript (docs/ux.md "Demo mode"). Pure: the same entries always give
// the same picture, so the unit tests read it without a browser and SequenceDiagram.tsx only draws it.
//
// The lifelines, left to right: the account provider (only once an OAuth call reached it), this device, the
// homeserver (the rendezvous and the client API: one server in every deployment we know), the other device.
// Each HTTP call is one arrow from this device to the server it called; each login message one arrow between
// the two devices, crossing the homeserver's lifeline as it crosses the rendezvous on the wire. The band behind
// them is the secure channel, from the end of the handshake (docs/protocol.md §5: G after step 4, S after 3).
//
// Polls that found nothing fold into one dotted line with a count: a v2024 GET answered 304, a v2025 GET whose
// sequence token is the one this device already knew (§2.2: no 304 there), a token-endpoint poll answered
// `authorization_pending` (400, 403 on MAS), and the existing device's "is the new device there yet?" GET that
// answered 404 (A-G11, B-S10). Nothing else folds: every other entry is one arrow. (The Matrix client's own
// housekeeping, its sync loop, key queries and backup checks, is no transcript entry: src-main/engine/flow-calls.ts.)
import type {
  HttpTranscriptEntry,
  MessageTranscriptEntry,
  TranscriptEntry,
} from "../../src-shared/transcript";
import { shortPath, shortToken } from "./entry-text";

export type LifelineId = "account" | "this_device" | "server" | "other_device";

export interface Lifeline {
  readonly id: LifelineId;
  readonly x: number;
  /** The host the calls to it went to, when known. */
  readonly host?: string;
  /** Where it takes part (its first and last arrow's y); the account provider is idle outside OAuth. */
  readonly activeFrom?: number;
  readonly activeTo?: number;
}

export type Tone = "normal" | "warn" | "error";

export interface SequenceArrow {
  /** The entry's index in the transcript given to `layoutSequence`. */
  readonly index: number;
  readonly entry: HttpTranscriptEntry | MessageTranscriptEntry;
  readonly row: number;
  /** The arrow line's y; its label sits above it, its detail below. */
  readonly y: number;
  readonly from: LifelineId;
  readonly to: LifelineId;
  readonly x1: number;
  readonly x2: number;
  readonly step: string | undefined;
  /** What happened, in protocol terms: `PUT rendezvous → 202`, `m.login.protocol`. */
  readonly label: string;
  /** Bookkeeping under the line: the ETag or sequence token, a message's field names, an error. */
  readonly detail: string | undefined;
  readonly tone: Tone;
  /** A login message, drawn through the secure channel. */
  readonly secure: boolean;
}

export interface SequenceFold {
  /** The folded entries' indices, in order. */
  readonly indices: readonly number[];
  readonly count: number;
  readonly row: number;
  readonly y: number;
  readonly from: LifelineId;
  readonly to: LifelineId;
  readonly x1: number;
  readonly x2: number;
  readonly step: string | undefined;
  /** The poll as an arrow would say it: `GET rendezvous → 304`. */
  readonly label: string;
  /** Why it found nothing: a 304, an unchanged sequence token, a pending grant, a device not there yet. */
  readonly reason: "not_modified" | "same_token" | "pending" | "not_yet";
  readonly firstTime: number;
  readonly lastTime: number;
}

export interface SequenceBand {
  /** The entry that marks the channel's start, and the last entry it carried so far. */
  readonly startIndex: number;
  readonly endIndex: number;
  readonly y1: number;
  readonly y2: number;
  readonly x1: number;
  readonly x2: number;
}

export interface SequenceStepMark {
  readonly index: number;
  readonly row: number;
  /** The middle of its row. */
  readonly y: number;
  readonly step: string | undefined;
  readonly name: string;
}

export interface SequenceLayout {
  readonly width: number;
  readonly height: number;
  /** The lifeline heads' band at the top. */
  readonly headerHeight: number;
  readonly lifelines: readonly Lifeline[];
  readonly arrows: readonly SequenceArrow[];
  readonly folds: readonly SequenceFold[];
  readonly bands: readonly SequenceBand[];
  readonly steps: readonly SequenceStepMark[];
  readonly rowCount: number;
}

export interface LayoutOptions {
  /** The drawing's width in pixels (the diagram's column); rows have fixed heights. */
  readonly width?: number;
}

export const DIAGRAM_METRICS = {
  width: 1000,
  headerHeight: 96,
  arrowRow: 68,
  /** The arrow line's offset from its row's top. */
  arrowLine: 38,
  stepRow: 46,
  footer: 28,
  /** Room beside the outer lifelines for their heads. */
  margin: 112,
  /** The label's baseline above the arrow, the detail's below it. */
  labelAbove: 11,
  detailBelow: 21,
} as const;

/** The lifelines in the order they stand, left to right. */
const ORDER: readonly LifelineId[] = ["account", "this_device", "server", "other_device"];

const STEP_ID = /^([AB])-([GS])(\d+)$/;

/** Which part of the flow a step belongs to: the handshake (G1-G4, S1-S3) or after it. */
function stepPhase(step: string | undefined): "handshake" | "channel" | undefined {
  const match = step === undefined ? null : STEP_ID.exec(step);
  if (match === null) return undefined;
  const number = Number(match[3]);
  const handshakeEnd = match[2] === "G" ? 4 : 3;
  return number <= handshakeEnd ? "handshake" : "channel";
}

/** The token-endpoint polls (A-S7, B-G10) and the existing device's wait for the new one (A-G11, B-S10). */
const TOKEN_POLL_STEPS = new Set(["A-S7", "B-G10"]);
const DEVICE_POLL_STEPS = new Set(["A-G11", "B-S10"]);
/** The existing device's "must not exist yet" check (A-G7, B-S6): a 404 is the good answer. */
const DEVICE_ABSENT_STEPS = new Set(["A-G7", "B-S6"]);

function lifelineOf(entry: HttpTranscriptEntry | MessageTranscriptEntry): {
  from: LifelineId;
  to: LifelineId;
} {
  if (entry.kind === "message") {
    return entry.direction === "sent"
      ? { from: "this_device", to: "other_device" }
      : { from: "other_device", to: "this_device" };
  }
  return { from: "this_device", to: serverOf(entry) };
}

/**
 * Where an HTTP call went: OAuth calls to the account provider, except discovery under `/_matrix/`, which the
 * homeserver answers (docs/protocol.md §6); everything else to the homeserver.
 */
function serverOf(entry: HttpTranscriptEntry): LifelineId {
  return entry.layer === "oauth" && !entry.path.startsWith("/_matrix/") ? "account" : "server";
}

interface PollState {
  lastEtag: string | undefined;
  lastToken: string | undefined;
}

/** Whether an HTTP entry is a poll that found nothing, and why; updates what this device knows of the cell. */
function emptyPoll(entry: HttpTranscriptEntry, state: PollState): SequenceFold["reason"] | undefined {
  if (entry.layer === "rendezvous") {
    const knownEtag = state.lastEtag;
    const knownToken = state.lastToken;
    if (entry.etag !== undefined) state.lastEtag = entry.etag;
    if (entry.sequenceToken !== undefined) state.lastToken = entry.sequenceToken;
    if (entry.method !== "GET" || entry.error !== undefined) return undefined;
    if (entry.status === 304) return "not_modified";
    if (entry.status !== 200) return undefined;
    if (entry.sequenceToken !== undefined && entry.sequenceToken === knownToken) return "same_token";
    if (entry.etag !== undefined && entry.etag === knownEtag) return "not_modified";
    return undefined;
  }
  if (
    entry.layer === "oauth" &&
    entry.method === "POST" &&
    /\/token$/.test(entry.path) &&
    (entry.status === 400 || entry.status === 403 || entry.status === 429) &&
    (entry.step === undefined || TOKEN_POLL_STEPS.has(entry.step))
  ) {
    return "pending";
  }
  if (
    entry.layer === "matrix" &&
    entry.method === "GET" &&
    entry.path.includes("/devices/") &&
    entry.status === 404 &&
    entry.step !== undefined &&
    DEVICE_POLL_STEPS.has(entry.step)
  ) {
    return "not_yet";
  }
  return undefined;
}

function httpLabel(entry: HttpTranscriptEntry): string {
  const outcome = entry.status === undefined ? (entry.error === undefined ? "…" : "✕") : `${entry.status}`;
  return `${entry.method} ${shortPath(entry.layer, entry.path)} → ${outcome}`;
}

function httpDetail(entry: HttpTranscriptEntry): string | undefined {
  if (entry.error !== undefined)
    return entry.error.length > 60 ? `${entry.error.slice(0, 59)}…` : entry.error;
  if (entry.sequenceToken !== undefined) return `sequence token ${shortToken(entry.sequenceToken)}`;
  if (entry.etag !== undefined) return `ETag ${shortToken(entry.etag)}`;
  return undefined;
}

function messageDetail(entry: MessageTranscriptEntry): string | undefined {
  if (entry.fields === undefined || entry.fields.length === 0) return undefined;
  const text = entry.fields.join(", ");
  return text.length > 72 ? `${text.slice(0, 71)}…` : text;
}

/** How an entry reads: an error, a warning (a 4xx that is not the answer hoped for), or neither. */
export function toneOf(entry: TranscriptEntry): Tone {
  if (entry.kind === "step") return "normal";
  if (entry.kind === "message") return entry.messageType === "m.login.failure" ? "warn" : "normal";
  if (entry.error !== undefined || (entry.status !== undefined && entry.status >= 500)) return "error";
  if (entry.status !== undefined && entry.status >= 400) {
    const expectedAbsence =
      entry.status === 404 && entry.step !== undefined && DEVICE_ABSENT_STEPS.has(entry.step);
    return expectedAbsence ? "normal" : "warn";
  }
  return "normal";
}

type Row =
  | {
      readonly kind: "arrow";
      readonly index: number;
      readonly entry: HttpTranscriptEntry | MessageTranscriptEntry;
    }
  | {
      readonly kind: "fold";
      readonly row: number;
      readonly indices: number[];
      readonly entry: HttpTranscriptEntry;
      readonly reason: SequenceFold["reason"];
      lastTime: number;
    }
  | { readonly kind: "step"; readonly index: number; readonly entry: TranscriptEntry & { kind: "step" } };

interface OpenBand {
  startIndex: number;
  startRow: number;
  endIndex: number;
  endRow: number;
}

/**
 * Lays out one device's transcript as a sequence diagram: one arrow per HTTP call or login message that is not a
 * folded poll, one dotted line per run of folded polls, one marker row per step entry, and a band for each
 * stretch of the secure channel.
 */
export function layoutSequence(
  entries: readonly TranscriptEntry[],
  options: LayoutOptions = {},
): SequenceLayout {
  const m = DIAGRAM_METRICS;
  const width = Math.max(480, Math.round(options.width ?? m.width));

  // 1. Rows, in transcript order, with folds and bands decided as the entries come.
  const rows: Row[] = [];
  const open = new Map<string, Row & { kind: "fold" }>();
  const polls: PollState = { lastEtag: undefined, lastToken: undefined };
  const bands: OpenBand[] = [];
  let band: OpenBand | undefined;
  const hosts: Partial<Record<LifelineId, string>> = {};

  entries.forEach((entry, index) => {
    if (entry.kind === "step") {
      open.clear();
      const phase = stepPhase(entry.step);
      if (phase === "handshake" && band !== undefined) band = undefined;
      rows.push({ kind: "step", index, entry });
      if (phase === "channel" && band === undefined) {
        band = { startIndex: index, startRow: rows.length - 1, endIndex: index, endRow: rows.length - 1 };
        bands.push(band);
      }
      return;
    }
    if (entry.kind === "http") {
      if (entry.host !== undefined) hosts[serverOf(entry)] ??= entry.host;
      const reason = emptyPoll(entry, polls);
      if (reason !== undefined) {
        const key = `${entry.layer} ${entry.method} ${entry.path} ${reason}`;
        let fold = open.get(key);
        if (fold !== undefined) {
          fold.indices.push(index);
          fold.lastTime = entry.time;
        } else {
          fold = {
            kind: "fold",
            row: rows.length,
            indices: [index],
            entry,
            reason,
            lastTime: entry.time,
          };
          open.set(key, fold);
          rows.push(fold);
        }
        if (band !== undefined && entry.layer === "rendezvous") {
          band.endIndex = index;
          band.endRow = Math.max(band.endRow, fold.row);
        }
        return;
      }
    }
    open.clear();
    if (entry.kind === "message" && band === undefined) {
      band = { startIndex: index, startRow: rows.length, endIndex: index, endRow: rows.length };
      bands.push(band);
    }
    rows.push({ kind: "arrow", index, entry });
    if (band !== undefined && (entry.kind === "message" || entry.layer === "rendezvous")) {
      band.endIndex = index;
      band.endRow = rows.length - 1;
    }
  });

  // 2. Lifelines: the account provider only once OAuth took part.
  const used = new Set<LifelineId>(["this_device", "server", "other_device"]);
  if (rows.some((row) => row.kind !== "step" && lifelineOf(row.entry).to === "account")) used.add("account");
  const present = ORDER.filter((id) => used.has(id));
  const span = width - 2 * m.margin;
  const xOf = new Map<LifelineId, number>(
    present.map((id, i) => [id, Math.round(m.margin + (span * i) / (present.length - 1))]),
  );
  const x = (id: LifelineId): number => xOf.get(id) ?? m.margin;

  // 3. Rows to y.
  const tops: number[] = [];
  let y = m.headerHeight;
  for (const row of rows) {
    tops.push(y);
    y += row.kind === "step" ? m.stepRow : m.arrowRow;
  }
  const height = y + m.footer;
  const lineY = (row: number): number => (tops[row] ?? m.headerHeight) + m.arrowLine;

  const arrows: SequenceArrow[] = [];
  const folds: SequenceFold[] = [];
  const steps: SequenceStepMark[] = [];
  rows.forEach((row, rowIndex) => {
    if (row.kind === "step") {
      steps.push({
        index: row.index,
        row: rowIndex,
        y: (tops[rowIndex] ?? 0) + m.stepRow / 2,
        step: row.entry.step,
        name: row.entry.name,
      });
      return;
    }
    const { from, to } = lifelineOf(row.entry);
    if (row.kind === "fold") {
      folds.push({
        indices: [...row.indices],
        count: row.indices.length,
        row: rowIndex,
        y: lineY(rowIndex),
        from,
        to,
        x1: x(from),
        x2: x(to),
        step: row.entry.step,
        label: httpLabel(row.entry),
        reason: row.reason,
        firstTime: row.entry.time,
        lastTime: row.lastTime,
      });
      return;
    }
    const entry = row.entry;
    arrows.push({
      index: row.index,
      entry,
      row: rowIndex,
      y: lineY(rowIndex),
      from,
      to,
      x1: x(from),
      x2: x(to),
      step: entry.step,
      label: entry.kind === "message" ? entry.messageType : httpLabel(entry),
      detail: entry.kind === "message" ? messageDetail(entry) : httpDetail(entry),
      tone: toneOf(entry),
      secure: entry.kind === "message",
    });
  });

  const accountRows = [...arrows, ...folds].filter((item) => item.to === "account").map((item) => item.y);
  const lifelines: Lifeline[] = present.map((id) => ({
    id,
    x: x(id),
    ...(hosts[id] === undefined ? {} : { host: hosts[id] }),
    ...(id === "account" && accountRows.length > 0
      ? { activeFrom: Math.min(...accountRows), activeTo: Math.max(...accountRows) }
      : {}),
  }));

  return {
    width,
    height,
    headerHeight: m.headerHeight,
    lifelines,
    arrows,
    folds,
    steps,
    bands: bands.map((open) => ({
      startIndex: open.startIndex,
      endIndex: open.endIndex,
      y1: tops[open.startRow] ?? m.headerHeight,
      // A little past the last row, clear of its detail line.
      y2:
        (tops[open.endRow] ?? m.headerHeight) +
        (rows[open.endRow]?.kind === "step" ? m.stepRow : m.arrowRow) +
        6,
      x1: x("this_device"),
      x2: x("other_device"),
    })),
    rowCount: rows.length,
  };
}
