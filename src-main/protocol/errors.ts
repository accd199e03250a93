// Typed errors of the protocol core. Every failure caused by bytes from outside (a QR code, the network, a
// peer's message) is a ProtocolError with a stable code that the flows map to the closed set of user-facing
// errors (docs/ux.md §2). Programming errors (wrong API use by our own code) stay plain TypeErrors.

export type ProtocolErrorCode =
  /** The bytes are not a sign-in QR code (e.g. a device-verification QR, or not a Matrix QR at all). */
  | "not_a_login_qr"
  /** A Matrix sign-in QR code of a version or type we cannot speak. */
  | "unsupported_qr_version"
  /** A sign-in QR code that is truncated, has trailing bytes, bad lengths, bad UTF-8, or bad fields. */
  | "invalid_qr"
  /**
   * A valid sign-in QR code shown by a device in the same role as ours (both new, or both signed in): the user
   * scanned the wrong screen. Checked before any network (rust-sdk `InvalidIntent`).
   */
  | "wrong_qr"
  /** A secure-channel message that is not even well-formed (bad base64, wrong framing, too short). */
  | "invalid_channel_message"
  /** The handshake or a decryption failed: the channel may be under attack and is closed for good. */
  | "insecure_channel"
  /** The channel was closed (aborted, failed earlier, or confirmation failed) and cannot be used. */
  | "channel_closed"
  /** The check code typed on the generating device does not match (the channel is closed after the last try). */
  | "check_code_mismatch"
  /** A decrypted login message that is not valid JSON or does not match its schema. */
  | "invalid_message";

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isProtocolError(error: unknown, code?: ProtocolErrorCode): error is ProtocolError {
  return error instanceof ProtocolError && (code === undefined || error.code === code);
}
