// Writing a login message for the peer (docs/protocol.md §4, §7). The JSON is built field by field from the
// model, so nothing but the wire fields can leave, and then checked against the write schema (schemas.ts): the
// read schema's rules plus what the strictest deployed reader demands. Reading is more lenient than rust-sdk
// (a v2024 `homeserver` may be a server name, as matrix-js-sdk sends it), so passing our own reader is not
// enough to be read by Element X.
import { ProtocolError } from "../errors";
import type { WireVersion } from "../types";
import { isAbsoluteHttpUrl } from "../grammar";
import type { LoginMessage } from "./model";
import { readLoginMessage } from "./parse";

/**
 * The JSON text of a login message in the given wire version. Throws ProtocolError("invalid_message") when the
 * message breaks the schema (for example a device grant URL from the OAuth server that is not a URL).
 */
export function serializeLoginMessage(message: LoginMessage, version: WireVersion): string {
  let checked: LoginMessage;
  try {
    checked = readLoginMessage(toWire(message, version), version, "write");
  } catch (error) {
    const detail = error instanceof ProtocolError ? error.message : "not a login message";
    throw new ProtocolError("invalid_message", `cannot send ${message.type}: ${detail}`);
  }
  // Written from the checked model so the text is canonical (unpadded base64, no null placeholders).
  return JSON.stringify(toWire(checked, version));
}

function toWire(message: LoginMessage, version: WireVersion): Record<string, unknown> {
  switch (message.type) {
    case "m.login.protocols":
      // v2024 names the field `homeserver`, v2025 `base_url` (MSC4108 2025; docs/protocol.md §4).
      return version === "v2024"
        ? { type: message.type, protocols: [...message.protocols], homeserver: message.homeserver }
        : { type: message.type, protocols: [...message.protocols], base_url: message.homeserver };
    case "m.login.protocol": {
      if (typeof message.protocol !== "string") {
        return { type: message.type, protocol: message.protocol.unknown, device_id: message.device_id };
      }
      const grant = message.device_authorization_grant;
      return {
        type: message.type,
        protocol: message.protocol,
        device_authorization_grant:
          grant.verification_uri_complete === undefined
            ? { verification_uri: grant.verification_uri }
            : {
                verification_uri: grant.verification_uri,
                verification_uri_complete: grant.verification_uri_complete,
              },
        device_id: message.device_id,
      };
    }
    case "m.login.failure": {
      const reason = typeof message.reason === "string" ? message.reason : message.reason.unknown;
      // rust-sdk reads `homeserver` as Option<Url>: a server name there fails the whole message, so only a URL
      // is ever sent.
      return message.homeserver !== undefined && isAbsoluteHttpUrl(message.homeserver)
        ? { type: message.type, reason, homeserver: message.homeserver }
        : { type: message.type, reason };
    }
    case "m.login.secrets": {
      const { master_key, self_signing_key, user_signing_key } = message.cross_signing;
      const crossSigning = { master_key, self_signing_key, user_signing_key };
      // Absent, not null: both are accepted by rust-sdk and js-sdk, and absent is what the MSC shows.
      if (message.backup === undefined) return { type: message.type, cross_signing: crossSigning };
      const { algorithm, key, backup_version } = message.backup;
      return { type: message.type, cross_signing: crossSigning, backup: { algorithm, key, backup_version } };
    }
    case "m.login.protocol_accepted":
    case "m.login.success":
    case "m.login.declined":
      return { type: message.type };
  }
}
