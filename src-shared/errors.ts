// The closed set of errors a user can meet, as plain data. Every failure of every layer (protocol core,
// rendezvous, OAuth, the Matrix device, the flows) is folded into one `FlowError` here, so that hosts, the
// command line and the renderer show one vocabulary, and so that an error survives IPC and JSON: only plain
// fields cross `ipcMain.handle` or a WebSocket, never an Error's own properties.
//
// This file is shared with the renderer, so it only imports types from the main side: the error classes are
// recognised by their `name` and `code`, which each layer's error class sets.
import type { HttpTransportErrorCode } from "../src-main/http/errors";
import type { OAuthErrorCode } from "../src-main/oauth/errors";
import type { ProtocolErrorCode, RendezvousErrorCode } from "../src-main/protocol";

/** What went wrong, in the user's terms (docs/ux.md §2); each has a cause and a next step in the copy table. */
export const FLOW_ERROR_CODES = [
  /** The rendezvous is gone (404) or the QR code timed out. */
  "expired",
  /** The device code expired before the user approved in the browser. */
  "authorization_expired",
  /** The user cancelled on this device. */
  "cancelled_here",
  /** The user cancelled on the other device (or it could not open the consent page). */
  "cancelled_there",
  /** The account provider refused the sign-in (`access_denied`). */
  "declined",
  /** The check code typed on the showing device did not match, twice. */
  "check_code_mismatch",
  /** The secure channel's handshake or a decryption failed. */
  "insecure_channel",
  /** Not a sign-in QR code, or one shown by a device in the same role as ours. */
  "wrong_qr",
  /** Not a complete or well-formed sign-in QR code. */
  "invalid_qr",
  /** Another device wrote to the rendezvous first: someone else scanned this QR code. */
  "qr_used_elsewhere",
  /** ETags or sequence tokens are rewritten between us and the server. */
  "proxy_interference",
  /** The QR code's wire version is not one we can speak here. */
  "unsupported_qr_version",
  /** The homeserver lacks a piece QR sign-in needs; `reason` names it. */
  "server_unsupported",
  /** This (existing) device has no local cross-signing keys to give. */
  "missing_secrets",
  /** The device ID the new device asked for already exists. */
  "device_already_exists",
  /** The new device never appeared on the homeserver. */
  "device_not_found",
  /** The consent page could not be opened. */
  "unable_to_open_browser",
  /** The peer sent a message the protocol does not allow at this point. */
  "unexpected_message",
  /** The peer (or server) broke the protocol in another way. */
  "protocol_error",
  /** 429 until the session's lifetime ran out. */
  "rate_limited",
  /** The connection failed until the session's lifetime ran out. */
  "network",
  /** 5xx or a malformed answer until the session's lifetime ran out. */
  "server_error",
  /** No camera, or permission denied. */
  "camera_unavailable",
  /** This device's session ended on the server (signed out elsewhere, or the refresh token was revoked). */
  "signed_out",
  /** The profile is open in another process of this app. */
  "profile_in_use",
  /** The profile's saved data cannot be used: written by a newer version, damaged, or the disk refused a write. */
  "profile_error",
  /** The recovery key typed is malformed or not this account's. */
  "wrong_recovery_key",
  /** The account page must approve the step first (resetting the encryption identity); then try again. */
  "approval_needed",
  /** A bug in this app, not the peer's or the server's doing. */
  "internal_error",
] as const;

export type FlowErrorCode = (typeof FLOW_ERROR_CODES)[number];

/** One error, as plain data that survives IPC and JSON. */
export interface FlowError {
  readonly code: FlowErrorCode;
  /** A finer cause within the code (`weak_etag`, `no_device_grant`, a peer's failure reason...), machine-readable. */
  readonly reason?: string;
  /** Whether starting again can help ("Try again" is the next step). */
  readonly retryable: boolean;
  /** A technical one-liner for diagnostics (not the user's copy: that comes from the copy table by `code`). */
  readonly message: string;
}

const NOT_RETRYABLE: ReadonlySet<FlowErrorCode> = new Set<FlowErrorCode>([
  "proxy_interference",
  "server_unsupported",
  "missing_secrets",
  "signed_out",
  "profile_in_use",
  "internal_error",
]);

export function isRetryable(code: FlowErrorCode): boolean {
  return !NOT_RETRYABLE.has(code);
}

/** The longest outside text (a server's `error`, a peer's reason) that enters a message or a log line. */
export const MAX_OUTSIDE_TEXT = 200;

/**
 * Text from outside (a server, a peer, a QR code) made safe to put into a message or a log line: control
 * characters (newlines included, so it cannot forge a log line) become `\uXXXX`, and it is cut at
 * MAX_OUTSIDE_TEXT characters.
 */
export function outsideText(text: string, max = MAX_OUTSIDE_TEXT): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  const escaped = cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => {
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  return text.length > max ? `${escaped}…` : escaped;
}

export function flowError(code: FlowErrorCode, message: string, reason?: string): FlowError {
  return {
    code,
    ...(reason === undefined ? {} : { reason: outsideText(reason, 100) }),
    retryable: isRetryable(code),
    message: outsideText(message, 500),
  };
}

/** The protocol core's codes (bytes from a QR code or a peer), in the user's terms. */
export const PROTOCOL_ERROR_TABLE = {
  not_a_login_qr: "wrong_qr",
  unsupported_qr_version: "unsupported_qr_version",
  invalid_qr: "invalid_qr",
  wrong_qr: "wrong_qr",
  invalid_channel_message: "insecure_channel",
  insecure_channel: "insecure_channel",
  // Reached only after an earlier failure closed the channel, whose own error the flow reports first.
  channel_closed: "insecure_channel",
  check_code_mismatch: "check_code_mismatch",
  invalid_message: "protocol_error",
} as const satisfies Record<ProtocolErrorCode, FlowErrorCode>;

/** The rendezvous clients' codes (the HTTP session), in the user's terms. */
export const RENDEZVOUS_ERROR_TABLE = {
  expired: "expired",
  // Never retried: a retry would overwrite the other device's message. The scanner that meets it lost the race
  // for this QR code to another device.
  concurrent_write: "qr_used_elsewhere",
  rate_limited: "rate_limited",
  forbidden: "server_unsupported",
  unauthorized: "server_unsupported",
  not_supported: "server_unsupported",
  network: "network",
  server_error: "server_error",
  proxy_interference: "proxy_interference",
  too_large: "protocol_error",
  invalid_response: "server_error",
  insecure_transport: "server_unsupported",
} as const satisfies Record<RendezvousErrorCode, FlowErrorCode>;

/**
 * The OAuth client's codes (src-main/oauth/). What the homeserver lacks is `server_unsupported`, with the OAuth
 * code as its reason (`no_oauth_api`, `no_device_grant`, `registration_refused`, `device_grant_disabled`...).
 */
export const OAUTH_ERROR_TABLE = {
  invalid_homeserver: "server_unsupported",
  no_oauth_api: "server_unsupported",
  no_device_grant: "server_unsupported",
  registration_refused: "server_unsupported",
  device_grant_disabled: "server_unsupported",
  invalid_scope: "server_unsupported",
  insecure_transport: "server_unsupported",
  // Still refused after registering again: something on the server's side, which a later attempt may not meet.
  invalid_client: "server_error",
  declined: "declined",
  expired: "authorization_expired",
  signed_out: "signed_out",
  browser_unavailable: "unable_to_open_browser",
  authorization_failed: "server_error",
  rate_limited: "rate_limited",
  network: "network",
  timeout: "network",
  server_error: "server_error",
  invalid_response: "server_error",
} as const satisfies Record<OAuthErrorCode, FlowErrorCode>;

/** One HTTP exchange's failures (src-main/http/), should one escape a layer that did not map it to its own. */
export const HTTP_TRANSPORT_ERROR_TABLE = {
  network: "network",
  timeout: "network",
  too_large: "server_error",
  truncated: "network",
  insecure_transport: "server_unsupported",
} as const satisfies Record<HttpTransportErrorCode, FlowErrorCode>;

/**
 * The error families (`name` of their error class -> code table): the protocol core, the rendezvous clients, the
 * OAuth client and the bounded fetch are known here; other layers (the Matrix device) register theirs.
 */
const FAMILIES: Record<string, Readonly<Record<string, FlowErrorCode>>> = {
  ProtocolError: PROTOCOL_ERROR_TABLE,
  RendezvousError: RENDEZVOUS_ERROR_TABLE,
  OAuthError: OAUTH_ERROR_TABLE,
  HttpTransportError: HTTP_TRANSPORT_ERROR_TABLE,
};

/** Adds a family of typed errors (`error.name`, `error.code`, optional `error.reason`) to `toFlowError`. */
export function registerErrorFamily(name: string, table: Readonly<Record<string, FlowErrorCode>>): void {
  FAMILIES[name] = table;
}

function isAbort(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    "name" in error &&
    (error.name === "AbortError" || error.name === "TimeoutError")
  );
}

function stringField(error: object, field: string): string | undefined {
  const value = (error as Record<string, unknown>)[field];
  return typeof value === "string" ? value : undefined;
}

function isFlowError(value: unknown): value is FlowError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    (FLOW_ERROR_CODES as readonly string[]).includes((value as { code: string }).code) &&
    typeof (value as { message?: unknown }).message === "string" &&
    typeof (value as { retryable?: unknown }).retryable === "boolean"
  );
}

/** Thrown by code that already knows which user-facing error it means (the flows, the hosts). */
export class FlowFailure extends Error {
  override readonly name = "FlowFailure";
  readonly error: FlowError;

  constructor(error: FlowError, options?: { cause?: unknown }) {
    super(error.message, options);
    this.error = error;
  }
}

/**
 * Folds anything thrown into a FlowError: a FlowFailure as it is, a typed error of a registered family through
 * its table (its own `code` kept as `reason` where it is finer than the user's code), an abort as
 * `cancelled_here`, and anything else as `internal_error`.
 */
export function toFlowError(error: unknown): FlowError {
  if (error instanceof FlowFailure) return error.error;
  if (isFlowError(error)) return flowError(error.code, error.message, error.reason);
  if (isAbort(error)) return flowError("cancelled_here", "cancelled on this device");
  if (typeof error === "object" && error !== null) {
    const name = stringField(error, "name");
    const code = stringField(error, "code");
    const table = name === undefined ? undefined : FAMILIES[name];
    if (table !== undefined && code !== undefined && Object.hasOwn(table, code)) {
      const flowCode = table[code];
      if (flowCode !== undefined) {
        const reason = stringField(error, "reason") ?? (code === flowCode ? undefined : code);
        return flowError(flowCode, stringField(error, "message") ?? code, reason);
      }
    }
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return flowError("internal_error", message);
}

/** The MSC4108 failure reasons a peer may send, and what each means to our user. */
export function receivedFailureToFlowError(reason: string): FlowError {
  switch (reason) {
    case "user_cancelled":
      return flowError("cancelled_there", "the other device cancelled", reason);
    case "unable_to_open_verification_uri":
      return flowError("cancelled_there", "the other device could not open the consent page", reason);
    case "authorization_expired":
      return flowError("authorization_expired", "the other device's authorization expired", reason);
    case "device_already_exists":
      return flowError("device_already_exists", "the other device says this device ID exists", reason);
    case "device_not_found":
      return flowError("device_not_found", "the other device did not see this device appear", reason);
    case "unsupported_protocol":
      return flowError("protocol_error", "the other device does not support our sign-in protocol", reason);
    case "unexpected_message_received":
      return flowError("unexpected_message", "the other device received a message it did not expect", reason);
    default:
      return flowError("protocol_error", "the other device failed with an unknown reason", reason);
  }
}
