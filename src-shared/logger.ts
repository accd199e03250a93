// The one logger of the app, for the main process and the renderer alike (pure TypeScript, no Node APIs).
// Whatever is logged passes through `redact` first: values under secret-sounding key names, secret query
// parameters in URLs, bearer credentials and raw bytes never reach the sink, however deeply they are nested.
// Redaction is by name because the logger cannot know what a value means; over-redacting a public key
// (`device_keys`) is the accepted price for never printing a private one.

export const REDACTED = "[redacted]";

// Names are compared lower-cased and without "_" or "-", so `device_code`, `deviceCode` and `Device-Code` are
// one name. Names from the brief plus what the protocol adds: an RFC 8628 `device_code` is a bearer secret for
// the token endpoint (public client, no client secret), a PKCE `code_verifier` likewise, the `user_code` is what
// approves a device grant, and an Olm/vodozemac `pickle` holds private keys.
const SENSITIVE_NAME =
  /token|secret|key|seed|recovery|password|passphrase|authorization|cookie|devicecode|usercode|verifier|pickle/;

// Only as a URL parameter: an OAuth authorization `code` (RFC 6749 §4.1.2). As an object key `code` is an error
// code, which must stay readable.
const SENSITIVE_URL_PARAMETER = /^code$/;

function normalisedName(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, "");
}

/** Whether a field or parameter name marks a value that must not be logged. */
export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(normalisedName(name));
}

// Every pattern below runs in time linear in the text: none can start over and over inside one long run of the
// characters it scans (quadratic backtracking froze the event loop for seconds on a 64 KB line before).
//
// A scheme is matched from the start of its run of scheme characters only (the lookbehind), never again from
// each "." or "-" inside it: a long "a.a.a…" without "://" is then read once, not once per word boundary.
const USERINFO = /(?<![a-z0-9+.-])([a-z0-9+.-]+:\/\/)[^\s/?#@"'<>]*@/gi;
// A value stops at the next "?" too: after a fragment or an empty value, "?access_token=…" starts a new pair.
const PARAMETER = /(^|[?&#;\s])([^=&#?;\s"'<>]+)=([^&#?;\s"'<>]*)/g;
// A value that is still open at the end of the text (a JSON body cut short) counts as a value too.
const JSON_STRING_MEMBER = /"((?:[^"\\]|\\.){1,200})"(\s*:\s*)"(?:[^"\\]|\\.)*(?:"|\\?$)/g;
const CREDENTIAL_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
// `Name: value` at the start of a line, as HTTP headers and form dumps are printed: the rest of the line.
const HEADER_LINE = /^([ \t]*)([A-Za-z][A-Za-z0-9_-]*)([ \t]*:[ \t]*)(\S[^\r\n]*)$/gm;
// `name: value` inside a sentence: one value, up to a space or punctuation (never starting with "[", so what is
// already `[redacted]` stays as it is).
const NAMED_VALUE = /(^|[\s,;({[])([A-Za-z][A-Za-z0-9_-]*)([ \t]*:[ \t]*)([^\s,;)}[\]"'<>]+)/g;
// Access and refresh tokens by their shape, whatever name (or none) they travel under: Synapse `syt_`/`syr_`,
// MAS `mat_` (access), `mar_` (refresh), `mct_` (compatibility), and the devserver's `dst_`.
const TOKEN_SHAPE = /\b(syt|syr|mat|mar|mct|dst)_[A-Za-z0-9._~+/=-]{6,}/g;

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}

/**
 * The longest text `redactText` reads. Longer text is cut first, at a word boundary: a log line or a field is not
 * made useful by a megabyte of it, and every pattern, linear as it is, need not read what will not be shown.
 */
export const MAX_REDACTED_TEXT = 16 * 1024;

function isSpace(char: string | undefined): boolean {
  return char === " " || char === "\t" || char === "\n" || char === "\r" || char === "\f" || char === "\v";
}

/**
 * `text` cut to at most `max` characters before anything redacts it. The word the cut falls into is dropped
 * whole: a secret cut short (`https://user:pa`, `syt_abc`) may no longer look like one, and must not be shown.
 */
export function cutForRedaction(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  if (!isSpace(text[end])) while (end > 0 && !isSpace(text[end - 1])) end--;
  return text.slice(0, end);
}

function redactPatterns(text: string): string {
  return text
    .replace(USERINFO, `$1${REDACTED}@`)
    .replace(PARAMETER, (match: string, separator: string, name: string) => {
      const decoded = decodeName(name);
      const inUrl = separator === "?" || separator === "&" || separator === "#" || separator === ";";
      return isSensitiveName(decoded) || (inUrl && SENSITIVE_URL_PARAMETER.test(normalisedName(decoded)))
        ? `${separator}${name}=${REDACTED}`
        : match;
    })
    .replace(JSON_STRING_MEMBER, (match: string, name: string, colon: string) =>
      isSensitiveName(name) ? `"${name}"${colon}"${REDACTED}"` : match,
    )
    .replace(CREDENTIAL_SCHEME, `$1 ${REDACTED}`)
    .replace(HEADER_LINE, (match: string, indent: string, name: string, colon: string) =>
      isSensitiveName(name) ? `${indent}${name}${colon}${REDACTED}` : match,
    )
    .replace(NAMED_VALUE, (match: string, before: string, name: string, colon: string) =>
      isSensitiveName(name) ? `${before}${name}${colon}${REDACTED}` : match,
    )
    .replace(TOKEN_SHAPE, `$1_${REDACTED}`);
}

/**
 * Redacts secrets inside free text: user info in URLs, secret query/fragment/form parameters
 * (`?access_token=…`, `#code=…`), secret members of JSON text, `Bearer`/`Basic` credentials, header-like
 * `Authorization: …` / `device_code: …` lines and `name: value` pairs, and tokens of a known shape (`syt_…`).
 * Text longer than `maxLength` is cut first (`cutForRedaction`), the result is at most `maxLength` characters
 * too, and a cut is marked.
 */
export function redactText(text: string, maxLength = MAX_REDACTED_TEXT): string {
  const kept = cutForRedaction(text, maxLength);
  const redacted = redactPatterns(kept);
  if (kept.length === text.length && redacted.length <= maxLength) return redacted;
  // `[redacted]` can be longer than what it replaced: the bound holds for what comes out, too.
  const shown = redacted.length > maxLength ? redacted.slice(0, maxLength) : redacted;
  return `${shown}… [cut from ${text.length} characters]`;
}

const MAX_DEPTH = 12;

/**
 * A copy of `value` that is safe to log: keys matching the sensitive names hold `[redacted]`, strings go
 * through `redactText`, bytes are summarised by length, cycles become `[circular]`. Never throws.
 */
export function redact(value: unknown): unknown {
  try {
    return redactValue(value, new Set(), 0);
  } catch {
    return "[unloggable]";
  }
}

function redactEntry(name: string, value: unknown, ancestors: Set<object>, depth: number): unknown {
  return isSensitiveName(name) ? REDACTED : redactValue(value, ancestors, depth);
}

function read(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return "[unreadable]";
  }
}

function redactValue(value: unknown, ancestors: Set<object>, depth: number): unknown {
  switch (typeof value) {
    case "string":
      return redactText(value);
    case "number":
    case "boolean":
    case "undefined":
      return value;
    case "bigint":
      return `${value.toString()}n`;
    case "symbol":
      return value.toString();
    case "function":
      return `[function ${value.name || "anonymous"}]`;
    case "object":
      break;
  }
  if (value === null) return null;
  if (ancestors.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";

  // Key material often travels as bytes under innocent names (`data`, `body`): never print bytes.
  if (ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer) return `[ArrayBuffer ${value.byteLength} bytes]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (value instanceof URL) return redactText(value.href);
  if (value instanceof RegExp) return value.toString();
  if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet) {
    return `[${value.constructor.name}]`;
  }

  ancestors.add(value);
  try {
    const next = depth + 1;
    if (Array.isArray(value)) {
      return Array.from(value as unknown[], (item) => redactValue(item, ancestors, next));
    }
    if (value instanceof Set) {
      return Array.from(value as Set<unknown>, (item) => redactValue(item, ancestors, next));
    }
    if (value instanceof Map || (typeof Headers !== "undefined" && value instanceof Headers)) {
      const entries: [string, unknown][] = [];
      for (const [key, item] of (value as Map<unknown, unknown>).entries()) {
        const name = typeof key === "string" ? key : String(redactValue(key, ancestors, next));
        entries.push([name, redactEntry(name, item, ancestors, next)]);
      }
      // fromEntries defines properties, so a `__proto__` key cannot reach the prototype.
      return Object.fromEntries(entries);
    }
    const entries: [string, unknown][] = [];
    if (value instanceof Error) {
      // name, message and stack are own but not enumerable; `cause` may be either.
      entries.push(["name", value.name], ["message", redactText(value.message)]);
      if (value.stack !== undefined) entries.push(["stack", redactText(value.stack)]);
      if ("cause" in value && !Object.keys(value).includes("cause")) {
        entries.push(["cause", redactValue(value.cause, ancestors, next)]);
      }
    }
    for (const key of Object.keys(value)) {
      if (value instanceof Error && (key === "name" || key === "message" || key === "stack")) continue;
      entries.push([key, redactEntry(key, read(value, key), ancestors, next)]);
    }
    return Object.fromEntries(entries);
  } finally {
    ancestors.delete(value);
  }
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Where log lines go: `console` by default, anything with the same four methods in tests or files. */
export type LogSink = Record<LogLevel, (...data: unknown[]) => void>;

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  readonly scope: string;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger for a part of this scope, e.g. `flow` → `flow:oauth`. */
  child(scope: string): Logger;
}

export function createLogger(scope: string, sink: LogSink = console): Logger {
  const emit = (level: LogLevel, message: string, fields?: LogFields): void => {
    const line = `[${scope}] ${redactText(message)}`;
    try {
      if (fields === undefined) sink[level](line);
      else sink[level](line, redact(fields));
    } catch {
      // A broken sink (closed stream, detached console) must not break the code that logs.
    }
  };
  return {
    scope,
    debug: (message, fields) => {
      emit("debug", message, fields);
    },
    info: (message, fields) => {
      emit("info", message, fields);
    },
    warn: (message, fields) => {
      emit("warn", message, fields);
    },
    error: (message, fields) => {
      emit("error", message, fields);
    },
    child: (child) => createLogger(`${scope}:${child}`, sink),
  };
}
