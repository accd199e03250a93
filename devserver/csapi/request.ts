// Reading client-server API requests the way Synapse does: the access token first, then the JSON body
// (`parse_json_object_from_request`: 400 `M_NOT_JSON` when it does not parse, 400 `M_BAD_JSON` when it is not an
// object), then query parameters.
import type { IncomingMessage } from "node:http";
import { MatrixError, readJson } from "../http";
import { isJsonObject, type JsonObject } from "./signing";

/** Bodies larger than this are 413 `M_TOO_LARGE`; a key upload with 100 one-time keys is about 25 KiB. */
const BODY_LIMIT = 1024 * 1024;

export function badJson(message: string): MatrixError {
  return new MatrixError(400, "M_BAD_JSON", message);
}

export function invalidParam(message: string): MatrixError {
  return new MatrixError(400, "M_INVALID_PARAM", message);
}

export function missingParam(message: string): MatrixError {
  return new MatrixError(400, "M_MISSING_PARAM", message);
}

export function forbidden(message: string): MatrixError {
  return new MatrixError(403, "M_FORBIDDEN", message);
}

export function notFound(message: string): MatrixError {
  return new MatrixError(404, "M_NOT_FOUND", message);
}

export async function readJsonObject(req: IncomingMessage): Promise<JsonObject> {
  const body = await readJson(req, BODY_LIMIT);
  if (!isJsonObject(body)) throw badJson("Content must be a JSON object.");
  return body;
}

/** A non-negative integer query parameter, `fallback` when absent; 400 `M_INVALID_PARAM` when malformed. */
export function integerParam(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,15}$/.test(raw)) throw invalidParam(`Query parameter "${name}" must be an integer`);
  return Number(raw);
}

export function requiredParam(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (value === null) throw missingParam(`Missing string query parameter "${name}"`);
  return value;
}

export function isStringRecord(value: unknown): value is Record<string, string> {
  return isJsonObject(value) && Object.values(value).every((entry) => typeof entry === "string");
}

/** `{user: {keyId: signature}}`, the shape of every `signatures` property. */
export function isSignatureMap(value: unknown): value is Record<string, Record<string, string>> {
  return isJsonObject(value) && Object.values(value).every(isStringRecord);
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === "string");
}

/** The server part of a user ID, or undefined when it is not `@localpart:server`. */
export function serverNameOf(userId: string): string | undefined {
  const colon = userId.indexOf(":");
  if (!userId.startsWith("@") || colon < 2 || colon === userId.length - 1) return undefined;
  return userId.slice(colon + 1);
}
