// What of a login message may be shown or logged: its type and the names of the fields it carries, never a
// value (docs/ux.md §5, demo mode: secrets and tokens appear only by name, e.g. `backup.key`).
import type { LoginMessage } from "./model";

export interface LoginMessageDescription {
  readonly type: string;
  readonly fields: readonly string[];
}

export function describeLoginMessage(message: LoginMessage): LoginMessageDescription {
  return { type: message.type, fields: fieldNames(message) };
}

function fieldNames(message: LoginMessage): string[] {
  switch (message.type) {
    case "m.login.protocols":
      return ["protocols", "homeserver"];
    case "m.login.protocol":
      if (typeof message.protocol !== "string") return ["protocol", "device_id"];
      return [
        "protocol",
        "device_authorization_grant.verification_uri",
        ...(message.device_authorization_grant.verification_uri_complete === undefined
          ? []
          : ["device_authorization_grant.verification_uri_complete"]),
        "device_id",
      ];
    case "m.login.failure":
      return message.homeserver === undefined ? ["reason"] : ["reason", "homeserver"];
    case "m.login.secrets":
      return [
        "cross_signing.master_key",
        "cross_signing.self_signing_key",
        "cross_signing.user_signing_key",
        ...(message.backup === undefined ? [] : ["backup.algorithm", "backup.key", "backup.backup_version"]),
      ];
    case "m.login.protocol_accepted":
    case "m.login.success":
    case "m.login.declined":
      return [];
  }
}
