// One transcript entry in words: a line for the transcript pane's list, and the full record for the entry a
// click on the diagram selected. Only what the sanitised entry carries is shown; paths and step details show
// keys as fingerprints (entry-text.ts).
import type { ReactNode } from "react";
import { PROTOCOL_STEPS, isProtocolStep } from "../../src-shared/protocol-steps";
import type { TranscriptEntry } from "../../src-shared/transcript";
import { t } from "../copy/format";
import { toneOf } from "./sequence-layout";
import { compactPath, displayPath, shortToken, withKeyFingerprints } from "./entry-text";

export function stepName(step: string | undefined): string | undefined {
  return step !== undefined && isProtocolStep(step) ? PROTOCOL_STEPS[step] : undefined;
}

function Token({ children }: { readonly children: string }) {
  return <code className="entry-token">{children}</code>;
}

function join(parts: readonly ReactNode[]): ReactNode[] {
  return parts.flatMap((part, index) =>
    index === 0
      ? [part]
      : [
          <span key={`sep-${index}`} className="entry-sep" aria-hidden="true">
            {" · "}
          </span>,
          part,
        ],
  );
}

/**
 * The entry on one line (it wraps): what happened, then its bookkeeping. `compact` (the transcript's list) drops
 * the host and shortens paths and tokens; the selected entry's card shows them whole.
 */
export function EntryLine({
  entry,
  compact = false,
}: {
  readonly entry: TranscriptEntry;
  readonly compact?: boolean;
}) {
  switch (entry.kind) {
    case "step":
      return (
        <span className="entry-text">
          <span className="entry-step-name">{withKeyFingerprints(entry.name)}</span>
          {entry.detail === undefined ? null : (
            <span className="entry-detail">: {withKeyFingerprints(entry.detail)}</span>
          )}
        </span>
      );
    case "message":
      return (
        <span className="entry-text">
          {join([
            <span key="what">
              <span className="entry-direction">
                {entry.direction === "sent" ? "↑ " : "↓ "}
                {t(entry.direction === "sent" ? "demo.entry.sent" : "demo.entry.received")}
              </span>{" "}
              <code className="entry-type">{entry.messageType}</code>
            </span>,
            ...(entry.fields === undefined || entry.fields.length === 0
              ? []
              : [
                  <span key="fields" className="entry-fields">
                    {t("demo.entry.fields", { fields: entry.fields.join(", ") })}
                  </span>,
                ]),
          ])}
        </span>
      );
    case "http": {
      const parts: ReactNode[] = [
        <span key="request" className="entry-request">
          <span className="entry-method">{entry.method}</span>{" "}
          <code className="entry-path">
            {compact ? compactPath(entry.path) : `${entry.host ?? ""}${displayPath(entry.path)}`}
          </code>
          {entry.status === undefined ? null : (
            <span className={toneOf(entry) === "normal" ? "entry-status" : "entry-status entry-status-warn"}>
              {" → "}
              {entry.status}
            </span>
          )}
        </span>,
      ];
      if (entry.etag !== undefined) {
        parts.push(<span key="etag">{etagText(compact ? shortToken(entry.etag, 12) : entry.etag)}</span>);
      }
      if (entry.sequenceToken !== undefined) {
        parts.push(
          <span key="token">
            {sequenceTokenText(compact ? shortToken(entry.sequenceToken, 12) : entry.sequenceToken)}
          </span>,
        );
      }
      if (entry.error !== undefined) {
        parts.push(
          <span key="error" className="entry-error">
            {t("demo.entry.error", { error: entry.error })}
          </span>,
        );
      }
      return <span className="entry-text">{join(parts)}</span>;
    }
  }
}

function etagText(value: string) {
  const [before, after] = t("demo.entry.etag", { value: "\u0000" }).split("\u0000");
  return (
    <>
      {before}
      <Token>{value}</Token>
      {after}
    </>
  );
}

function sequenceTokenText(value: string) {
  const [before, after] = t("demo.entry.sequenceToken", { value: "\u0000" }).split("\u0000");
  return (
    <>
      {before}
      <Token>{value}</Token>
      {after}
    </>
  );
}

/** The sizes of a request and its answer, when the entry has them. */
export function sizesText(entry: TranscriptEntry): string | undefined {
  if (entry.kind !== "http") return undefined;
  const parts = [
    entry.requestBytes === undefined ? undefined : t("demo.entry.sentBytes", { count: entry.requestBytes }),
    entry.responseBytes === undefined
      ? undefined
      : t("demo.entry.receivedBytes", { count: entry.responseBytes }),
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? undefined : parts.join(", ");
}
