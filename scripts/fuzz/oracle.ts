// What counts as a failure for any fuzz target, and how an outcome is named for the tally. An input may succeed,
// or fail with one of the typed errors its target declares (a layer's error class with a code from its closed set,
// or a contract error answer); anything else is a failure: another throw (a TypeError or RangeError from our code,
// a crash inside a library that we let through), a typed error whose message is unbounded or carries raw control
// characters (it reaches logs and terminals), a broken invariant of a successful answer, a change to a built-in
// prototype (prototype pollution), or an unhandled rejection.

/** Why an input failed: printed with the seed and the minimal counterexample. */
export type FailureKind =
  | "untyped_error"
  | "bad_error_message"
  | "broken_invariant"
  | "prototype_pollution"
  | "too_slow"
  | "hang"
  | "unhandled_rejection";

export class FuzzFailure extends Error {
  override readonly name = "FuzzFailure";
  readonly kind: FailureKind;

  constructor(kind: FailureKind, message: string, options?: { cause?: unknown }) {
    super(`${kind}: ${message}`, options);
    this.kind = kind;
  }
}

/** A typed error class: constructed by a layer for outside input, with a stable `code`. */
export interface ErrorFamily {
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any error class, whatever its constructor takes
  new (...args: any[]): Error & { readonly code: string };
}

/** The longest message a typed error may carry (every layer bounds outside text well below this). */
export const MAX_ERROR_MESSAGE = 2_000;

/** C0 and C1 controls and the line and paragraph separators: none may reach a log line or a terminal raw. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Checks what leaves as an error message (or a contract error's text): bounded, no raw control characters. */
export function checkMessageHygiene(where: string, message: unknown): void {
  if (typeof message !== "string")
    throw new FuzzFailure("bad_error_message", `${where}: the message is not a string`);
  if (message.length > MAX_ERROR_MESSAGE) {
    throw new FuzzFailure("bad_error_message", `${where}: a message of ${message.length} characters`);
  }
  const control = RAW_CONTROL.exec(message);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, "0");
    throw new FuzzFailure(
      "bad_error_message",
      `${where}: raw U+${code} at ${control.index} in ${JSON.stringify(message.slice(0, 200))}`,
    );
  }
}

/**
 * The label of a typed error (`ProtocolError:invalid_qr`) after checking its message; a FuzzFailure for anything
 * that is not one of `families`.
 */
export function typedOutcome(error: unknown, families: readonly ErrorFamily[]): string {
  if (error instanceof FuzzFailure) throw error;
  const family = families.find((candidate) => error instanceof candidate);
  if (family === undefined) {
    const described = error instanceof Error ? `${error.name}: ${error.message}` : `a thrown ${typeof error}`;
    throw new FuzzFailure("untyped_error", described.slice(0, 500), { cause: error });
  }
  const typed = error as Error & { code: string };
  checkMessageHygiene(`${family.name}(${typed.code})`, typed.message);
  return `${family.name}:${typed.code}`;
}

export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new FuzzFailure("broken_invariant", message);
}

// --- prototype pollution --------------------------------------------------------------------------------------

/** The built-in prototypes a hostile key could reach, and what they held before the first input. */
const WATCHED: readonly (readonly [string, object])[] = [
  ["Object.prototype", Object.prototype],
  ["Array.prototype", Array.prototype],
  ["Function.prototype", Function.prototype],
  ["String.prototype", String.prototype],
  ["Number.prototype", Number.prototype],
  ["Boolean.prototype", Boolean.prototype],
  ["RegExp.prototype", RegExp.prototype],
  ["Promise.prototype", Promise.prototype],
  ["Error.prototype", Error.prototype],
];

function slotsOf(target: object): Map<PropertyKey, unknown> {
  const slots = new Map<PropertyKey, unknown>();
  for (const key of Reflect.ownKeys(target)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(target, key);
    slots.set(key, descriptor?.get ?? descriptor?.set ?? descriptor?.value);
  }
  return slots;
}

const baseline = WATCHED.map(([name, target]) => ({ name, target, slots: slotsOf(target) }));
const objectPrototypeSlots = baseline[0]?.slots ?? new Map<PropertyKey, unknown>();

/**
 * Throws `prototype_pollution` when a built-in prototype gained, lost or changed a property since the fuzzer
 * started, or when a fresh `{}` or `[]` shows an inherited enumerable key. Object.prototype is compared slot by
 * slot; the others by their key count (cheap enough to run after every input).
 */
export function checkPrototypes(): void {
  const fresh: Record<string, unknown> = {};
  // An inherited enumerable key is exactly what is looked for.
  for (const key in fresh)
    throw new FuzzFailure("prototype_pollution", `a fresh {} has the key ${JSON.stringify(key)}`);
  const freshArray: unknown[] = [];
  // eslint-disable-next-line @typescript-eslint/no-for-in-array -- as above, on a fresh array
  for (const key in freshArray)
    throw new FuzzFailure("prototype_pollution", `a fresh [] has the key ${JSON.stringify(key)}`);
  if (Object.getPrototypeOf(fresh) !== Object.prototype) {
    throw new FuzzFailure("prototype_pollution", "a fresh {} has another prototype");
  }
  const keys = Reflect.ownKeys(Object.prototype);
  if (keys.length !== objectPrototypeSlots.size) {
    const added = keys.filter((key) => !objectPrototypeSlots.has(key)).map(String);
    throw new FuzzFailure(
      "prototype_pollution",
      `Object.prototype changed its keys (new: ${added.join(", ")})`,
    );
  }
  for (const key of keys) {
    const descriptor = Reflect.getOwnPropertyDescriptor(Object.prototype, key);
    const value: unknown = descriptor?.get ?? descriptor?.set ?? descriptor?.value;
    if (value !== objectPrototypeSlots.get(key)) {
      throw new FuzzFailure("prototype_pollution", `Object.prototype.${String(key)} was replaced`);
    }
  }
  for (const { name, target, slots } of baseline) {
    if (Reflect.ownKeys(target).length !== slots.size) {
      throw new FuzzFailure("prototype_pollution", `${name} gained or lost a property`);
    }
  }
}

// --- unhandled rejections ---------------------------------------------------------------------------------------

const unhandled: unknown[] = [];
let listening = false;

/** Starts recording unhandled rejections (Vitest still reports them too). */
export function watchUnhandledRejections(): void {
  if (listening) return;
  listening = true;
  process.on("unhandledRejection", (reason) => {
    unhandled.push(reason);
  });
}

/** Throws `unhandled_rejection` if one was recorded since the last call. */
export function checkUnhandledRejections(): void {
  if (unhandled.length === 0) return;
  const reason = unhandled[0];
  unhandled.length = 0;
  const described = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  throw new FuzzFailure("unhandled_rejection", described.slice(0, 500), { cause: reason });
}
