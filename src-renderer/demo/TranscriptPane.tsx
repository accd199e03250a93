// The live transcript pane: every entry as it arrives, numbered steps as section lines, requests with method,
// path, status and ETag or sequence token, message types and field names (docs/ux.md "Demo mode"). It follows
// the newest entry unless the user scrolled up or pressed Pause (then it says how many arrived since), a click
// selects an entry (and its arrow in the diagram), and it exports what it shows as Markdown or JSON.
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { Braces, FileText, PanelRightClose, PanelRightOpen, Pause, Play } from "lucide-react";
import { transcriptToMarkdown, type TranscriptEntry } from "../../src-shared/transcript";
import { useApp } from "../app-context";
import { Button } from "../components/ui";
import { t, tCount } from "../copy/format";
import { downloadText } from "./download";
import { offsetText } from "./entry-text";
import { EntryLine } from "./EntryText";

export interface TranscriptPaneProps {
  /** Sanitised entries, oldest first. */
  readonly entries: readonly TranscriptEntry[];
  readonly selected: number | undefined;
  readonly onSelect: (index: number | undefined) => void;
  readonly open: boolean;
  readonly onOpenChange: (open: boolean) => void;
}

export const TRANSCRIPT_FILES = {
  markdown: "sign-in-transcript.md",
  json: "sign-in-transcript.json",
} as const;

export function TranscriptPane({ entries, selected, onSelect, open, onOpenChange }: TranscriptPaneProps) {
  const announce = useApp((state) => state.announce);
  const listRef = useRef<HTMLOListElement>(null);
  /** How many entries the list shows while paused; undefined while live. */
  const [pausedAt, setPausedAt] = useState<number | undefined>(undefined);
  const [following, setFollowing] = useState(true);
  const shownCount = pausedAt === undefined ? entries.length : Math.min(pausedAt, entries.length);
  const shown = entries.slice(0, shownCount);
  const first = entries[0]?.time;
  const unseen = entries.length - shownCount;
  const live = pausedAt === undefined && following;

  useLayoutEffect(() => {
    const list = listRef.current;
    if (list !== null && live) list.scrollTop = list.scrollHeight;
  }, [shownCount, live, open]);

  useEffect(() => {
    if (selected === undefined) return;
    const row = listRef.current?.querySelector(`[data-index="${selected}"]`);
    if (row instanceof HTMLElement) {
      setFollowing(false);
      row.scrollIntoView({ block: "nearest" });
    }
  }, [selected]);

  if (!open) {
    return (
      <aside className="transcript transcript-closed" aria-label={t("demo.transcript.title")}>
        <Button
          kind="quiet"
          className="icon-button"
          aria-label={t("demo.transcript.show")}
          title={t("demo.transcript.show")}
          icon={<PanelRightOpen aria-hidden="true" />}
          onClick={() => {
            onOpenChange(true);
          }}
        >
          <span className="visually-hidden">{t("demo.transcript.show")}</span>
        </Button>
        <span className="transcript-rail-label" aria-hidden="true">
          {t("demo.transcript.title")}
        </span>
      </aside>
    );
  }

  const save = (format: keyof typeof TRANSCRIPT_FILES) => {
    const text =
      format === "markdown" ? transcriptToMarkdown(entries) : `${JSON.stringify(entries, null, 2)}\n`;
    downloadText(
      TRANSCRIPT_FILES[format],
      text,
      format === "markdown" ? "text/markdown;charset=utf-8" : "application/json",
    );
    announce(t("demo.saved", { file: TRANSCRIPT_FILES[format] }));
  };

  const resume = () => {
    setPausedAt(undefined);
    setFollowing(true);
  };

  return (
    <aside className="transcript" aria-labelledby="transcript-title">
      <header className="transcript-header">
        <h2 id="transcript-title" className="transcript-title">
          {t("demo.transcript.title")}
        </h2>
        <span className="transcript-count">
          {tCount(entries.length, { one: "demo.transcript.count.one", other: "demo.transcript.count.other" })}
        </span>
        <Button
          kind="quiet"
          className="icon-button"
          aria-label={t("demo.transcript.hide")}
          title={t("demo.transcript.hide")}
          icon={<PanelRightClose aria-hidden="true" />}
          onClick={() => {
            onOpenChange(false);
          }}
        >
          <span className="visually-hidden">{t("demo.transcript.hide")}</span>
        </Button>
      </header>
      <div className="transcript-tools">
        {pausedAt === undefined ? (
          <Button
            kind="secondary"
            icon={<Pause aria-hidden="true" />}
            onClick={() => {
              setPausedAt(entries.length);
            }}
          >
            {t("demo.transcript.pause")}
          </Button>
        ) : (
          <Button kind="primary" icon={<Play aria-hidden="true" />} onClick={resume}>
            {t("demo.transcript.resume")}
          </Button>
        )}
        <Button
          kind="quiet"
          icon={<FileText aria-hidden="true" />}
          aria-label={t("demo.transcript.exportMarkdownLabel")}
          title={t("demo.transcript.exportMarkdownLabel")}
          disabled={entries.length === 0}
          onClick={() => {
            save("markdown");
          }}
        >
          {t("demo.transcript.exportMarkdown")}
        </Button>
        <Button
          kind="quiet"
          icon={<Braces aria-hidden="true" />}
          aria-label={t("demo.transcript.exportJsonLabel")}
          title={t("demo.transcript.exportJsonLabel")}
          disabled={entries.length === 0}
          onClick={() => {
            save("json");
          }}
        >
          {t("demo.transcript.exportJson")}
        </Button>
      </div>
      {shown.length === 0 ? (
        <p className="transcript-empty">{t("demo.transcript.empty")}</p>
      ) : (
        <ol
          ref={listRef}
          className="transcript-list"
          aria-label={t("demo.transcript.list")}
          tabIndex={0}
          onScroll={() => {
            const list = listRef.current;
            if (list === null || pausedAt !== undefined) return;
            setFollowing(list.scrollHeight - list.scrollTop - list.clientHeight < 32);
          }}
        >
          {shown.map((entry, index) => (
            <li
              key={index}
              data-index={index}
              data-kind={entry.kind}
              className={[
                "entry",
                `entry-kind-${entry.kind}`,
                selected === index ? "entry-selected" : "",
              ].join(" ")}
            >
              <button
                type="button"
                className="entry-button"
                aria-pressed={selected === index}
                onClick={() => {
                  onSelect(selected === index ? undefined : index);
                }}
              >
                <span className="entry-when">
                  <span className="entry-time">{offsetText(entry.time, first)}</span>
                  {entry.step === undefined ? null : <span className="entry-step">{entry.step}</span>}
                </span>
                <EntryLine entry={entry} compact />
              </button>
            </li>
          ))}
        </ol>
      )}
      {pausedAt !== undefined || !following ? (
        <div className="transcript-status" role="status">
          {pausedAt === undefined ? null : (
            <span className="transcript-paused">{t("demo.transcript.paused")}</span>
          )}
          <Button kind="secondary" onClick={resume}>
            {unseen > 0
              ? tCount(unseen, { one: "demo.transcript.latest.one", other: "demo.transcript.latest.other" })
              : t("demo.transcript.follow")}
          </Button>
        </div>
      ) : null}
    </aside>
  );
}
