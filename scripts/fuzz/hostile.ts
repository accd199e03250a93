// The hostile values every fuzz target draws from (fast-check arbitraries): strings a peer, a server or a host could
// send (unicode edge cases, control characters, lone surrogates, huge ones), object keys that reach
// Object.prototype (`__proto__`, `constructor`, `prototype`), deep nesting, structured-clone values that JSON cannot
// carry, and structured mutations of valid inputs (a field dropped, retyped or replaced, a key added, bytes flipped,
// inserted, deleted or cut). Nothing here knows a target: each target names its valid seeds and mixes these in.
import fc from "fast-check";

/** JSON text of any value; `undefined` and functions, which JSON.stringify skips, as `null`. */
function jsonText(value: unknown): string {
  const skipped = value === undefined || typeof value === "function" || typeof value === "symbol";
  return skipped ? "null" : JSON.stringify(value);
}

/** Keys that name, or reach, the prototype chain; and keys our own code treats specially. */
const PROTO_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
  "__lookupGetter__",
  "isPrototypeOf",
  "then",
];

/** Unicode and text edge cases: controls, bidi overrides, zero widths, lone surrogates, NUL, long runs. */
const EDGE_STRINGS = [
  "",
  " ",
  "\u0000",
  "\n",
  "\r\n",
  "\t",
  "\u001b[31mred\u001b[0m",
  "\u007f",
  "\u0085",
  "\u2028",
  "\u2029",
  "\u202e\u202d",
  "\u200b\u200c\u200d\ufeff",
  "\ud800",
  "\udfff",
  "\udfff\ud800",
  "\uffff",
  "\ufffd",
  "😀",
  "e\u0301",
  "\u00e9",
  "ﬁ",
  "İ",
  "%00",
  "%ZZ",
  "../../",
  "..",
  ".",
  "/",
  "\\",
  "\"'`",
  "<script>",
  "${x}",
  "null",
  "undefined",
  "NaN",
  "-0",
  "1e309",
  "true",
  "[]",
  "{}",
  "https://",
  "https://evil.example/",
  "http://127.0.0.1:1/",
  "javascript:alert(1)",
  "data:,x",
  "file:///etc/passwd",
  "https://user:pass@hs.example/",
  "https://hs.example:99999/",
  "https://[::1/",
  "https://xn--/",
  "a".repeat(255),
  "a".repeat(256),
  ...PROTO_KEYS,
];

/** Long strings, built once: over the 4 KiB, 64 KiB and 256 KiB limits of the layers that read text. */
const HUGE_STRINGS = [300, 4_097, 65_537, 262_145].map((n) => "x".repeat(n));

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_STRINGS.slice(0, 30)) },
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_STRINGS) },
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(...HUGE_STRINGS) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...EDGE_STRINGS), fc.constantFrom(...EDGE_STRINGS), fc.string({ maxLength: 8 }))
      .map((parts) => parts.join("")),
  },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e21,
    1e308,
    -1e308,
    5e-324,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A JSON scalar a hostile sender might put anywhere. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null) },
);

/** An object with exactly these own, enumerable entries (a `__proto__` entry is an own property, as JSON.parse makes it). */
export function own(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

/** Any JSON value of bounded size, with hostile keys and strings. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 3, arbitrary: hostileScalar },
    { weight: 1, arbitrary: fc.array(tie("value"), { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(hostileKey, tie("value")), { maxLength: 4 })
        .map((entries) => own(entries)),
    },
  ),
})).value;

/** Arrays or objects nested `depth` levels (deeper than any recursive walk of ours should go). */
export function nested(depth: number, kind: "array" | "object", leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = kind === "array" ? [value] : { a: value };
  return value;
}

export const deepJson: fc.Arbitrary<unknown> = fc
  .tuple(fc.constantFrom(64, 1_000, 20_000, 200_000), fc.constantFrom("array" as const, "object" as const))
  .map(([depth, kind]) => nested(depth, kind));

/** The same nesting as JSON text of at most `maxChars` characters: a peer's or server's body. */
export function deepJsonText(maxChars: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(64, 1_000, 20_000, 200_000), fc.constantFrom("[", '{"a":'))
    .map(([depth, open]) => {
      const fits = Math.min(depth, Math.floor((maxChars - 1) / (open.length + 1)));
      return `${open.repeat(fits)}1${(open === "[" ? "]" : "}").repeat(fits)}`;
    });
}

// --- structured mutations of valid JSON values -------------------------------------------------------------

type Path = readonly (string | number)[];

/** Every path to a value inside `value` (the root is `[]`), depth-first, for mutations to pick from. */
function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (out.length > 200) return out;
  if (Array.isArray(value)) value.forEach((item, i) => pathsOf(item, [...prefix, i], out));
  else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  }
  return out;
}

function valueAt(value: unknown, path: Path): unknown {
  let current = value;
  for (const part of path) current = (current as Record<string | number, unknown> | undefined)?.[part];
  return current;
}

/** A copy of `value` with `change` applied to the value at `path` (returning `undefined` deletes it). */
function changeAt(value: unknown, path: Path, change: (current: unknown) => unknown): unknown {
  if (path.length === 0) return change(value);
  const [head, ...rest] = path;
  if (Array.isArray(value) && typeof head === "number") {
    const copy: unknown[] = [...(value as unknown[])];
    const next = changeAt(copy[head], rest, change);
    if (next === undefined && rest.length === 0) copy.splice(head, 1);
    else copy[head] = next;
    return copy;
  }
  if (typeof value === "object" && value !== null && typeof head === "string") {
    const entries = Object.entries(value).flatMap(([key, item]): [string, unknown][] => {
      if (key !== head) return [[key, item]];
      const next = changeAt(item, rest, change);
      return next === undefined && rest.length === 0 ? [] : [[key, next]];
    });
    return own(entries);
  }
  return value;
}

export type JsonMutation =
  | { readonly kind: "delete"; readonly at: number }
  | { readonly kind: "extremeNumber"; readonly at: number; readonly value: number }
  | { readonly kind: "replace"; readonly at: number; readonly value: unknown }
  | { readonly kind: "addKey"; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly kind: "wrap"; readonly at: number; readonly as: "array" | "object" }
  | { readonly kind: "retype"; readonly at: number };

/** Numbers at the edges of what arithmetic on them survives (times in seconds become milliseconds, sums overflow). */
const EXTREME_NUMBERS = [1e308, -1e308, 1e300, 1e21, 2 ** 53, 2 ** 31, 1e10, -1, 0, 0.5, 1e-7, 5e-324];

const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("extremeNumber" as const),
      at: fc.nat(),
      value: fc.constantFrom(...EXTREME_NUMBERS),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), value: hostileJson }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("addKey" as const),
      at: fc.nat(),
      key: hostileKey,
      value: hostileJson,
    }),
  },
  fc.record({
    kind: fc.constant("wrap" as const),
    at: fc.nat(),
    as: fc.constantFrom("array" as const, "object" as const),
  }),
  fc.record({ kind: fc.constant("retype" as const), at: fc.nat() }),
);

/** The same content in the nearest other JSON type: "1" for 1, 1 for "1", [x] for x, and so on. */
function retyped(value: unknown): unknown {
  if (typeof value === "string") return Number.isNaN(Number(value)) ? value.length : Number(value);
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value === null || value === undefined) return {};
  if (Array.isArray(value)) return own(value.map((item: unknown, i) => [String(i), item] as const));
  return Object.values(value);
}

export function mutateJson(value: unknown, mutation: JsonMutation): unknown {
  if (mutation.kind === "extremeNumber") {
    // A number of the value, if it has one, becomes an extreme one (a field read as a count or a duration).
    const numeric = pathsOf(value).filter((path) => typeof valueAt(value, path) === "number");
    const path = numeric[mutation.at % Math.max(1, numeric.length)];
    return path === undefined ? value : changeAt(value, path, () => mutation.value);
  }
  const paths = pathsOf(value);
  const path = paths[mutation.at % paths.length] ?? [];
  switch (mutation.kind) {
    case "delete":
      return path.length === 0 ? undefined : changeAt(value, path, () => undefined);
    case "replace":
      return changeAt(value, path, () => mutation.value);
    case "addKey":
      return changeAt(value, path, (current) =>
        typeof current === "object" && current !== null && !Array.isArray(current)
          ? own([...Object.entries(current), [mutation.key, mutation.value]])
          : own([[mutation.key, mutation.value]]),
      );
    case "wrap":
      return changeAt(value, path, (current) => (mutation.as === "array" ? [current] : { value: current }));
    case "retype":
      return changeAt(value, path, retyped);
  }
}

/** Valid `seeds`, each changed by one to three structured mutations; sometimes a seed unchanged. */
export function mutatedJson(seeds: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...seeds) },
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.constantFrom(...seeds), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }))
        .map(([seed, mutations]) => mutations.reduce(mutateJson, seed)),
    },
  );
}

/**
 * Hostile values for a reader that expects something like `seeds`: mutated seeds, anything at all, and (unless
 * `deep` is false: JSON.stringify cannot write them) values nested far deeper than any real message.
 */
export function hostileValueLike(seeds: readonly unknown[], { deep = true } = {}): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 8, arbitrary: mutatedJson(seeds) },
    { weight: 2, arbitrary: hostileJson },
    ...(deep ? [{ weight: 1, arbitrary: deepJson }] : []),
  );
}

// --- text and bytes ---------------------------------------------------------------------------------------

export type ByteMutation =
  | { readonly kind: "flip"; readonly at: number; readonly mask: number }
  | { readonly kind: "truncate"; readonly at: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "delete"; readonly at: number; readonly count: number }
  | { readonly kind: "duplicate"; readonly at: number; readonly count: number };

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("flip" as const),
      at: fc.nat(),
      mask: fc.integer({ min: 1, max: 255 }),
    }),
  },
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  },
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant("duplicate" as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 16 }),
  }),
);

export function mutateBytes(bytes: Uint8Array, mutation: ByteMutation): Uint8Array {
  const at = mutation.at % (bytes.length + 1);
  switch (mutation.kind) {
    case "flip": {
      const out = bytes.slice();
      if (at < out.length) out[at] = (out[at] ?? 0) ^ mutation.mask;
      return out;
    }
    case "truncate":
      return bytes.slice(0, at);
    case "insert":
      return concat(bytes.subarray(0, at), mutation.bytes, bytes.subarray(at));
    case "delete":
      return concat(bytes.subarray(0, at), bytes.subarray(at + mutation.count));
    case "duplicate":
      return concat(bytes.subarray(0, at + mutation.count), bytes.subarray(at));
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** `seeds` (bytes) with one to four byte-level mutations. */
export function mutatedBytes(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(byteMutation, { minLength: 1, maxLength: 4 }))
    .map(([seed, mutations]) => mutations.reduce(mutateBytes, seed));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * JSON text for a reader of `seeds`: serialised hostile values, the same with its text damaged, and raw tricks; at
 * most `maxChars` characters (what the layer in front of the reader lets through; longer text is cut).
 */
export function hostileJsonText(seeds: readonly unknown[], maxChars = 65_536): fc.Arbitrary<string> {
  const serialised = hostileValueLike(seeds, { deep: false }).map((value) => jsonText(value));
  return fc
    .oneof(
      { weight: 8, arbitrary: serialised },
      {
        weight: 3,
        arbitrary: fc
          .tuple(serialised, fc.array(byteMutation, { minLength: 1, maxLength: 3 }))
          .map(([text, mutations]) => decoder.decode(mutations.reduce(mutateBytes, encoder.encode(text)))),
      },
      { weight: 1, arbitrary: deepJsonText(maxChars) },
      {
        weight: 2,
        arbitrary: fc.tuple(fc.constantFrom(...seeds), hostileKey, hostileJson).map(([seed, key, value]) => {
          // Duplicate keys: JSON.parse keeps the last; a reader must not be fooled by the first.
          const text = jsonText(seed);
          return text.startsWith("{") && text.length > 2
            ? `{${JSON.stringify(key)}:${jsonText(value)},${text.slice(1, -1)},${JSON.stringify(key)}:${jsonText(value)}}`
            : text;
        }),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '{"__proto__":{"polluted":"yes"}}',
          '{"constructor":{"prototype":{"polluted":"yes"}}}',
          "",
          " ",
          "\ufeff{}",
          "{}",
          "[]",
          "null",
          "1",
          '"x"',
          "{",
          "}",
        ),
      },
      { weight: 1, arbitrary: hostileString },
    )
    .map((text) => (text.length > maxChars ? text.slice(0, maxChars) : text));
}

// --- structured-clone values (what Electron IPC and postMessage can carry, but JSON cannot) -------------------

function cyclic(): unknown {
  const object: Record<string, unknown> = { kind: "link", side: "show" };
  object.self = object;
  return object;
}

export const cloneableOddity: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    undefined,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    10n,
    new Date(0),
    new Date(Number.NaN),
    /x/g,
    new Map([["kind", "link"]]),
    new Set(["link"]),
    new Uint8Array([1, 2, 3]),
    new ArrayBuffer(4),
    // eslint-disable-next-line no-sparse-arrays
    [, 1],
    Object.create(null) as unknown,
    new Error("x"),
  ),
  fc.constant(null).map(() => cyclic()),
);
