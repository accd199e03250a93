// One table from every FlowErrorCode to what the error screen says: a title, the cause, and the next step;
// and one from the finer machine-readable `reason`s (a preflight check's cause, a peer's failure reason, a
// proxy's evidence) to a more precise cause. A unit test walks FLOW_ERROR_CODES and fails on a missing row.
import type { FlowError, FlowErrorCode } from "../../src-shared/errors";
import type { FlowRole } from "../../src-shared/flow";
import type { ProxyInterferenceReason } from "../../src-main/protocol";
import type { PlainKey } from "./format";

export interface ErrorCopy {
  readonly title: PlainKey;
  readonly cause: PlainKey;
  /** The next step; some depend on which device this is. */
  readonly next: PlainKey | { readonly [role in FlowRole]: PlainKey };
}

const row = (code: FlowErrorCode): ErrorCopy => ({
  title: `error.${code}.title` as PlainKey,
  cause: `error.${code}.cause` as PlainKey,
  next: `error.${code}.next` as PlainKey,
});

export const ERROR_COPY = {
  expired: row("expired"),
  authorization_expired: row("authorization_expired"),
  cancelled_here: row("cancelled_here"),
  cancelled_there: row("cancelled_there"),
  declined: row("declined"),
  check_code_mismatch: row("check_code_mismatch"),
  insecure_channel: row("insecure_channel"),
  wrong_qr: {
    title: "error.wrong_qr.title",
    cause: "error.wrong_qr.cause",
    next: {
      new_device: "error.wrong_qr.next.new_device",
      existing_device: "error.wrong_qr.next.existing_device",
    },
  },
  invalid_qr: row("invalid_qr"),
  qr_used_elsewhere: row("qr_used_elsewhere"),
  proxy_interference: row("proxy_interference"),
  unsupported_qr_version: row("unsupported_qr_version"),
  server_unsupported: row("server_unsupported"),
  missing_secrets: row("missing_secrets"),
  device_already_exists: row("device_already_exists"),
  device_not_found: row("device_not_found"),
  unable_to_open_browser: row("unable_to_open_browser"),
  unexpected_message: row("unexpected_message"),
  protocol_error: row("protocol_error"),
  rate_limited: row("rate_limited"),
  network: row("network"),
  server_error: row("server_error"),
  camera_unavailable: row("camera_unavailable"),
  signed_out: row("signed_out"),
  profile_in_use: row("profile_in_use"),
  profile_error: row("profile_error"),
  wrong_recovery_key: row("wrong_recovery_key"),
  approval_needed: row("approval_needed"),
  internal_error: row("internal_error"),
} as const satisfies Record<FlowErrorCode, ErrorCopy>;

/** The evidence a rendezvous client gives for `proxy_interference` (src-main/protocol/rendezvous/errors.ts). */
export const PROXY_REASONS = [
  "weak_etag",
  "etag_missing",
  "precondition_loop",
  "etag_rewritten",
  "validator_ignored",
  "etag_changed_without_write",
  "token_changed_without_write",
  "token_rewritten",
  "data_changed_without_token",
] as const satisfies readonly ProxyInterferenceReason[];

/**
 * The finer causes, by `reason`: the preflight's and the doctor's causes, the rendezvous errors kept as reasons,
 * the failure reasons a peer sends (MSC4108 `m.login.failure`), and the protocol core's codes.
 */
export const REASON_COPY: Readonly<Record<string, PlainKey>> = {
  no_oauth_api: "reason.no_oauth_api",
  no_device_grant: "reason.no_device_grant",
  device_grant_disabled: "reason.device_grant_disabled",
  registration_refused: "reason.registration_refused",
  no_rendezvous: "reason.no_rendezvous",
  not_supported: "reason.no_rendezvous",
  needs_sign_in: "reason.needs_sign_in",
  unauthorized: "reason.needs_sign_in",
  forbidden: "reason.forbidden",
  insecure_transport: "reason.insecure_transport",
  not_a_login_qr: "reason.not_a_login_qr",
  unable_to_open_verification_uri: "reason.unable_to_open_verification_uri",
  user_cancelled: "reason.user_cancelled",
  unsupported_protocol: "reason.unsupported_protocol",
  write_answer_lost: "reason.write_answer_lost",
  not_needed: "reason.not_needed",
  not_signed_in: "reason.not_signed_in",
  unreachable: "reason.unreachable",
  not_a_homeserver: "reason.not_a_homeserver",
  invalid_homeserver: "reason.invalid_homeserver",
  well_known_invalid: "reason.invalid_homeserver",
  well_known_status: "reason.invalid_homeserver",
  redirect_loop: "reason.invalid_homeserver",
  invalid_redirect: "reason.invalid_homeserver",
  rendezvous_url_unusable: "reason.rendezvous_url_unusable",
  session_lost: "reason.session_lost",
  rendezvous_stalled: "reason.rendezvous_stalled",
  invalid_response: "reason.invalid_response",
  camera_refused: "reason.camera_refused",
  no_camera: "reason.no_camera",
  camera_failed: "reason.camera_failed",
  ...Object.fromEntries(PROXY_REASONS.map((reason) => [reason, "reason.proxy"])),
};

/** The reasons whose copy depends on this device's role: a QR code shown by a device in the same role. */
const SAME_ROLE: { readonly [role in FlowRole]: PlainKey } = {
  new_device: "reason.same_role.new_device",
  existing_device: "reason.same_role.existing_device",
};

export interface ResolvedErrorCopy {
  readonly title: PlainKey;
  readonly cause: PlainKey;
  readonly next: PlainKey;
}

/** What the error screen says for `error`, on a device in `role`. */
export function errorCopy(error: Pick<FlowError, "code" | "reason">, role: FlowRole): ResolvedErrorCopy {
  const base: ErrorCopy = ERROR_COPY[error.code];
  const next = typeof base.next === "string" ? base.next : base.next[role];
  let cause = base.cause;
  if (error.code === "wrong_qr" && error.reason !== "not_a_login_qr") cause = SAME_ROLE[role];
  else if (error.reason !== undefined && Object.hasOwn(REASON_COPY, error.reason)) {
    cause = REASON_COPY[error.reason] ?? cause;
  }
  return { title: base.title, cause, next };
}
