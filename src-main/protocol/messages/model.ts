// The MSC4108 login messages (docs/protocol.md §4, §7) as one version-neutral model. The wire differences
// between v2024 and v2025 live only in the schemas (schemas.ts); flows work with these types.
// Field names follow the wire (snake_case) so a model field and the JSON field it came from read the same.

/** The only login protocol defined so far (MSC4108: the OAuth 2.0 device authorization grant, RFC 8628). */
export const DEVICE_AUTHORIZATION_GRANT = "device_authorization_grant";

/** The only backup algorithm rust-sdk accepts in `m.login.secrets` (docs/protocol.md §7). */
export const MEGOLM_BACKUP_V1 = "m.megolm_backup.v1.curve25519-aes-sha2";

/**
 * A value from the peer that is not one we know, kept so the flow can still answer it (for example with
 * `unsupported_protocol`) or show it. An object, not a string, so `switch` over the known values stays exhaustive.
 */
export interface UnknownValue {
  readonly unknown: string;
}

/** MSC4108 failure reasons; `unable_to_open_verification_uri` is new in the 2025 text (docs/protocol.md §4). */
export const KNOWN_FAILURE_REASONS = [
  "authorization_expired",
  "device_already_exists",
  "device_not_found",
  "unexpected_message_received",
  "unsupported_protocol",
  "user_cancelled",
  "unable_to_open_verification_uri",
] as const;
export type KnownFailureReason = (typeof KNOWN_FAILURE_REASONS)[number];

/** Sent by the existing device when it scanned the QR: what it offers and where the account lives. */
export interface LoginProtocolsMessage {
  readonly type: "m.login.protocols";
  readonly protocols: readonly string[];
  /**
   * v2024 `homeserver`: an absolute URL in practice (rust-sdk, Element X) or a server name (matrix-js-sdk);
   * v2025 `base_url`: always an absolute http(s) URL. See `classifyHomeserver`.
   */
  readonly homeserver: string;
}

export interface DeviceAuthorizationGrant {
  readonly verification_uri: string;
  readonly verification_uri_complete?: string;
}

/** Sent by the new device: the protocol it chose, with the device grant's URLs and its device ID. */
export type LoginProtocolMessage = DeviceAuthorizationGrantProtocolMessage | UnknownProtocolMessage;

export interface DeviceAuthorizationGrantProtocolMessage {
  readonly type: "m.login.protocol";
  readonly protocol: typeof DEVICE_AUTHORIZATION_GRANT;
  readonly device_authorization_grant: DeviceAuthorizationGrant;
  readonly device_id: string;
}

/** A protocol we do not speak; its own fields are not read, the flow answers `unsupported_protocol`. */
export interface UnknownProtocolMessage {
  readonly type: "m.login.protocol";
  readonly protocol: UnknownValue;
  readonly device_id: string;
}

export interface LoginProtocolAcceptedMessage {
  readonly type: "m.login.protocol_accepted";
}

export interface LoginSuccessMessage {
  readonly type: "m.login.success";
}

export interface LoginDeclinedMessage {
  readonly type: "m.login.declined";
}

export interface LoginFailureMessage {
  readonly type: "m.login.failure";
  readonly reason: KnownFailureReason | UnknownValue;
  /** Always an absolute http(s) URL: rust-sdk's `Option<Url>` fails the whole message on a server name. */
  readonly homeserver?: string;
}

/** Private cross-signing seeds, each unpadded standard base64 of 32 bytes. */
export interface CrossSigningSecrets {
  readonly master_key: string;
  readonly self_signing_key: string;
  readonly user_signing_key: string;
}

export interface BackupSecrets {
  readonly algorithm: typeof MEGOLM_BACKUP_V1;
  /** The raw 32-byte Curve25519 private key of the backup, unpadded standard base64 (not a recovery key). */
  readonly key: string;
  readonly backup_version: string;
}

/**
 * Sent by the existing device last. Holds private keys: never log or display it; use `describeLoginMessage`
 * for anything that leaves the flow.
 */
export interface LoginSecretsMessage {
  readonly type: "m.login.secrets";
  readonly cross_signing: CrossSigningSecrets;
  readonly backup?: BackupSecrets;
}

export type LoginMessage =
  | LoginProtocolsMessage
  | LoginProtocolMessage
  | LoginProtocolAcceptedMessage
  | LoginSuccessMessage
  | LoginDeclinedMessage
  | LoginFailureMessage
  | LoginSecretsMessage;

export type LoginMessageType = LoginMessage["type"];
