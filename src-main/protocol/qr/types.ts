// What a sign-in QR code says, for both wire versions (docs/protocol.md §1). A value carries everything needed to
// write the same bytes again, including the framing choices of v2025 that differ between implementations.
import type { Intent } from "../types";
import type { LengthWidth } from "../length-prefix";

/** MSC4108 @87f8317: `MATRIX` 0x02, mode 0x03 (new device) or 0x04 (existing device). */
export interface V2024LoginQr {
  readonly version: "v2024";
  readonly intent: Intent;
  /** The generating device's ephemeral Curve25519 key, 32 raw bytes. */
  readonly publicKey: Uint8Array;
  /** Absolute http(s) URL of the rendezvous session. */
  readonly rendezvousUrl: string;
  /**
   * Present exactly when intent is `existing_device` (mode 0x04). In practice a homeserver URL (rust-sdk) or a
   * bare server name (matrix-js-sdk); both are accepted (docs/protocol.md §1.1).
   */
  readonly serverName?: string;
}

/** The prefix that opens a v2025 QR: stable, or MSC4388's unstable one (the only one deployed code reads). */
export type QrPrefix = "MATRIX" | "IO_ELEMENT_MSC4388";

/** MSC4388: prefix, type 0x03, intent 0x00 (new device) or 0x01 (existing device). */
export interface V2025LoginQr {
  readonly version: "v2025";
  readonly intent: Intent;
  /** The generating device's ephemeral Curve25519 key, 32 raw bytes. */
  readonly publicKey: Uint8Array;
  /** Opaque identifier `[0-9A-Za-z._~-]{1,255}` of the rendezvous session. */
  readonly rendezvousId: string;
  /** Client-server API base URL of the homeserver, exactly as written in the QR (never normalised). */
  readonly baseUrl: string;
  readonly prefix: QrPrefix;
  /** Width of the rendezvous-ID length prefix (docs/protocol.md §1.2: the MSC says u8, rust-sdk main u16). */
  readonly idLength: LengthWidth;
  /** Width of the base-URL length prefix (docs/protocol.md §1.2: newest MSC text u8, older text u16). */
  readonly baseUrlLength: LengthWidth;
}

export type LoginQr = V2024LoginQr | V2025LoginQr;
