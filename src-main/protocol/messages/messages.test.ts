import { describe, expect, it } from "vitest";
import { ProtocolError } from "../errors";
import { MAX_MESSAGE_DEPTH } from "./parse";
import type { WireVersion } from "../types";
import {
  KNOWN_FAILURE_REASONS,
  classifyHomeserver,
  describeLoginMessage,
  parseLoginMessage,
  serializeLoginMessage,
  type LoginMessage,
} from "./index";

// Test keys: random 32-byte values, standard base64, as a peer would send them (unpadded).
const MASTER = "MdXbVoda8OfldE3rth25Lo8LAt9V4/9ClnYD1IBfZjY";
const SELF_SIGNING = "g5iqQjTdipjT5NdndA2Nrvn7H4NvjkAsOOELy68+5Rs";
const USER_SIGNING = "oGqnoHXqhW4V21poy5hnOpZfL8dP+LhRKugc4Dqup5k";
const BACKUP_KEY = "BNHvegrCtOEAH4gZSJz/G6iLkJ3Rv87VdLheUhU+AuQ";
const ALL_SECRETS = [MASTER, SELF_SIGNING, USER_SIGNING, BACKUP_KEY];
const BACKUP_ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2" as const;
const VERSIONS: readonly WireVersion[] = ["v2024", "v2025"];
/** A device ID as matrix-js-sdk makes them: 10 random alphanumerics, the shortest MAS accepts. */
const DEVICE = "QdZkLm3XpA";

/** Parses `wire`, expects `model`, and expects serialising it back to give `expectedWire` (default: `wire`). */
function expectRoundTrip(
  wire: object,
  version: WireVersion,
  model: LoginMessage,
  expectedWire: object = wire,
) {
  const parsed = parseLoginMessage(JSON.stringify(wire), version);
  expect(parsed).toStrictEqual(model);
  expect(JSON.parse(serializeLoginMessage(parsed, version))).toStrictEqual(expectedWire);
}

function parseError(json: string, version: WireVersion): ProtocolError {
  try {
    parseLoginMessage(json, version);
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw new Error("expected a ProtocolError", { cause: error });
  }
  throw new Error("expected the message to be refused");
}

/** Expects `invalid_message` whose text names `field`. */
function expectInvalid(wire: unknown, version: WireVersion, field: string) {
  const error = parseError(JSON.stringify(wire), version);
  expect(error.code).toBe("invalid_message");
  expect(error.message).toContain(field);
}

describe("m.login.protocols", () => {
  const protocols = ["device_authorization_grant"];

  it("v2024 from Element X (homeserver as an https URL with a trailing slash) round-trips", () => {
    const wire = { type: "m.login.protocols", protocols, homeserver: "https://matrix-client.matrix.org/" };
    expectRoundTrip(wire, "v2024", {
      type: "m.login.protocols",
      protocols,
      homeserver: "https://matrix-client.matrix.org/",
    });
  });

  it("v2024 from matrix-js-sdk (homeserver as the server name matrix.org) is read", () => {
    const wire = { type: "m.login.protocols", protocols, homeserver: "matrix.org" };
    expect(parseLoginMessage(JSON.stringify(wire), "v2024")).toStrictEqual({
      type: "m.login.protocols",
      protocols,
      homeserver: "matrix.org",
    });
  });

  it("v2024 reads a server name with a port and an IPv6 literal", () => {
    for (const homeserver of ["example.com:8448", "[::1]:8008", "10.0.0.1"]) {
      const wire = { type: "m.login.protocols", protocols, homeserver };
      expect(parseLoginMessage(JSON.stringify(wire), "v2024")).toStrictEqual({
        type: "m.login.protocols",
        protocols,
        homeserver,
      });
    }
  });

  it.each(["matrix.org", "example.com:8448", "[::1]:8008"])(
    "v2024 never sends the server name %s as homeserver: rust-sdk parses it as a URL and drops the message",
    (homeserver) => {
      const message: LoginMessage = { type: "m.login.protocols", protocols, homeserver };
      expect(() => serializeLoginMessage(message, "v2024")).toThrow(ProtocolError);
      expect(() => serializeLoginMessage(message, "v2024")).toThrow(
        /cannot send m\.login\.protocols.*homeserver must be an absolute http\(s\) URL/,
      );
    },
  );

  it("v2025 reads base_url into the same model field and writes it back as base_url", () => {
    const wire = { type: "m.login.protocols", protocols, base_url: "https://synapse.example.org/" };
    expectRoundTrip(wire, "v2025", {
      type: "m.login.protocols",
      protocols,
      homeserver: "https://synapse.example.org/",
    });
  });

  it("v2025 allows an empty protocol list (no protocol available)", () => {
    const wire = { type: "m.login.protocols", protocols: [], base_url: "https://synapse.example.org" };
    expectRoundTrip(wire, "v2025", {
      type: "m.login.protocols",
      protocols: [],
      homeserver: "https://synapse.example.org",
    });
  });

  it("one model is written per version: homeserver in v2024, base_url in v2025", () => {
    const message: LoginMessage = { type: "m.login.protocols", protocols, homeserver: "https://hs.example/" };
    expect(JSON.parse(serializeLoginMessage(message, "v2024"))).toStrictEqual({
      type: "m.login.protocols",
      protocols,
      homeserver: "https://hs.example/",
    });
    expect(JSON.parse(serializeLoginMessage(message, "v2025"))).toStrictEqual({
      type: "m.login.protocols",
      protocols,
      base_url: "https://hs.example/",
    });
  });

  it.each([
    [
      "v2024 with base_url instead of homeserver",
      "v2024",
      { protocols, base_url: "https://a.example/" },
      "homeserver is missing",
    ],
    [
      "v2025 with homeserver instead of base_url",
      "v2025",
      { protocols, homeserver: "https://a.example/" },
      "base_url is missing",
    ],
    ["v2025 with a server name as base_url", "v2025", { protocols, base_url: "matrix.org" }, "base_url"],
    ["v2025 with a non-http base_url", "v2025", { protocols, base_url: "ftp://a.example/" }, "base_url"],
    [
      "v2024 with an empty protocol list",
      "v2024",
      { protocols: [], homeserver: "matrix.org" },
      "protocols must not be empty",
    ],
    [
      "v2024 with a homeserver that is neither URL nor server name",
      "v2024",
      { protocols, homeserver: "matrix org" },
      "homeserver",
    ],
    [
      "v2024 with a homeserver URL carrying user info",
      "v2024",
      { protocols, homeserver: "https://matrix.org@evil.example/" },
      "homeserver",
    ],
    [
      "protocols not a list",
      "v2025",
      { protocols: "device_authorization_grant", base_url: "https://a.example/" },
      "protocols must be an array",
    ],
    [
      "a protocol that is not a string",
      "v2024",
      { protocols: [7], homeserver: "matrix.org" },
      "protocols[0] must be a string",
    ],
    ["homeserver not a string", "v2024", { protocols, homeserver: 7 }, "homeserver must be a string"],
    [
      "a protocol name longer than 255 characters",
      "v2025",
      { protocols: ["device_authorization_grant", "y".repeat(256)], base_url: "https://a.example/" },
      "protocols[1] is longer than 255 characters",
    ],
  ] as const)("refuses %s", (_label, version, fields, mention) => {
    expectInvalid({ type: "m.login.protocols", ...fields }, version, mention);
  });
});

describe("m.login.protocol", () => {
  const deviceId = "wjLpTLRqbqBzLs63aYaEv2Boi6cFEbbM/sSRQ2oAKk4";

  it.each(VERSIONS)(
    "%s from rust-sdk (Curve25519 key as device ID, verification_uri_complete null)",
    (version) => {
      const wire = {
        type: "m.login.protocol",
        protocol: "device_authorization_grant",
        device_authorization_grant: {
          verification_uri: "https://auth.example/link",
          verification_uri_complete: null,
        },
        device_id: deviceId,
      };
      expectRoundTrip(
        wire,
        version,
        {
          type: "m.login.protocol",
          protocol: "device_authorization_grant",
          device_authorization_grant: { verification_uri: "https://auth.example/link" },
          device_id: deviceId,
        },
        { ...wire, device_authorization_grant: { verification_uri: "https://auth.example/link" } },
      );
    },
  );

  it.each([
    ["rust-sdk's base64 identity key", "wjLpTLRqbqBzLs63aYaEv2Boi6cFEbbM/sSRQ2oAKk4"],
    ["every character MAS allows", "AZaz09._~!$&'()*+,;=:@/-"],
    ["255 characters", "D".repeat(255)],
  ])("takes a device_id made of %s", (_label, device_id) => {
    const wire = {
      type: "m.login.protocol",
      protocol: "device_authorization_grant",
      device_authorization_grant: { verification_uri: "https://auth.example/link" },
      device_id,
    };
    expect(parseLoginMessage(JSON.stringify(wire), "v2025")).toMatchObject({ device_id });
  });

  it.each(VERSIONS)("%s from matrix-js-sdk with both URLs (Tuwunel fills in the user code)", (version) => {
    const grant = {
      verification_uri: "https://hs.example/_tuwunel/oidc/device",
      verification_uri_complete: "https://hs.example/_tuwunel/oidc/device?user_code=BCDFG-HJKLM",
    };
    const wire = {
      type: "m.login.protocol",
      protocol: "device_authorization_grant",
      device_id: "AbCdEfGhIj",
      device_authorization_grant: grant,
    };
    expectRoundTrip(wire, version, {
      type: "m.login.protocol",
      protocol: "device_authorization_grant",
      device_authorization_grant: grant,
      device_id: "AbCdEfGhIj",
    });
  });

  it("keeps an unknown protocol so the flow can answer unsupported_protocol, without reading its fields", () => {
    const wire = {
      type: "m.login.protocol",
      protocol: "m.future_login",
      m_future_login: { x: 1 },
      device_id: DEVICE,
    };
    expectRoundTrip(
      wire,
      "v2025",
      { type: "m.login.protocol", protocol: { unknown: "m.future_login" }, device_id: DEVICE },
      { type: "m.login.protocol", protocol: "m.future_login", device_id: DEVICE },
    );
  });

  const grant = { verification_uri: "https://auth.example/link" };
  it.each([
    [
      "the device grant missing",
      { protocol: "device_authorization_grant", device_id: DEVICE },
      "device_authorization_grant is missing",
    ],
    [
      "a verification_uri that is not a URL",
      {
        protocol: "device_authorization_grant",
        device_id: DEVICE,
        device_authorization_grant: { verification_uri: "auth.example/link" },
      },
      "device_authorization_grant.verification_uri must be an absolute http(s) URL",
    ],
    [
      "a javascript: verification_uri_complete",
      {
        protocol: "device_authorization_grant",
        device_id: DEVICE,
        device_authorization_grant: { ...grant, verification_uri_complete: "javascript:alert(1)" },
      },
      "device_authorization_grant.verification_uri_complete",
    ],
    [
      "a verification_uri with a newline smuggled in",
      {
        protocol: "device_authorization_grant",
        device_id: DEVICE,
        device_authorization_grant: { verification_uri: "https://auth.exa\nmple/" },
      },
      "verification_uri",
    ],
    [
      "an empty device_id",
      { protocol: "device_authorization_grant", device_id: "", device_authorization_grant: grant },
      "device_id is empty",
    ],
    [
      "a device_id shorter than MAS's 10 characters",
      { protocol: "device_authorization_grant", device_id: "ABCDEFGHI", device_authorization_grant: grant },
      "device_id is 9 characters long (10 to 255 allowed)",
    ],
    [
      "a device_id longer than 255 characters",
      {
        protocol: "device_authorization_grant",
        device_id: "A".repeat(256),
        device_authorization_grant: grant,
      },
      "device_id is 256 characters long",
    ],
    [
      "a device_id with a space (it would break the OAuth scope list)",
      { protocol: "device_authorization_grant", device_id: "ABCDE FGHIJ", device_authorization_grant: grant },
      "device_id contains a character outside",
    ],
    [
      "a device_id with a percent sign or a question mark (it goes into GET /devices/{id})",
      {
        protocol: "device_authorization_grant",
        device_id: "ABCDEFGHIJ%2F?x",
        device_authorization_grant: grant,
      },
      "device_id contains a character outside",
    ],
    [
      "an unknown protocol with a device_id outside the grammar",
      { protocol: "m.future_login", device_id: "DEV" },
      "device_id is 3 characters long",
    ],
    [
      "no device_id",
      { protocol: "device_authorization_grant", device_authorization_grant: grant },
      "device_id is missing",
    ],
    [
      "a numeric device_id",
      { protocol: "device_authorization_grant", device_id: 42, device_authorization_grant: grant },
      "device_id must be a string",
    ],
    ["a protocol that is not a string", { protocol: 1, device_id: DEVICE }, "protocol must be a string"],
    // The device ID goes into GET /devices/{id}: a "." or ".." segment would name another path.
    ...[
      "../ABCDEFGHIJ",
      "../../_matrix/client/v3/keys/query",
      "ABCDEFGHIJ/..",
      "ABCDEFGHIJ/./x",
      "./ABCDEFGHIJ",
      "abc/../../devices",
    ].map(
      (deviceId) =>
        [
          `a device_id with a dot segment (${deviceId})`,
          { protocol: "device_authorization_grant", device_id: deviceId, device_authorization_grant: grant },
          'device_id has a "." or ".." segment between slashes',
        ] as const,
    ),
    [
      "an unknown protocol name longer than 255 characters (kept for the answer, so bounded)",
      { protocol: `m.${"x".repeat(254)}`, device_id: DEVICE },
      "protocol is longer than 255 characters",
    ],
  ] as const)("refuses %s", (_label, fields, mention) => {
    for (const version of VERSIONS) expectInvalid({ type: "m.login.protocol", ...fields }, version, mention);
  });

  it("keeps device IDs whose dots are not whole segments, and a 255-character unknown protocol name", () => {
    for (const deviceId of [".........x", "a..b/c.d/..e", "ABCDEFGHIJ/...", "a/b/c/d/e/f"]) {
      const wire = {
        type: "m.login.protocol",
        protocol: "device_authorization_grant",
        device_authorization_grant: grant,
        device_id: deviceId,
      } as const;
      expectRoundTrip(wire, "v2025", wire);
    }
    const name = `m.${"x".repeat(253)}`;
    expectRoundTrip({ type: "m.login.protocol", protocol: name, device_id: DEVICE }, "v2024", {
      type: "m.login.protocol",
      protocol: { unknown: name },
      device_id: DEVICE,
    });
  });
});

describe("messages without fields", () => {
  it.each(
    VERSIONS.flatMap((version) =>
      (["m.login.protocol_accepted", "m.login.success", "m.login.declined"] as const).map(
        (type) => [type, version] as const,
      ),
    ),
  )("%s (%s) round-trips, and extra fields are dropped", (type, version) => {
    expectRoundTrip({ type }, version, { type });
    expectRoundTrip({ type, extra: { nested: true } }, version, { type }, { type });
  });
});

describe("m.login.failure", () => {
  it.each(VERSIONS.flatMap((version) => KNOWN_FAILURE_REASONS.map((reason) => [reason, version] as const)))(
    "known reason %s (%s) round-trips",
    (reason, version) => {
      expectRoundTrip({ type: "m.login.failure", reason }, version, { type: "m.login.failure", reason });
    },
  );

  it("from rust-sdk with a homeserver URL round-trips", () => {
    const wire = {
      type: "m.login.failure",
      reason: "unsupported_protocol",
      homeserver: "https://matrix-client.matrix.org/",
    };
    expectRoundTrip(wire, "v2024", {
      type: "m.login.failure",
      reason: "unsupported_protocol",
      homeserver: "https://matrix-client.matrix.org/",
    });
  });

  it("from rust-sdk without a homeserver (serialised as null) reads as absent", () => {
    const wire = { type: "m.login.failure", reason: "device_not_found", homeserver: null };
    expectRoundTrip(
      wire,
      "v2024",
      { type: "m.login.failure", reason: "device_not_found" },
      { type: "m.login.failure", reason: "device_not_found" },
    );
  });

  it("refuses a reason longer than 255 characters (peer text ends up in logs and on screen)", () => {
    expectInvalid({ type: "m.login.failure", reason: "x".repeat(256) }, "v2024", "reason is longer than 255");
    expectRoundTrip({ type: "m.login.failure", reason: "x".repeat(255) }, "v2025", {
      type: "m.login.failure",
      reason: { unknown: "x".repeat(255) },
    });
  });

  it("keeps an unknown reason apart from the known ones", () => {
    const wire = { type: "m.login.failure", reason: "m.something_new" };
    expectRoundTrip(wire, "v2025", { type: "m.login.failure", reason: { unknown: "m.something_new" } });
  });

  it.each([["matrix.org"], [42], [{ url: "https://x.example/" }]])(
    "never fails on a homeserver it cannot use (%j), and never sends it back",
    (homeserver) => {
      const wire = { type: "m.login.failure", reason: "user_cancelled", homeserver };
      expectRoundTrip(
        wire,
        "v2024",
        { type: "m.login.failure", reason: "user_cancelled" },
        { type: "m.login.failure", reason: "user_cancelled" },
      );
    },
  );

  it("sends a homeserver only when it is a URL (rust-sdk reads it as Option<Url>)", () => {
    const named: LoginMessage = {
      type: "m.login.failure",
      reason: "user_cancelled",
      homeserver: "matrix.org",
    };
    expect(JSON.parse(serializeLoginMessage(named, "v2024"))).toStrictEqual({
      type: "m.login.failure",
      reason: "user_cancelled",
    });
  });

  it.each([
    ["no reason", {}, "reason is missing"],
    ["a numeric reason", { reason: 3 }, "reason must be a string"],
  ] as const)("refuses %s", (_label, fields, mention) => {
    expectInvalid({ type: "m.login.failure", ...fields }, "v2024", mention);
  });
});

describe("m.login.secrets", () => {
  const crossSigning = { master_key: MASTER, self_signing_key: SELF_SIGNING, user_signing_key: USER_SIGNING };
  const backup = { algorithm: BACKUP_ALGORITHM, key: BACKUP_KEY, backup_version: "2" };

  it.each(VERSIONS)(
    '%s from rust-sdk with "backup": null reads as no backup and is sent without it',
    (version) => {
      const wire = { type: "m.login.secrets", cross_signing: crossSigning, backup: null };
      expectRoundTrip(
        wire,
        version,
        { type: "m.login.secrets", cross_signing: crossSigning },
        { type: "m.login.secrets", cross_signing: crossSigning },
      );
    },
  );

  it.each(VERSIONS)("%s with a megolm v1 backup round-trips", (version) => {
    const wire = { type: "m.login.secrets", cross_signing: crossSigning, backup };
    expectRoundTrip(wire, version, { type: "m.login.secrets", cross_signing: crossSigning, backup });
  });

  it("tolerates padded base64 and sends it unpadded", () => {
    const padded = {
      master_key: `${MASTER}=`,
      self_signing_key: `${SELF_SIGNING}=`,
      user_signing_key: `${USER_SIGNING}=`,
    };
    const wire = {
      type: "m.login.secrets",
      cross_signing: padded,
      backup: { ...backup, key: `${BACKUP_KEY}=` },
    };
    expectRoundTrip(
      wire,
      "v2024",
      { type: "m.login.secrets", cross_signing: crossSigning, backup },
      { type: "m.login.secrets", cross_signing: crossSigning, backup },
    );
  });

  const short = MASTER.slice(0, 40); // 30 bytes
  it.each([
    [
      "an unknown backup algorithm (rust-sdk refuses the whole message)",
      { cross_signing: crossSigning, backup: { ...backup, algorithm: "m.megolm_backup.v2" } },
      'backup.algorithm must be "m.megolm_backup.v1.curve25519-aes-sha2"',
    ],
    [
      "a master key of 30 bytes",
      { cross_signing: { ...crossSigning, master_key: short } },
      "cross_signing.master_key must encode 32 bytes",
    ],
    [
      "a backup key of 33 bytes",
      { cross_signing: crossSigning, backup: { ...backup, key: `${BACKUP_KEY}AA` } },
      "backup.key",
    ],
    [
      "a URL-safe base64 key",
      { cross_signing: { ...crossSigning, self_signing_key: SELF_SIGNING.replace("+", "-") } },
      "cross_signing.self_signing_key must be standard base64",
    ],
    [
      "a missing user-signing key",
      { cross_signing: { master_key: MASTER, self_signing_key: SELF_SIGNING } },
      "cross_signing.user_signing_key is missing",
    ],
    ["no cross-signing keys", { backup }, "cross_signing is missing"],
    [
      "a numeric backup version",
      { cross_signing: crossSigning, backup: { ...backup, backup_version: 2 } },
      "backup.backup_version must be a string",
    ],
    [
      "an empty backup version (it names no backup to check the key against)",
      { cross_signing: crossSigning, backup: { ...backup, backup_version: "" } },
      "backup.backup_version must not be empty",
    ],
    // backup_version goes into GET /room_keys/version/{version}: an opaque ID, not free text.
    [
      "a backup version with CR/LF in it",
      { cross_signing: crossSigning, backup: { ...backup, backup_version: "1\r\nX-Injected: yes" } },
      "backup.backup_version contains a character outside 0-9 A-Z a-z . _ ~ -",
    ],
    [
      "a backup version that is a path",
      { cross_signing: crossSigning, backup: { ...backup, backup_version: "../../keys" } },
      "backup.backup_version contains a character outside",
    ],
    [
      "a backup version of a megabyte",
      { cross_signing: crossSigning, backup: { ...backup, backup_version: "7".repeat(1_000_000) } },
      "backup.backup_version is 1000000 characters long (at most 255 allowed)",
    ],
    [
      "a backup without key",
      { cross_signing: crossSigning, backup: { algorithm: BACKUP_ALGORITHM, backup_version: "1" } },
      "backup.key is missing",
    ],
    [
      "a backup that is a string",
      { cross_signing: crossSigning, backup: "none" },
      "backup must be an object",
    ],
  ] as const)("refuses %s, naming the field and never a key", (_label, fields, mention) => {
    for (const version of VERSIONS) {
      const error = parseError(JSON.stringify({ type: "m.login.secrets", ...fields }), version);
      expect(error.code).toBe("invalid_message");
      expect(error.message).toContain(mention);
      for (const secret of [...ALL_SECRETS, short]) expect(error.message).not.toContain(secret);
    }
  });

  it("a secrets message is described by field names only", () => {
    const message = parseLoginMessage(
      JSON.stringify({ type: "m.login.secrets", cross_signing: crossSigning, backup }),
      "v2024",
    );
    const description = describeLoginMessage(message);
    expect(description).toStrictEqual({
      type: "m.login.secrets",
      fields: [
        "cross_signing.master_key",
        "cross_signing.self_signing_key",
        "cross_signing.user_signing_key",
        "backup.algorithm",
        "backup.key",
        "backup.backup_version",
      ],
    });
    const text = JSON.stringify(description);
    for (const secret of ALL_SECRETS) expect(text).not.toContain(secret);
  });
});

describe("describeLoginMessage", () => {
  it("names the device grant fields that are present", () => {
    const message: LoginMessage = {
      type: "m.login.protocol",
      protocol: "device_authorization_grant",
      device_authorization_grant: { verification_uri: "https://auth.example/link" },
      device_id: DEVICE,
    };
    expect(describeLoginMessage(message)).toStrictEqual({
      type: "m.login.protocol",
      fields: ["protocol", "device_authorization_grant.verification_uri", "device_id"],
    });
  });

  it("gives no fields for messages without any", () => {
    expect(describeLoginMessage({ type: "m.login.success" })).toStrictEqual({
      type: "m.login.success",
      fields: [],
    });
  });
});

describe("anything that is not a login message", () => {
  it.each([
    ["not JSON", "{type: m.login.success}", "not valid JSON"],
    ["empty text", "", "not valid JSON"],
    ["a JSON array", "[]", "must be a JSON object, not an array"],
    ["JSON null", "null", "must be a JSON object, not null"],
    ["a JSON number", "7", "must be a JSON object, not a number"],
    ["a JSON string", '"m.login.success"', "must be a JSON object, not a string"],
    ["an object without type", "{}", "has no type"],
    ["a numeric type", '{"type":1}', "type must be a string"],
    ["an unknown type", '{"type":"m.login.bogus"}', 'unknown login message type "m.login.bogus"'],
    [
      "a type named after an Object property",
      '{"type":"constructor"}',
      'unknown login message type "constructor"',
    ],
    ["a type named __proto__", '{"type":"__proto__"}', 'unknown login message type "__proto__"'],
  ])("refuses %s", (_label, json, mention) => {
    for (const version of VERSIONS) {
      const error = parseError(json, version);
      expect(error.code).toBe("invalid_message");
      expect(error.message).toContain(mention);
    }
  });

  it("does not echo the text of broken JSON (it may hold secrets)", () => {
    const error = parseError(`{"type":"m.login.secrets","cross_signing":{"master_key":"${MASTER}"`, "v2024");
    expect(error.message).not.toContain(MASTER);
  });

  it("bounds a huge unknown type in the error text", () => {
    const error = parseError(JSON.stringify({ type: "x".repeat(10_000) }), "v2024");
    expect(error.message.length).toBeLessThan(200);
  });

  it("escapes every control character of an unknown type in the error text, not only those JSON escapes", () => {
    const error = parseError(JSON.stringify({ type: "a\u2028b\u2029c\u0085d\u009b31me\u007ff\n" }), "v2025");
    expect(error.message).toContain('"a\\u2028b\\u2029c\\u0085d\\u009b31me\\u007ff\\n"');
    // eslint-disable-next-line no-control-regex -- the point is that none is left
    expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  it("ignores unknown fields and never copies them into the model or onto the wire", () => {
    const wire = {
      type: "m.login.protocols",
      protocols: ["device_authorization_grant"],
      homeserver: "https://matrix.org/",
      org_example_extra: "value",
      __proto__: { polluted: true },
    };
    const parsed = parseLoginMessage(JSON.stringify(wire), "v2024");
    expect(Object.keys(parsed).sort()).toStrictEqual(["homeserver", "protocols", "type"]);
    expect(serializeLoginMessage(parsed, "v2024")).not.toContain("extra");
  });
});

describe("serializeLoginMessage refuses what a peer would refuse", () => {
  it("a v2025 base_url that is a server name", () => {
    const message: LoginMessage = { type: "m.login.protocols", protocols: [], homeserver: "matrix.org" };
    expect(() => serializeLoginMessage(message, "v2025")).toThrow(ProtocolError);
    expect(() => serializeLoginMessage(message, "v2025")).toThrow(
      /cannot send m\.login\.protocols.*base_url/,
    );
  });

  it("a device grant URL from the OAuth server that is not a URL", () => {
    const message: LoginMessage = {
      type: "m.login.protocol",
      protocol: "device_authorization_grant",
      device_authorization_grant: { verification_uri: "/link" },
      device_id: DEVICE,
    };
    expect(() => serializeLoginMessage(message, "v2024")).toThrow(/verification_uri/);
  });

  it("a secrets bundle with a short key, without echoing the key", () => {
    const message: LoginMessage = {
      type: "m.login.secrets",
      cross_signing: { master_key: "AAAA", self_signing_key: SELF_SIGNING, user_signing_key: USER_SIGNING },
    };
    let text = "";
    try {
      serializeLoginMessage(message, "v2024");
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError);
      text = (error as ProtocolError).message;
    }
    expect(text).toContain("cross_signing.master_key");
    expect(text).not.toContain(SELF_SIGNING);
  });
});

describe("classifyHomeserver", () => {
  it("treats an http(s) URL as a base URL and anything else as a server name for .well-known", () => {
    expect(classifyHomeserver("https://matrix-client.matrix.org/")).toStrictEqual({
      kind: "base_url",
      baseUrl: "https://matrix-client.matrix.org/",
    });
    expect(classifyHomeserver("matrix.org")).toStrictEqual({ kind: "server_name", serverName: "matrix.org" });
  });
});

// Found by the fuzzer (messages.parse, minimal input 87,389 characters of `{"a":` nesting): V8's JSON.parse spends
// about a microsecond per level, so a peer's deep message held the reader for tens of milliseconds.
describe("a login message nested deeper than any message", () => {
  it("is refused before it is parsed", () => {
    const deep = `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`;
    for (const version of ["v2024", "v2025"] as const) {
      expect(() => parseLoginMessage(deep, version)).toThrow(
        new ProtocolError("invalid_message", `login message nests over ${MAX_MESSAGE_DEPTH} deep`),
      );
    }
    // Brackets inside strings are text, not nesting.
    expect(() =>
      parseLoginMessage(JSON.stringify({ type: "m.login.declined", x: "{[".repeat(100) }), "v2024"),
    ).not.toThrow(/nests/);
  });
});
