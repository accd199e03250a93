// Entity-tag preconditions for the v2024 API, evaluated as Synapse's `headers` crate does (RFC 9110 §13.1):
// If-Match uses the strong comparison, If-None-Match the weak one, `*` matches any current tag, and list members
// that are not valid entity tags never match.

interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

function parseTag(text: string): EntityTag | undefined {
  const match = ENTITY_TAG.exec(text.trim());
  if (match === null) return undefined;
  return { weak: match[1] !== undefined, opaque: match[2] ?? "" };
}

function parseList(header: string): "*" | EntityTag[] {
  if (header.trim() === "*") return "*";
  return header.split(",").flatMap((member) => parseTag(member) ?? []);
}

/** RFC 9110 §13.1.1: true when the write may proceed. `current` is the session's (strong, quoted) ETag. */
export function ifMatchPasses(header: string, current: string): boolean {
  const list = parseList(header);
  if (list === "*") return true;
  const tag = parseTag(current);
  if (tag === undefined) return false;
  return list.some((candidate) => !candidate.weak && !tag.weak && candidate.opaque === tag.opaque);
}

/** RFC 9110 §13.1.2: true when the full response is due, false when 304 Not Modified is. */
export function ifNoneMatchPasses(header: string, current: string): boolean {
  const list = parseList(header);
  if (list === "*") return false;
  const tag = parseTag(current);
  if (tag === undefined) return true;
  return !list.some((candidate) => candidate.opaque === tag.opaque);
}
