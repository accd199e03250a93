// Reading a decrypted login message (docs/protocol.md §4). Everything here is peer input: every failure is a
// ProtocolError("invalid_message") with a plain message naming the field, and nothing else may escape.
import type { z } from "zod";
import { nestsWithin } from "../../../src-shared/json-depth";
import { ProtocolError } from "../errors";
import type { WireVersion } from "../types";
import type { LoginMessage } from "./model";
import { bodySchema, type SchemaDirection } from "./schemas";

/** The deepest a login message nests (m.login.secrets: a few levels); deeper text is refused before parsing. */
export const MAX_MESSAGE_DEPTH = 32;

/** Parses one decrypted login message of the given wire version. Throws ProtocolError("invalid_message"). */
export function parseLoginMessage(json: string, version: WireVersion): LoginMessage {
  if (!nestsWithin(json, MAX_MESSAGE_DEPTH)) {
    throw new ProtocolError("invalid_message", `login message nests over ${MAX_MESSAGE_DEPTH} deep`);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    // The parser's own message quotes the input, which may hold secrets: say only what went wrong.
    throw new ProtocolError("invalid_message", "login message is not valid JSON");
  }
  return readLoginMessage(value, version);
}

/**
 * Validates an already-decoded JSON value as a login message and maps it to the model. `direction` "write"
 * applies the stricter rules of what we send (schemas.ts `SchemaDirection`).
 */
export function readLoginMessage(
  value: unknown,
  version: WireVersion,
  direction: SchemaDirection = "read",
): LoginMessage {
  try {
    return read(value, version, direction);
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    // Defence in depth: a bug in a schema must still surface as the peer's bad message, never as a crash.
    throw new ProtocolError("invalid_message", "login message could not be read");
  }
}

function read(value: unknown, version: WireVersion, direction: SchemaDirection): LoginMessage {
  if (!isJsonObject(value)) {
    throw new ProtocolError("invalid_message", `login message must be a JSON object, not ${jsonKind(value)}`);
  }
  const type = value.type;
  if (type === undefined) throw new ProtocolError("invalid_message", "login message has no type");
  if (typeof type !== "string") {
    throw new ProtocolError("invalid_message", `login message type must be a string, not ${jsonKind(type)}`);
  }
  const schema = bodySchema(type, version, value, direction);
  if (schema === undefined) {
    throw new ProtocolError("invalid_message", `unknown login message type ${quote(type)} (${version})`);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ProtocolError(
      "invalid_message",
      `${type} (${version}): ${describeIssues(result.error.issues, value)}`,
    );
  }
  return result.data;
}

function isJsonObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return "a string";
  return `a ${typeof value}`;
}

// Peer-controlled text ends up in error messages and logs: bound its length and escape control characters.
// JSON.stringify escapes the C0 controls only; DEL, the C1 controls (U+009B is a terminal's CSI) and the line and
// paragraph separators would still break or forge a log line, so they are escaped here too.
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`,
    )
    .join("");
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const part of path) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

// Messages name the field and the rule, never the value (which may be a private key).
function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const field = issue.path.length === 0 ? "message" : fieldPath(issue.path);
  switch (issue.code) {
    case "invalid_type": {
      const actual = valueAt(root, issue.path);
      if (actual === undefined) return `${field} is missing`;
      const article = /^[aeiou]/.test(issue.expected) ? "an" : "a";
      return `${field} must be ${article} ${issue.expected}, not ${jsonKind(actual)}`;
    }
    case "too_small":
      return `${field} must not be empty`;
    case "invalid_value":
      return `${field} must be ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
    case "custom":
      return `${field} ${issue.message}`;
    default:
      return `${field} is invalid`;
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[], root: unknown): string {
  const shown = issues.slice(0, 3).map((issue) => describeIssue(issue, root));
  return issues.length > shown.length ? `${shown.join("; ")}; …` : shown.join("; ");
}
