// Property tests: whatever a peer sends, parseLoginMessage either returns a message that survives a
// serialise/parse round trip unchanged, or throws ProtocolError("invalid_message"); nothing else escapes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../errors";
import type { WireVersion } from "../types";
import { DEVICE_ID, OPAQUE_ID, isAbsoluteHttpUrl, isDeviceId } from "../grammar";
import { KNOWN_FAILURE_REASONS, parseLoginMessage, serializeLoginMessage, type LoginMessage } from "./index";

const VERSIONS: readonly WireVersion[] = ["v2024", "v2025"];
const RUNS = { numRuns: 400 };

/**
 * Writing refuses exactly one thing reading takes: a v2024 `homeserver` that is a server name, which we read
 * from matrix-js-sdk but never send (rust-sdk parses the field as a URL).
 */
function writable(message: LoginMessage, version: WireVersion): boolean {
  return !(
    version === "v2024" &&
    message.type === "m.login.protocols" &&
    !isAbsoluteHttpUrl(message.homeserver)
  );
}

/** Serialises and parses again: the same message, or `invalid_message` for what we must not send. */
function checkRoundTrip(parsed: LoginMessage, version: WireVersion): void {
  if (!writable(parsed, version)) {
    expect(() => serializeLoginMessage(parsed, version)).toThrow(ProtocolError);
    return;
  }
  expect(parseLoginMessage(serializeLoginMessage(parsed, version), version)).toStrictEqual(parsed);
}

/**
 * Parses in `version` and checks the contract: ProtocolError only, and a stable round trip on success.
 * Returns whether the text parsed.
 */
function checkContract(json: string, version: WireVersion): boolean {
  let parsed;
  try {
    parsed = parseLoginMessage(json, version);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe("invalid_message");
    return false;
  }
  checkRoundTrip(parsed, version);
  return true;
}

const base64Key = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString("base64").replace(/=+$/, ""));
// DEVICE_ID is the character rule; an ID with a "." or ".." segment is refused on top of it (isDeviceId).
const deviceId = fc.stringMatching(DEVICE_ID).filter(isDeviceId);
const url = fc.webUrl({ withQueryParameters: true, withFragments: true });
const baseUrl = fc.webUrl();
const protocolNames = fc.array(fc.oneof(fc.constant("device_authorization_grant"), fc.string()), {
  maxLength: 3,
});

/** Valid wire messages of every type for a version, as plain JSON objects. */
function validWire(version: WireVersion): fc.Arbitrary<Record<string, unknown>> {
  const protocols =
    version === "v2024"
      ? fc.record({
          type: fc.constant("m.login.protocols"),
          protocols: fc.array(fc.string(), { minLength: 1, maxLength: 3 }),
          homeserver: fc.oneof(baseUrl, fc.domain()),
        })
      : fc.record({ type: fc.constant("m.login.protocols"), protocols: protocolNames, base_url: baseUrl });
  return fc.oneof(
    protocols,
    fc.record(
      {
        type: fc.constant("m.login.protocol"),
        protocol: fc.constant("device_authorization_grant"),
        device_authorization_grant: fc.record(
          { verification_uri: url, verification_uri_complete: fc.oneof(url, fc.constant(null)) },
          { requiredKeys: ["verification_uri"] },
        ),
        device_id: deviceId,
      },
      { requiredKeys: ["type", "protocol", "device_authorization_grant", "device_id"] },
    ),
    fc.record({
      type: fc.constant("m.login.protocol"),
      protocol: fc.string(),
      device_id: deviceId,
    }),
    fc.record({ type: fc.constantFrom("m.login.protocol_accepted", "m.login.success", "m.login.declined") }),
    fc.record(
      {
        type: fc.constant("m.login.failure"),
        reason: fc.oneof(fc.constantFrom(...KNOWN_FAILURE_REASONS), fc.string({ maxLength: 255 })),
        homeserver: fc.oneof(url, fc.domain(), fc.constant(null)),
      },
      { requiredKeys: ["type", "reason"] },
    ),
    fc.record(
      {
        type: fc.constant("m.login.secrets"),
        cross_signing: fc.record({
          master_key: base64Key,
          self_signing_key: base64Key,
          user_signing_key: base64Key,
        }),
        backup: fc.oneof(
          fc.constant(null),
          fc.record({
            algorithm: fc.constant("m.megolm_backup.v1.curve25519-aes-sha2"),
            key: base64Key,
            backup_version: fc.stringMatching(OPAQUE_ID),
          }),
        ),
      },
      { requiredKeys: ["type", "cross_signing"] },
    ),
  );
}

type Json = unknown;
type Path = readonly (string | number)[];

function pathsOf(value: Json, prefix: Path = []): Path[] {
  const here: Path[] = [prefix];
  if (Array.isArray(value))
    return [...here, ...value.flatMap((item: Json, i) => pathsOf(item, [...prefix, i]))];
  if (typeof value === "object" && value !== null) {
    return [...here, ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
  }
  return here;
}

interface Mutation {
  readonly at: number;
  readonly op: "replace" | "delete" | "add";
  readonly key: string;
  readonly value: Json;
}

// Values near the edges of the rules: wrong types, URLs vs server names, base64 of the wrong length or alphabet.
const edgeValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    "",
    null,
    "matrix.org",
    "https://hs.example/",
    "ftp://hs.example/",
    "javascript:alert(1)",
    "AAAA",
    "A".repeat(43),
    `${"A".repeat(43)}=`,
    "-".repeat(43),
    "m.megolm_backup.v2",
    "device_authorization_grant",
    "m.login.secrets",
    [],
    {},
  ),
);
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom("replace", "delete", "add"),
  key: fc.oneof(fc.string(), fc.constantFrom("type", "backup", "homeserver", "base_url", "__proto__")),
  value: edgeValue,
});

/** Applies mutations to a deep copy; a mutation at the root replaces the whole value. */
function mutate(original: Json, mutations: readonly Mutation[]): Json {
  let root: Json = structuredClone(original);
  for (const { at, op, key, value: shared } of mutations) {
    // Generated values may be shared between mutations: inserting the same object twice would make a cycle.
    const value: Json = structuredClone(shared);
    const paths = pathsOf(root);
    const path = paths[at % paths.length] ?? [];
    if (path.length === 0) {
      if (op === "replace") root = value;
      else if (op === "add" && typeof root === "object" && root !== null && !Array.isArray(root)) {
        Object.defineProperty(root, key, { value, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const parent = path
      .slice(0, -1)
      .reduce<Json>((node, part) => (node as Record<string | number, Json>)[part], root);
    const last = path[path.length - 1] ?? "";
    const container = parent as Record<string | number, Json>;
    if (op === "replace") container[last] = value;
    else if (op === "delete") {
      if (Array.isArray(container)) container.splice(Number(last), 1);
      else Reflect.deleteProperty(container, last);
    } else {
      const target = container[last];
      if (typeof target === "object" && target !== null && !Array.isArray(target)) {
        Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
      } else container[last] = value;
    }
  }
  return root;
}

describe("parseLoginMessage under random input", () => {
  it.each(VERSIONS)("%s: random strings only ever give ProtocolError or a stable message", (version) => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" })), (text) => {
        checkContract(text, version);
      }),
      RUNS,
    );
  });

  it.each(VERSIONS)("%s: random JSON values only ever give ProtocolError or a stable message", (version) => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        checkContract(JSON.stringify(value), version);
      }),
      RUNS,
    );
  });

  it.each(VERSIONS)("%s: every valid message parses and round-trips", (version) => {
    fc.assert(
      fc.property(validWire(version), (wire) => {
        checkRoundTrip(parseLoginMessage(JSON.stringify(wire), version), version);
      }),
      RUNS,
    );
  });

  it.each(VERSIONS.flatMap((made) => VERSIONS.map((read) => [made, read] as const)))(
    "valid %s messages with random mutations, read as %s, only ever give ProtocolError or a stable message",
    (made, read) => {
      let parsedCount = 0;
      fc.assert(
        fc.property(
          validWire(made),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          (wire, mutations) => {
            if (checkContract(JSON.stringify(mutate(wire, mutations)), read)) parsedCount++;
          },
        ),
        RUNS,
      );
      // Harmless mutations (an extra field, a reason changed to another string) keep messages valid, so the
      // round-trip half of the contract is exercised, not only the refusals.
      expect(parsedCount).toBeGreaterThan(0);
    },
  );
});
