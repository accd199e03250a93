// The one way a screen turns a catalogue key into text: `t(key, values)` fills `{name}` placeholders, and the
// types make a missing or unknown value a compile error. Sentences are never built by concatenation: a
// translator sees each whole sentence with its placeholders and may reorder them.
import { MESSAGES, type MessageKey } from "./messages";

/** The placeholder names in one message, e.g. "Allow {device}" -> "device". */
type Placeholders<S extends string> = S extends `${string}{${infer Name}}${infer Rest}`
  ? Name | Placeholders<Rest>
  : never;

export type ParamsOf<K extends MessageKey> = Placeholders<(typeof MESSAGES)[K]>;

/** The keys of messages without placeholders: a table of these can be shown with `t(key)` alone. */
export type PlainKey = {
  [K in MessageKey]: [ParamsOf<K>] extends [never] ? K : never;
}[MessageKey];

/** The arguments after the key: none for a message without placeholders, else one value per placeholder. */
export type ValuesArg<K extends MessageKey, V> = [ParamsOf<K>] extends [never]
  ? []
  : [values: Record<ParamsOf<K>, V>];

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** The message for `key` with its placeholders filled. */
export function t<K extends MessageKey>(key: K, ...values: ValuesArg<K, string | number>): string {
  return fill(key, values[0]);
}

function fill(key: MessageKey, values: Record<string, string | number> | undefined): string {
  const message: string = MESSAGES[key];
  return message.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values?.[name];
    if (value === undefined) throw new TypeError(`message ${key} needs a value for {${name}}`);
    return String(value);
  });
}

/**
 * The message for `key` cut at its placeholders: text pieces and the names between them, in order, so a
 * component can put an element (a bold name, a code) where a placeholder stands.
 */
export function parts(key: MessageKey): readonly ({ text: string } | { name: string })[] {
  const message: string = MESSAGES[key];
  const out: ({ text: string } | { name: string })[] = [];
  let last = 0;
  for (const match of message.matchAll(PLACEHOLDER)) {
    const index = match.index;
    if (index > last) out.push({ text: message.slice(last, index) });
    out.push({ name: match[1] ?? "" });
    last = index + match[0].length;
  }
  if (last < message.length) out.push({ text: message.slice(last) });
  return out;
}

/** The placeholder names a message uses (for the catalogue's own tests). */
export function placeholdersOf(key: MessageKey): string[] {
  return [...(MESSAGES[key] as string).matchAll(PLACEHOLDER)].map((match) => match[1] ?? "");
}

const PLURAL = new Intl.PluralRules("en");

/** The keys whose only placeholder is `{count}`. */
export type CountKey = {
  [K in MessageKey]: [ParamsOf<K>] extends ["count"] ? K : never;
}[MessageKey];

/** The `one` or the `other` form by the language's plural rules, with `{count}` filled. */
export function tCount(count: number, forms: { readonly one: CountKey; readonly other: CountKey }): string {
  return fill(PLURAL.select(count) === "one" ? forms.one : forms.other, { count });
}
