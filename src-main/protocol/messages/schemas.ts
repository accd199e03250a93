// Wire schemas of the MSC4108 login messages, per wire version, each mapping the JSON body to the model.
// Unknown fields are dropped by `z.object` (forward compatibility, docs/protocol.md §4): they are never copied into
// the model, so nothing a peer adds can travel on through our code.
import { z } from "zod";
import { decodeBase64, encodeBase64 } from "../base64";
import type { WireVersion } from "../types";
import {
  deviceIdProblem,
  isAbsoluteHttpUrl,
  isBaseUrl,
  opaqueIdProblem,
  serverNameOrUrlProblem,
} from "../grammar";
import {
  DEVICE_AUTHORIZATION_GRANT,
  KNOWN_FAILURE_REASONS,
  MEGOLM_BACKUP_V1,
  type BackupSecrets,
  type KnownFailureReason,
  type LoginMessage,
  type LoginMessageType,
  type UnknownValue,
} from "./model";

const httpUrl = z.string().refine(isAbsoluteHttpUrl, { error: "must be an absolute http(s) URL" });

// A homeserver base URL: API paths are appended to it (grammar.ts `baseUrlProblem`).
const baseUrl = z
  .string()
  .refine(isBaseUrl, { error: "must be an absolute http(s) URL without query or fragment" });

// v2024, reading: rust-sdk sends `https://…/`, matrix-js-sdk sends `client.getDomain()` (docs/protocol.md §4).
const homeserverUrlOrServerName = z.string().refine((value) => serverNameOrUrlProblem(value) === undefined, {
  error: "must be an absolute http(s) URL (without query or fragment) or a server name",
});

/** Peer-chosen text runs through one grammar rule (grammar.ts), whose complaint becomes the issue text. */
const grammarChecked = (problemOf: (text: string) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const problem = problemOf(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });

// The device ID goes into the OAuth device scope and into `GET /devices/{id}`: MAS's grammar (grammar.ts).
const deviceId = grammarChecked(deviceIdProblem);

/** The longest protocol name we take from a peer (the known one is 26 characters): bounded for logs and memory. */
export const MAX_PROTOCOL_NAME_LENGTH = 255;

// Protocol names are kept even when unknown (the flow answers `unsupported_protocol`), so they are bounded.
const protocolName = grammarChecked((text) =>
  text.length > MAX_PROTOCOL_NAME_LENGTH
    ? `is longer than ${MAX_PROTOCOL_NAME_LENGTH} characters`
    : undefined,
);

// Cross-signing seeds and the backup key are exactly 32 bytes; padding is tolerated on input as
// `BackupDecryptionKey::from_base64` does, and dropped so we always send the unpadded form (docs/protocol.md §7).
// The issue text never includes the value: these are private keys.
const key32 = z.string().transform((value, ctx) => {
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(value, "invalid_message");
  } catch {
    ctx.addIssue({ code: "custom", message: "must be standard base64" });
    return z.NEVER;
  }
  if (bytes.length !== 32) {
    ctx.addIssue({ code: "custom", message: `must encode 32 bytes, not ${bytes.length}` });
    return z.NEVER;
  }
  return encodeBase64(bytes);
});

const protocolsV2024 = (homeserver: z.ZodType<string>) =>
  z
    .object({ protocols: z.array(protocolName).min(1), homeserver })
    .transform(({ protocols, homeserver }) => ({
      type: "m.login.protocols" as const,
      protocols,
      homeserver,
    }));
const protocolsV2024Read = protocolsV2024(homeserverUrlOrServerName);
// v2024, writing: rust-sdk and Element X parse `homeserver` as a `Url` and refuse the whole message otherwise
// (docs/protocol.md §4), so we send only an absolute URL even though we read a server name.
const protocolsV2024Write = protocolsV2024(baseUrl);

// MSC4108 2025: `base_url` replaces `homeserver`, and an empty list says "no protocol available".
const protocolsV2025 = z
  .object({ protocols: z.array(protocolName), base_url: baseUrl })
  .transform(({ protocols, base_url }) => ({
    type: "m.login.protocols" as const,
    protocols,
    homeserver: base_url,
  }));

/** The most we take of a free-text field from the peer (failure reasons): enough for any code, bounded for logs. */
export const MAX_REASON_LENGTH = 255;

// rust-sdk serialises a missing `verification_uri_complete` as `null` (an `Option` without skip).
const deviceAuthorizationGrant = z
  .object({ verification_uri: httpUrl, verification_uri_complete: httpUrl.nullish() })
  .transform(({ verification_uri, verification_uri_complete }) =>
    verification_uri_complete == null
      ? { verification_uri }
      : { verification_uri, verification_uri_complete },
  );

// The grant object is named after the protocol (MSC4108 `m.login.protocol`), so it is read only when the protocol
// is one we know; an unknown protocol still parses so the flow can answer `unsupported_protocol`.
const deviceAuthorizationGrantProtocol = z
  .object({
    protocol: z.literal(DEVICE_AUTHORIZATION_GRANT),
    device_authorization_grant: deviceAuthorizationGrant,
    device_id: deviceId,
  })
  .transform((body) => ({ type: "m.login.protocol" as const, ...body }));

const unknownProtocol = z
  .object({ protocol: protocolName, device_id: deviceId })
  .transform(({ protocol, device_id }) => ({
    type: "m.login.protocol" as const,
    protocol: { unknown: protocol },
    device_id,
  }));

function isKnownFailureReason(reason: string): reason is KnownFailureReason {
  return (KNOWN_FAILURE_REASONS as readonly string[]).includes(reason);
}

// `homeserver` is informational: a server name or a wrong type here must not turn a clean failure into a parse
// error, so anything that is not a URL we could send back is ignored rather than refused.
const reason = z.string().refine((value) => value.length <= MAX_REASON_LENGTH, {
  error: `is longer than ${MAX_REASON_LENGTH} characters`,
});

const failure = z
  .object({ reason, homeserver: z.unknown().optional() })
  .transform(({ reason, homeserver }) => {
    const known: KnownFailureReason | UnknownValue = isKnownFailureReason(reason)
      ? reason
      : { unknown: reason };
    return typeof homeserver === "string" && isAbsoluteHttpUrl(homeserver)
      ? { type: "m.login.failure" as const, reason: known, homeserver }
      : { type: "m.login.failure" as const, reason: known };
  });

// rust-sdk sends a missing backup as `"backup": null`, and refuses the whole message on an unknown algorithm
// (its backup type is an enum tagged on `algorithm`), so we refuse it too (docs/protocol.md §7).
// `backup_version` names the server-side backup to check the key against (`GET /room_keys/version/{version}`),
// so it has the grammar of an opaque identifier (Synapse's are decimal numbers): a path segment, not free text.
const backup = z.object({
  algorithm: z.literal(MEGOLM_BACKUP_V1),
  key: key32,
  backup_version: grammarChecked((text) => (text === "" ? "must not be empty" : opaqueIdProblem(text))),
});

const secrets = z
  .object({
    cross_signing: z.object({ master_key: key32, self_signing_key: key32, user_signing_key: key32 }),
    backup: backup.nullish(),
  })
  .transform(({ cross_signing, backup }) => {
    const base = { type: "m.login.secrets" as const, cross_signing };
    if (backup == null) return base;
    const backupSecrets: BackupSecrets = backup;
    return { ...base, backup: backupSecrets };
  });

const noFields = <T extends LoginMessageType>(type: T) => z.object({}).transform(() => ({ type }));

type BodySchema = z.ZodType<LoginMessage>;

/**
 * Reading takes what any deployed peer sends; writing sends only what every deployed peer reads. The two differ
 * where peers differ (v2024 `homeserver`: matrix-js-sdk sends a server name, rust-sdk accepts only a URL).
 */
export type SchemaDirection = "read" | "write";

/**
 * The schema for a message body of `type` in a wire version, or undefined when the type is not a login message.
 * `body` picks between the variants of one type.
 */
export function bodySchema(
  type: string,
  version: WireVersion,
  body: Readonly<Record<string, unknown>>,
  direction: SchemaDirection,
): BodySchema | undefined {
  // A switch, not an object lookup: `type` comes from the peer and must never reach Object.prototype.
  switch (type) {
    case "m.login.protocols":
      if (version === "v2025") return protocolsV2025;
      return direction === "read" ? protocolsV2024Read : protocolsV2024Write;
    case "m.login.protocol":
      return body.protocol === DEVICE_AUTHORIZATION_GRANT
        ? deviceAuthorizationGrantProtocol
        : unknownProtocol;
    case "m.login.protocol_accepted":
      return noFields("m.login.protocol_accepted");
    case "m.login.success":
      return noFields("m.login.success");
    case "m.login.declined":
      return noFields("m.login.declined");
    case "m.login.failure":
      return failure;
    case "m.login.secrets":
      return secrets;
    default:
      return undefined;
  }
}
