// Typed errors of the Matrix device (profiles, the durable crypto store, the end-to-end-encryption operations).
// Each has a stable code that src-shared/errors.ts folds into the user's vocabulary (`MATRIX_ERROR_TABLE`); our
// own API misuse (an operation on a profile that is not signed in, a bad argument) stays a TypeError. Messages
// never carry a secret: key material, tokens and recovery keys are named, never shown.
import { registerErrorFamily, type FlowErrorCode } from "../../src-shared/errors";

export type MatrixErrorCode =
  /** This device lacks secrets the operation needs (`reason` names them: `master_key`, `backup_key`...). */
  | "missing_secrets"
  /** The account already has a cross-signing identity this device holds no keys for: restore or reset it. */
  | "identity_exists"
  /** The account has no secret storage (or nothing in it) to restore from. */
  | "no_secret_storage"
  /** Keys we were given are not the ones the server publishes for this account (`reason` names which). */
  | "secrets_mismatch"
  /** The recovery key is malformed, or not the key of this account's secret storage. */
  | "wrong_recovery_key"
  /** The server wants the user to approve the cross-signing reset on the account page first (`url`). */
  | "reset_needs_approval"
  /** This device's session ended on the server (signed out elsewhere, or its tokens were revoked). */
  | "signed_out"
  /** Another process of this app holds the profile (`holder` names it). */
  | "profile_in_use"
  /** The profile was written by a newer version of this app. */
  | "profile_too_new"
  /** A profile file is damaged or truncated (`file` names it). */
  | "profile_corrupt"
  /** A profile file could not be written (disk full, permissions); the last good copy is kept. */
  | "profile_write_failed"
  /** The homeserver could not be reached. */
  | "network"
  /** 429 after the retries the caller allowed. */
  | "rate_limited"
  /** 5xx, or an answer that does not make sense, after the retries the caller allowed. */
  | "server_error"
  /** The device's own keys did not reach the server in the time allowed. */
  | "device_keys_missing";

export interface MatrixErrorDetails {
  /** A finer, machine-readable cause (what is missing or mismatched, an HTTP status). */
  readonly reason?: string;
  /** The file concerned (`profile_corrupt`, `profile_write_failed`). */
  readonly file?: string;
  /** Who holds the profile (`profile_in_use`). */
  readonly holder?: string;
  /** Where the user approves (`reset_needs_approval`). */
  readonly url?: string;
  readonly cause?: unknown;
}

export class MatrixError extends Error {
  override readonly name = "MatrixError";
  readonly code: MatrixErrorCode;
  readonly reason: string | undefined;
  readonly file: string | undefined;
  readonly holder: string | undefined;
  readonly url: string | undefined;

  constructor(code: MatrixErrorCode, message: string, details: MatrixErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.reason = details.reason;
    this.file = details.file;
    this.holder = details.holder;
    this.url = details.url;
  }
}

export function isMatrixError(error: unknown, code?: MatrixErrorCode): error is MatrixError {
  return error instanceof MatrixError && (code === undefined || error.code === code);
}

/**
 * The Matrix device's codes in the user's terms. Three codes were added to the closed set for it, because none
 * of the existing ones says what the user must do: `profile_error` (the saved profile cannot be used: update the
 * app, or remove the profile), `wrong_recovery_key` (type it again) and `approval_needed` (approve on the
 * account page, then try again).
 */
export const MATRIX_ERROR_TABLE = {
  missing_secrets: "missing_secrets",
  identity_exists: "missing_secrets",
  no_secret_storage: "missing_secrets",
  // The other device sent keys that are not this account's (or the account was reset meanwhile).
  secrets_mismatch: "protocol_error",
  wrong_recovery_key: "wrong_recovery_key",
  reset_needs_approval: "approval_needed",
  signed_out: "signed_out",
  profile_in_use: "profile_in_use",
  profile_too_new: "profile_error",
  profile_corrupt: "profile_error",
  profile_write_failed: "profile_error",
  network: "network",
  rate_limited: "rate_limited",
  server_error: "server_error",
  device_keys_missing: "server_error",
} as const satisfies Record<MatrixErrorCode, FlowErrorCode>;

registerErrorFamily("MatrixError", MATRIX_ERROR_TABLE);
