// fast-check arbitraries read off the contract's own zod schemas (src-shared/contract.ts), so every command's
// request and response and every event's payload is generated from the one definition both ends check against;
// and the ways a message can be wrong (an extra key, a value of the wrong kind, something that is not an object,
// an oversize message, a name the contract does not have).
import fc from "fast-check";
import type { z } from "zod";
import { COMMAND_NAMES, EVENT_NAMES, MAX_MESSAGE_CHARS } from "../../src-shared/contract";

interface Def {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: Record<string, unknown> } }[];
  readonly entries?: Record<string, string>;
  readonly values?: readonly unknown[];
  readonly innerType?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function check(def: Def, name: string): Record<string, unknown> | undefined {
  return def.checks?.map((item) => item._zod.def).find((item) => item.check === name);
}

/** The schema inside any number of `.optional()` (`.partial()` wraps an optional field once more). */
function unwrapOptional(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (defOf(inner).type === "optional") inner = defOf(inner).innerType as z.ZodType;
  return inner;
}

/** Finite JSON numbers (no -0, which JSON turns into 0). */
const jsonNumber = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x));

/** Values that satisfy `schema`, for the kinds of schema the contract uses. */
export function valid(schema: z.ZodType): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case "string": {
      const max = (check(def, "max_length")?.maximum as number | undefined) ?? 64;
      const format = check(def, "string_format");
      if (format?.pattern instanceof RegExp) {
        return fc.stringMatching(format.pattern).filter((text) => text.length <= max);
      }
      return fc.string({ maxLength: Math.min(max, 40), unit: "binary" });
    }
    case "number": {
      const integer = def.checks?.some((item) => item._zod.def.check === "number_format") === true;
      const floor = check(def, "greater_than");
      const min = floor === undefined ? undefined : (floor.value as number);
      if (integer) return fc.integer({ min: min ?? -1_000_000, max: 1_000_000_000 });
      return min === undefined ? jsonNumber : jsonNumber.filter((x) => x >= min);
    }
    case "boolean":
      return fc.boolean();
    case "enum":
      return fc.constantFrom(...Object.values(def.entries ?? {}));
    case "literal":
      return fc.constantFrom(...(def.values ?? []));
    case "array": {
      const max = (check(def, "max_length")?.maximum as number | undefined) ?? 4;
      return fc.array(valid(def.element as z.ZodType), { maxLength: Math.min(max, 4) });
    }
    case "union":
      return fc.oneof(...(def.options ?? []).map((option) => valid(option)));
    case "object": {
      const shape = def.shape ?? {};
      const required = Object.keys(shape).filter((key) => defOf(shape[key] as z.ZodType).type !== "optional");
      const fields = Object.fromEntries(
        Object.entries(shape).map(([key, field]) => [key, valid(unwrapOptional(field))]),
      );
      return fc.record(fields, { requiredKeys: required });
    }
    case "unknown":
      return fc.jsonValue({ maxDepth: 2 });
    case "readonly":
      return valid(def.innerType as z.ZodType);
    default:
      throw new TypeError(`no arbitrary for a ${def.type} schema`);
  }
}

const JSON_KINDS = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** A key that is not in `schema`'s shape (an object schema). */
function extraKey(schema: z.ZodType): fc.Arbitrary<string> {
  const known = new Set(Object.keys(defOf(schema).shape ?? {}));
  return fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !known.has(key) && key !== "__proto__");
}

/**
 * Payloads `schema` (an object schema) refuses: with an extra key, with one key's value of another kind, or
 * not an object at all. Each is checked to be refused by the schema itself (a value of another kind can happen to
 * fit, e.g. anything fits an `unknown`).
 */
export function invalid(schema: z.ZodType): fc.Arbitrary<unknown> {
  const withExtraKey = fc
    .tuple(valid(schema), extraKey(schema), JSON_KINDS)
    .map(([value, key, extra]) => ({ ...(value as object), [key]: extra }));
  const keys = Object.keys(defOf(schema).shape ?? {});
  const wrongKind =
    keys.length === 0
      ? withExtraKey
      : fc
          .tuple(valid(schema), fc.constantFrom(...keys), JSON_KINDS)
          .map(([value, key, other]) => ({ ...(value as object), [key]: other }));
  const notAnObject = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 20 }),
    fc.array(JSON_KINDS, { maxLength: 3 }),
  );
  return fc
    .oneof(withExtraKey, wrongKind, notAnObject)
    .filter((value) => !schema.safeParse(JSON.parse(JSON.stringify(value))).success);
}

/** A valid payload made larger than any message may be, by a padding key. */
export function oversize(schema: z.ZodType): fc.Arbitrary<unknown> {
  return valid(schema).map((value) => ({ ...(value as object), padding: "x".repeat(MAX_MESSAGE_CHARS) }));
}

/** Names the contract does not have (close misses included). */
export const unknownName: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom(...COMMAND_NAMES, ...EVENT_NAMES).map((name) => `${name}x`),
    fc.constantFrom(...COMMAND_NAMES).map((name) => name.toUpperCase()),
    fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty"),
  )
  .filter((name) => !(COMMAND_NAMES as readonly string[]).includes(name));

/** A JSON round trip, as every transport does to a message. */
export function overTheWire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
