// The diagnostic transcript an error screen copies: a Markdown report for whoever helps the user (a homeserver
// administrator, a bug report). Technical by design, so it is not in the copy catalogue: it names codes and
// steps as the code and docs/protocol.md do. It contains what the engine's transcript contains (no tokens, keys
// or secrets: src-shared/transcript.ts enforces that) and the error's plain fields.
import type { FlowError } from "../src-shared/errors";
import type { FlowSnapshot } from "../src-shared/flow";
import type { TranscriptItem } from "./store";

export interface DiagnosticContext {
  readonly error: FlowError;
  readonly flow: Pick<FlowSnapshot, "role" | "side" | "version" | "flowId"> | undefined;
  readonly host: string;
  readonly now: number;
}

export function diagnosticMarkdown(context: DiagnosticContext, transcript: string): string {
  const { error, flow } = context;
  const lines = [
    "# Matrix QR Login: diagnostic transcript",
    "",
    `- time: ${new Date(context.now).toISOString()}`,
    `- host: ${context.host}`,
    `- error: \`${error.code}\`${error.reason === undefined ? "" : ` (reason \`${error.reason}\`)`}, retryable: ${error.retryable}`,
    `- detail: ${error.message.replace(/\n/g, " ")}`,
  ];
  if (flow !== undefined) {
    lines.push(
      `- flow: ${flow.flowId}, this device: ${flow.role}, ${flow.side}, wire version ${flow.version}`,
    );
  }
  lines.push("", transcript.trim() === "" ? "(no transcript entries)" : transcript.trim(), "");
  return lines.join("\n");
}

/** The store's own entries as Markdown, when the engine cannot export its transcript. */
export function entriesMarkdown(entries: readonly TranscriptItem[]): string {
  if (entries.length === 0) return "";
  const rows = entries.map((entry) => {
    const time = new Date(entry.time).toISOString().slice(11, 23);
    const step = entry.step === undefined ? "" : ` ${entry.step}`;
    switch (entry.kind) {
      case "http":
        return `| ${time} |${step} | ${entry.layer} | ${entry.method} ${entry.host ?? ""}${entry.path} | ${entry.status ?? entry.error ?? ""} |`;
      case "message":
        return `| ${time} |${step} | ${entry.layer} | ${entry.direction} ${entry.messageType} | |`;
      case "step":
        return `| ${time} |${step} | ${entry.layer} | ${entry.name} | ${entry.detail ?? ""} |`;
    }
  });
  return [
    "## Transcript",
    "",
    "| time | step | layer | what | result |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
