// The v2025 profile: every choice where the MSC4108 2025 / MSC4388 text, vodozemac's hpke module and the
// matrix-rust-sdk MSC4388 branch disagree, as named constants in one place (docs/protocol.md §3.3). Following a
// change in the MSC is an edit here plus new vectors. Nothing about v2024 lives here: v2024 is what ships.
// The generator speaks the profile it was created with and frames its QR code accordingly; the scanner reads
// which profile to speak off the QR's framing (`profileForQrFraming`).
import type { LengthWidth } from "./length-prefix";

export type { LengthWidth } from "./length-prefix";

export interface V2025Profile {
  /** QR code: width of the rendezvous-ID length. MSC4388 since 2026-06-03: u8; rust-sdk main and crypto-wasm 18.9: u16. */
  readonly qrRendezvousIdLength: LengthWidth;
  /** QR code: width of the base-URL length. Newest MSC4388 text: u8; MSC 726e115 and the rust-sdk branch: u16. */
  readonly qrBaseUrlLength: LengthWidth;
  /** AAD: width of the base-URL length (the ID and token lengths are u8 in every variant). */
  readonly aadBaseUrlLength: LengthWidth;
  /**
   * AAD: which bytes stand for the base URL. `as_in_qr`: exactly the QR's bytes, never normalised (newest MSC
   * text). `url_serialised`: WHATWG URL serialisation, which adds "/" to a bare origin (rust-sdk branch, js POC).
   */
  readonly aadBaseUrlForm: "as_in_qr" | "url_serialised";
  /** HPKE export label of the response secret. vodozemac: underscore form; MSC text: "MATRIX_QR_CODE_LOGIN response". */
  readonly responseExportLabel: string;
  /**
   * Check-code exporter context. `ascii_b64`: ASCII "MATRIX_QR_CODE_LOGIN_CHECKCODE|b64(Gp)|b64(Sp)" (vodozemac);
   * `raw_keys`: "MATRIX_QR_CODE_LOGIN_CHECKCODE" followed by the raw 32-byte Gp and Sp (MSC text).
   */
  readonly checkCodeContext: "ascii_b64" | "raw_keys";
}

// The handshake texts shared with v2024 (HPKE info, INITIATE, OK, check-code label) are in channel/handshake.ts.
/** Length of the random "base response nonce" G sends in front of LoginOk (= the AEAD key size). */
export const RESPONSE_NONCE_LENGTH = 32;
/** HKDF-Expand labels of the response context's key and base nonce (vodozemac hpke). */
export const RESPONSE_KEY_LABEL = "key";
export const RESPONSE_NONCE_LABEL = "nonce";

/** QR prefixes: stable and unstable (MSC4388 "Unstable prefix"). */
export const QR_PREFIX_STABLE = "MATRIX";
export const QR_PREFIX_UNSTABLE = "IO_ELEMENT_MSC4388";
/** The QR type byte of a v2025 sign-in code (0x02 is device verification and the v2024 version byte). */
export const QR_TYPE_LOGIN = 0x03;

/** What this project builds and sends (docs/protocol.md §3.3, "our profile"). */
export const OUR_V2025_PROFILE: V2025Profile = {
  qrRendezvousIdLength: "u8",
  qrBaseUrlLength: "u8",
  aadBaseUrlLength: "u8",
  aadBaseUrlForm: "as_in_qr",
  responseExportLabel: "MATRIX_QR_CODE_LOGIN_RESPONSE",
  checkCodeContext: "ascii_b64",
};

/** The matrix-rust-sdk branch `poljar/qr-login/msc4388` (vector set `v2025_hpke` in the fixed-key vectors). */
export const RUST_SDK_BRANCH_PROFILE: V2025Profile = {
  qrRendezvousIdLength: "u8",
  qrBaseUrlLength: "u16",
  aadBaseUrlLength: "u16",
  aadBaseUrlForm: "url_serialised",
  responseExportLabel: "MATRIX_QR_CODE_LOGIN_RESPONSE",
  checkCodeContext: "ascii_b64",
};

/**
 * The profile a scanner speaks with the device that showed `qr`, read off the QR's framing, because nothing else
 * in the QR or the handshake says which AAD the generator seals with (a wrong guess fails LoginInitiate as
 * `insecure_channel`):
 * - a u16 base-URL length is the rust-sdk branch's framing (MSC 726e115; the branch writes it and seals with
 *   a u16, URL-serialised base URL in the AAD): `RUST_SDK_BRANCH_PROFILE`;
 * - a u8 base-URL length is the newest MSC text, which we write: `OUR_V2025_PROFILE`.
 * The rendezvous-ID width says nothing: rust-sdk main writes u16 IDs but has no v2025 channel, and the branch
 * and the MSC both write u8. A caller that knows better passes a profile to `createScannerChannel` explicitly.
 */
export function profileForQrFraming(qr: { readonly baseUrlLength: LengthWidth }): V2025Profile {
  return qr.baseUrlLength === "u16" ? RUST_SDK_BRANCH_PROFILE : OUR_V2025_PROFILE;
}

/** The MSC4388 text read literally: its labels differ from vodozemac's (used to diagnose a peer's check code). */
export const MSC_TEXT_PROFILE: V2025Profile = {
  ...OUR_V2025_PROFILE,
  responseExportLabel: "MATRIX_QR_CODE_LOGIN response",
  checkCodeContext: "raw_keys",
};
