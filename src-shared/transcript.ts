// The protocol transcript: what every layer reports for demo mode and diagnostics (docs/ux.md "Demo mode",
// docs/ARCHITECTURE.md §3). Shared by main and renderer, so plain TypeScript only.
//
// The rules are enforced here, not left to callers: an HTTP entry keeps the URL's host and path only (query
// strings and fragments carry OAuth codes and tokens, user info carries credentials); a message entry carries a
// type and field names, never values; free text is stripped of URL queries and redacted. ETags and sequence
// tokens are kept: they are rendezvous bookkeeping, not secrets, and the transcript is where a proxy rewriting
// them becomes visible. Every entry that enters a transcript is sanitised again, however it was built.
import { cutForRedaction, redactText } from "./logger";

export type TranscriptLayer = "rendezvous" | "channel" | "oauth" | "matrix" | "flow";
export const TRANSCRIPT_LAYERS: readonly TranscriptLayer[] = [
  "rendezvous",
  "channel",
  "oauth",
  "matrix",
  "flow",
];

export interface HttpTranscriptEntry {
  readonly kind: "http";
  /** The numbered step of docs/protocol.md this belongs to (`A-G3`), when a flow made it. */
  readonly step?: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly layer: TranscriptLayer;
  readonly method: string;
  /** `host[:port]` of the request, without user info. */
  readonly host?: string;
  /** The URL path only: never a query or fragment. */
  readonly path: string;
  readonly status?: number;
  readonly requestBytes?: number;
  readonly responseBytes?: number;
  readonly etag?: string;
  readonly sequenceToken?: string;
  readonly error?: string;
}

export interface MessageTranscriptEntry {
  readonly kind: "message";
  readonly step?: string;
  readonly time: number;
  readonly layer: "channel";
  readonly direction: "sent" | "received";
  readonly messageType: string;
  /** Names of the fields present (`backup.key`), never their values. */
  readonly fields?: readonly string[];
}

export interface StepTranscriptEntry {
  readonly kind: "step";
  readonly step?: string;
  readonly time: number;
  readonly layer: TranscriptLayer;
  readonly name: string;
  readonly detail?: string;
}

export type TranscriptEntry = HttpTranscriptEntry | MessageTranscriptEntry | StepTranscriptEntry;
export type TranscriptSink = (entry: TranscriptEntry) => void;

const MAX_TEXT = 300;
/** The most of any free text the transcript reads (query stripping, redaction) before it is cut to MAX_TEXT. */
const MAX_TEXT_INPUT = 4096;
const MAX_NAME = 100;
const MAX_PATH = 512;
const MAX_TOKEN = 256;
const MAX_FIELDS = 32;
const FIELD_NAME = /^[A-Za-z0-9_.\-[\]]{1,64}$/;
const METHOD = /^[A-Za-z]{1,16}$/;
const STEP = /^[A-Za-z0-9_.-]{1,16}$/;

function optionalStep(step: string | undefined): string | undefined {
  return step !== undefined && STEP.test(step) ? step : undefined;
}

function withoutControlCharacters(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? " " : char;
  }
  return out;
}

/** At most `max` characters of `text` without control characters; `…` marks a cut (here, or `cutEarlier`). */
function bounded(text: string, max: number, cutEarlier = false): string {
  const shown = withoutControlCharacters(text.length > max ? text.slice(0, max) : text);
  return text.length > max || cutEarlier ? `${shown}…` : shown;
}

function cutAtQueryOrFragment(text: string): string {
  const end = text.search(/[?#]/);
  return end === -1 ? text : text.slice(0, end);
}

interface UrlParts {
  readonly host?: string;
  readonly path: string;
}

function urlParts(url: string | URL): UrlParts {
  const text = typeof url === "string" ? url : url.href;
  try {
    const parsed = new URL(text);
    return { host: parsed.host, path: parsed.pathname };
  } catch {
    // Relative or broken: keep what precedes any query or fragment, minus any scheme and authority.
    const beforeQuery = cutAtQueryOrFragment(text);
    const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(beforeQuery);
    const path = authority === null ? beforeQuery : beforeQuery.slice(authority[0].length);
    return { path: path === "" ? "/" : path };
  }
}

/** `host[:port]` as a URL parser reads it: user info, path and query fall away. */
function hostOf(text: string): string | undefined {
  try {
    const host = new URL(`http://${text}/`).host;
    return host === "" ? undefined : bounded(host, MAX_NAME);
  } catch {
    return undefined;
  }
}

// Both patterns read each run of characters once (linear time; see logger.ts). An absolute URL is matched from
// the start of its run of scheme characters, whose non-letters lead in front of the scheme proper. A relative
// path is matched whether or not a query follows, and left as it is without one, so that a path without a
// query is consumed once instead of being scanned again from each ":" or "=" inside it.
const ABSOLUTE_URL = /(?<![a-z0-9+.-])([0-9+.-]*)([a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+)/gi;
const RELATIVE_URL = /(^|[\s(["'=:,])(\/[^\s"'<>?#]*)([?#][^\s"'<>]*)?/g;

/** Every URL in `text` without its query, fragment and user info (no other redaction). */
export function withoutUrlQueries(text: string): string {
  return text
    .replace(ABSOLUTE_URL, (_match: string, lead: string, url: string) => {
      const { host, path } = urlParts(url);
      const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? "";
      return host === undefined
        ? `${lead}${cutAtQueryOrFragment(url).replace(/\/\/[^/]*@/, "//")}`
        : `${lead}${scheme}//${host}${path}`;
    })
    .replace(RELATIVE_URL, (match: string, before: string, path: string, query: string | undefined) =>
      query === undefined ? match : `${before}${path}`,
    );
}

/**
 * Free text for the transcript: cut to MAX_TEXT_INPUT first (at a word boundary), then every URL in it loses
 * query, fragment and user info, then secrets are redacted, then it is cut to `max`.
 */
export function transcriptText(text: string, max = MAX_TEXT): string {
  const input = cutForRedaction(text, MAX_TEXT_INPUT);
  return bounded(redactText(withoutUrlQueries(input)), max, input.length < text.length);
}

function optionalCount(value: number | undefined): number | undefined {
  return value !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function optionalStatus(value: number | undefined): number | undefined {
  return value !== undefined && Number.isInteger(value) && value >= 100 && value <= 599 ? value : undefined;
}

/**
 * The entry's time. The protocol core always passes its runtime's clock (`time:`), so that a transcript made
 * under a virtual clock reads in virtual time; `Date.now()` is only for entries made by hand without one.
 */
function entryTime(time: number | undefined): number {
  return time !== undefined && Number.isFinite(time) ? time : Date.now();
}

function layerOf(layer: string): TranscriptLayer {
  return (TRANSCRIPT_LAYERS as readonly string[]).includes(layer) ? (layer as TranscriptLayer) : "flow";
}

/** Keeps only the properties that have a value (exactOptionalPropertyTypes: no `undefined` members). */
function definedOnly<T extends object>(entry: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined)) as T;
}

export interface HttpEntryInit {
  readonly step?: string;
  readonly layer: TranscriptLayer;
  readonly method: string;
  /** The full request URL; only its host and path are kept. */
  readonly url: string | URL;
  readonly status?: number;
  readonly requestBytes?: number;
  readonly responseBytes?: number;
  readonly etag?: string;
  readonly sequenceToken?: string;
  readonly error?: string;
  readonly time?: number;
}

export function httpEntry(init: HttpEntryInit): HttpTranscriptEntry {
  const { host, path } = urlParts(init.url);
  return definedOnly<HttpTranscriptEntry>({
    kind: "http",
    step: optionalStep(init.step),
    time: entryTime(init.time),
    layer: layerOf(init.layer),
    method: METHOD.test(init.method) ? init.method.toUpperCase() : "?",
    host: host === undefined || host === "" ? undefined : bounded(host, MAX_NAME),
    // A secret-named `name=value` inside the path itself (no `?`) is redacted too; a long path is cut first.
    path: bounded(redactText(path.slice(0, MAX_PATH)), MAX_PATH, path.length > MAX_PATH),
    status: optionalStatus(init.status),
    requestBytes: optionalCount(init.requestBytes),
    responseBytes: optionalCount(init.responseBytes),
    etag: init.etag === undefined ? undefined : bounded(init.etag, MAX_TOKEN),
    sequenceToken: init.sequenceToken === undefined ? undefined : bounded(init.sequenceToken, MAX_TOKEN),
    error: init.error === undefined ? undefined : transcriptText(init.error),
  });
}

export interface MessageEntryInit {
  readonly step?: string;
  readonly direction: "sent" | "received";
  /** The message type, e.g. from `describeLoginMessage(message).type`. */
  readonly messageType: string;
  /** Field names, e.g. from `describeLoginMessage(message).fields`; anything not shaped like a name is dropped. */
  readonly fields?: readonly string[];
  readonly time?: number;
}

export function messageEntry(init: MessageEntryInit): MessageTranscriptEntry {
  return definedOnly<MessageTranscriptEntry>({
    kind: "message",
    step: optionalStep(init.step),
    time: entryTime(init.time),
    layer: "channel",
    direction: init.direction === "received" ? "received" : "sent",
    messageType: transcriptText(init.messageType, MAX_NAME),
    fields: init.fields?.filter((field) => FIELD_NAME.test(field)).slice(0, MAX_FIELDS),
  });
}

export interface StepEntryInit {
  readonly step?: string;
  readonly layer: TranscriptLayer;
  readonly name: string;
  readonly detail?: string;
  readonly time?: number;
}

export function stepEntry(init: StepEntryInit): StepTranscriptEntry {
  return definedOnly<StepTranscriptEntry>({
    kind: "step",
    step: optionalStep(init.step),
    time: entryTime(init.time),
    layer: layerOf(init.layer),
    name: transcriptText(init.name, MAX_NAME),
    detail: init.detail === undefined ? undefined : transcriptText(init.detail),
  });
}

/**
 * Rebuilds any entry through the constructors, keeping only known fields. Applied to everything a transcript
 * receives, so an entry assembled by hand (or arriving over IPC) obeys the same rules.
 */
export function sanitizeEntry(entry: TranscriptEntry): TranscriptEntry {
  switch (entry.kind) {
    case "http": {
      const rebuilt = httpEntry({ ...entry, url: entry.path });
      if (entry.host === undefined) return rebuilt;
      const host = hostOf(entry.host);
      return host === undefined ? rebuilt : { ...rebuilt, host };
    }
    case "message":
      return messageEntry(entry);
    case "step":
      return stepEntry(entry);
  }
}

/** A public key shown in the transcript: the first 8 characters of its unpadded standard base64. */
export function fingerprint(publicKey: Uint8Array): string {
  // 8 base64 characters encode exactly the first 6 bytes.
  return btoa(String.fromCharCode(...publicKey.subarray(0, 6))).replace(/=+$/, "");
}

export interface Transcript {
  /** Adds an entry (sanitised first) and tells the subscribers. */
  append(entry: TranscriptEntry): void;
  /** `append`, bound, to hand to the layers as their sink. */
  readonly sink: TranscriptSink;
  list(): readonly TranscriptEntry[];
  /** Calls `listener` with each new entry until the returned function is called. */
  subscribe(listener: TranscriptSink): () => void;
  clear(): void;
  toMarkdown(): string;
  toJSON(): TranscriptEntry[];
}

export interface TranscriptOptions {
  /** Oldest entries are dropped beyond this many (a v2024 session polls once a second for minutes). */
  readonly limit?: number;
  /** Told when a subscriber throws; the transcript and the flow that reports to it carry on regardless. */
  readonly onListenerError?: (error: unknown) => void;
}

export function createTranscript(options: TranscriptOptions = {}): Transcript {
  const limit = options.limit ?? 5000;
  let entries: TranscriptEntry[] = [];
  const listeners = new Set<TranscriptSink>();

  const append = (entry: TranscriptEntry): void => {
    const clean = sanitizeEntry(entry);
    entries.push(clean);
    if (entries.length > limit) entries = entries.slice(entries.length - limit);
    for (const listener of [...listeners]) {
      try {
        listener(clean);
      } catch (error) {
        options.onListenerError?.(error);
      }
    }
  };

  return {
    append,
    sink: append,
    list: () => [...entries],
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    clear: () => {
      entries = [];
    },
    toMarkdown: () => transcriptToMarkdown(entries),
    toJSON: () => entries.map((entry) => ({ ...entry })),
  };
}

// Inline code keeps paths and tokens literal; a backtick inside would end the span early.
function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, (char) => `\\${char}`);
}

function describeEntry(entry: TranscriptEntry): string {
  switch (entry.kind) {
    case "http": {
      const request = `${entry.method} ${code(`${entry.host ?? ""}${entry.path}`)}`;
      const parts = [entry.status === undefined ? request : `${request} → ${entry.status}`];
      const sizes = [
        entry.requestBytes === undefined ? undefined : `sent ${entry.requestBytes} B`,
        entry.responseBytes === undefined ? undefined : `received ${entry.responseBytes} B`,
      ].filter((part) => part !== undefined);
      if (sizes.length > 0) parts.push(sizes.join(", "));
      if (entry.etag !== undefined) parts.push(`ETag ${code(entry.etag)}`);
      if (entry.sequenceToken !== undefined) parts.push(`sequence token ${code(entry.sequenceToken)}`);
      if (entry.error !== undefined) parts.push(`error: ${escapeMarkdown(entry.error)}`);
      return parts.join(" · ");
    }
    case "message": {
      const fields =
        entry.fields === undefined || entry.fields.length === 0 ? "" : ` (${entry.fields.join(", ")})`;
      return `${entry.direction} ${code(entry.messageType)}${escapeMarkdown(fields)}`;
    }
    case "step":
      return entry.detail === undefined
        ? escapeMarkdown(entry.name)
        : `${escapeMarkdown(entry.name)}: ${escapeMarkdown(entry.detail)}`;
  }
}

/** Numbered steps with times relative to the first entry, as in the MSC's sequence diagrams. */
export function transcriptToMarkdown(entries: readonly TranscriptEntry[]): string {
  const lines = ["# Sign-in transcript", ""];
  const first = entries[0];
  if (first === undefined) return [...lines, "_No entries._", ""].join("\n");
  entries.forEach((entry, index) => {
    const offset = (entry.time - first.time) / 1000;
    const seconds = `${offset < 0 ? "-" : "+"}${Math.abs(offset).toFixed(3)}`;
    const step = entry.step === undefined ? "" : ` · ${code(entry.step)}`;
    lines.push(`${index + 1}. ${seconds} s · **${entry.layer}**${step} · ${describeEntry(entry)}`);
  });
  return [...lines, ""].join("\n");
}
