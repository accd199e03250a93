// Secret sinks: everything a run leaves where a secret must never be (logs and console output, transcripts,
// events and snapshots sent to a view, the files a profile writes outside its encrypted stores), searched for
// every secret value in play, in every encoding the code uses for it. A test collects the secrets
// (`SecretSet`), collects the sinks' text (`Sinks`), and asserts `findLeaks` is empty; secret-sinks.test.ts leaks
// a value into each kind of sink on purpose to show that each one can fail.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** Shorter values could match by chance; every secret we hold is far longer. */
const MIN_SECRET_CHARS = 12;

/** The files of a profile directory that are its encrypted or secret stores (src-main/matrix/profile.ts). */
export const PROFILE_SECRET_FILES: ReadonlySet<string> = new Set(["secrets.json", "crypto-store.snapshot"]);

function base64Forms(bytes: Uint8Array): string[] {
  const padded = Buffer.from(bytes).toString("base64");
  const unpadded = padded.replace(/=+$/, "");
  const url = unpadded.replace(/\+/g, "-").replace(/\//g, "_");
  return [padded, unpadded, url, Buffer.from(bytes).toString("hex")];
}

/** The secrets of one run, each under a name for the report, in all of their encodings. */
export class SecretSet {
  readonly #forms = new Map<string, Set<string>>();

  /** A secret as text (a token, a recovery key): itself, without its spaces, and JSON-escaped. */
  text(name: string, value: string | undefined): this {
    if (value === undefined) return this;
    this.#add(name, [value, value.replace(/\s+/g, ""), JSON.stringify(value).slice(1, -1)]);
    // Base64 text (a private key in a secrets bundle, the crypto-store key): its bytes in every other encoding.
    if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && value.length >= 16) {
      this.#add(name, base64Forms(new Uint8Array(Buffer.from(value, "base64"))));
    }
    return this;
  }

  /** A secret as bytes (a private key, a seed): base64 with and without padding, base64url and hex. */
  bytes(name: string, value: Uint8Array | undefined | null): this {
    if (value === undefined || value === null) return this;
    this.#add(name, base64Forms(value));
    return this;
  }

  /** Every string leaf of `value` (a secrets bundle) whose key says it is a key, under `name.path`. */
  keysIn(name: string, value: unknown, path = ""): this {
    if (typeof value === "string") {
      if (/key/i.test(path)) this.text(`${name}${path}`, value);
    } else if (typeof value === "object" && value !== null) {
      for (const [key, inner] of Object.entries(value)) this.keysIn(name, inner, `${path}.${key}`);
    }
    return this;
  }

  get names(): string[] {
    return [...this.#forms.keys()];
  }

  forms(): [name: string, form: string][] {
    return [...this.#forms].flatMap(([name, forms]) =>
      [...forms].map((form) => [name, form] as [string, string]),
    );
  }

  #add(name: string, forms: readonly string[]): void {
    const set = this.#forms.get(name) ?? new Set<string>();
    for (const form of forms) if (form.length >= MIN_SECRET_CHARS) set.add(form);
    this.#forms.set(name, set);
  }
}

/** The text of each sink, by name; what a run wrote to it, concatenated. */
export class Sinks {
  readonly #text = new Map<string, string[]>();

  add(sink: string, content: unknown): this {
    const text = typeof content === "string" ? content : safeText(content);
    const list = this.#text.get(sink) ?? [];
    list.push(text);
    this.#text.set(sink, list);
    return this;
  }

  /** Every file under `dir` (recursively) but the profile's secret stores, by path, read as UTF-8 and Latin-1. */
  async addProfileFiles(sink: string, dir: string): Promise<this> {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || PROFILE_SECRET_FILES.has(entry.name)) continue;
      // A background snapshot's temporary file may be renamed between the listing and the read: it is then the
      // snapshot itself, a secret store read elsewhere.
      const bytes = await readFile(join(entry.parentPath, entry.name)).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      });
      if (bytes === undefined) continue;
      this.add(`${sink}/${entry.name}`, `${bytes.toString("utf8")}\n${bytes.toString("latin1")}`);
    }
    return this;
  }

  get names(): string[] {
    return [...this.#text.keys()];
  }

  entries(): [sink: string, text: string][] {
    return [...this.#text].map(([sink, texts]) => [sink, texts.join("\n")]);
  }
}

export interface Leak {
  readonly sink: string;
  readonly secret: string;
}

/** Every (sink, secret) pair where a form of the secret occurs in the sink's text. */
export function findLeaks(secrets: SecretSet, sinks: Sinks): Leak[] {
  const leaks: Leak[] = [];
  const forms = secrets.forms();
  for (const [sink, text] of sinks.entries()) {
    const found = new Set<string>();
    for (const [name, form] of forms) if (!found.has(name) && text.includes(form)) found.add(name);
    for (const secret of found) leaks.push({ sink, secret });
  }
  return leaks;
}

/** Captures what is written through `console` while it runs (the app's loggers write there). */
export function captureConsole(): { text: () => string; restore: () => void } {
  const methods = ["log", "info", "warn", "error", "debug", "trace"] as const;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back exactly as they were
  const saved = methods.map((method) => [method, console[method]] as const);
  const lines: string[] = [];
  for (const method of methods) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      lines.push(args.map((arg) => (typeof arg === "string" ? arg : safeText(arg))).join(" "));
      original(...args);
    };
  }
  return {
    text: () => lines.join("\n"),
    restore: () => {
      for (const [method, original] of saved) console[method] = original;
    },
  };
}

function safeText(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ""}`;
  try {
    const text: string | undefined = value === undefined ? undefined : JSON.stringify(value);
    return text === undefined ? String(value) : text;
  } catch {
    return String(value);
  }
}
