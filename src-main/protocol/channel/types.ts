// The secure channel as a typestate (after matrix-rust-sdk's secure_channel): a channel whose check code has not
// been confirmed has no seal/open at all, so no code path can send a login message, let alone secrets, before
// the user has compared the two digits. typestate.ts implements it once for both wire versions.
//
// Roles (docs/protocol.md §3): G generates and shows the QR code; S scans it.
//   S: createScannerChannel(...)  -> ScannerChannel.sealInitiate()  -> ScannerChannel.openOk() -> ScannerUnconfirmed
//   G: createGeneratorChannel(...) -> GeneratorChannel.openInitiate() -> GeneratorPendingOk.sealOk() -> GeneratorUnconfirmed
// ScannerUnconfirmed exposes the check code (S shows it); GeneratorUnconfirmed only compares a typed code.
// Both become an EstablishedChannel, or are aborted.
import type { RendezvousAad, WireVersion } from "../types";
import type { V2025Profile } from "../v2025-profile";

export type { RendezvousAad };

/** A channel both sides have confirmed: JSON login messages flow in both directions. */
export interface EstablishedChannel {
  readonly version: WireVersion;
  /** Encrypts one UTF-8 message for the peer; returns the wire string to put in the rendezvous session. */
  seal(plaintext: string, aad?: RendezvousAad): Promise<string>;
  /**
   * Decrypts one wire string from the peer. Any failure closes the channel for good: `invalid_channel_message`
   * for bad framing or base64, `insecure_channel` for a failed decryption, `invalid_message` for text that is
   * not UTF-8; later calls fail with `channel_closed`.
   */
  open(message: string, aad?: RendezvousAad): Promise<string>;
  /** Forgets the keys; every later call fails with `channel_closed`. */
  close(): void;
  readonly closed: boolean;
}

/** S after verifying G's LoginOk: the check code to show, and nothing to send yet. */
export interface ScannerUnconfirmed {
  readonly version: WireVersion;
  /** The two digits S shows in large type; the user types them on G. */
  readonly checkCode: string;
  /** S has shown the code: from here on, the channel carries messages. */
  acknowledge(): EstablishedChannel;
  abort(): void;
}

export type ConfirmResult =
  | { readonly ok: true; readonly channel: EstablishedChannel }
  | { readonly ok: false; readonly attemptsLeft: number };

/** G after sending LoginOk: it can only compare the code the user typed, or abort. */
export interface GeneratorUnconfirmed {
  readonly version: WireVersion;
  readonly attemptsLeft: number;
  /**
   * Compares the digits the user typed with the channel's check code in constant time. A mismatch uses up an
   * attempt; after the last one the channel is closed and this throws ProtocolError `check_code_mismatch`.
   */
  confirm(typedCode: string): ConfirmResult;
  abort(): void;
}

/** S at the start: knows G's public key from the QR code. */
export interface ScannerChannel {
  readonly version: WireVersion;
  /** S's ephemeral public key (Sp). */
  readonly publicKey: Uint8Array;
  /** The LoginInitiateMessage to PUT into the rendezvous session. */
  sealInitiate(aad?: RendezvousAad): Promise<string>;
  /** Verifies G's LoginOkMessage; a wrong or undecryptable message throws `insecure_channel`. */
  openOk(message: string, aad?: RendezvousAad): Promise<ScannerUnconfirmed>;
  /** Gives up before the check code: forgets the keys; every later call fails with `channel_closed`. */
  abort(): void;
}

/** G at the start: its ephemeral key pair, the public half of which goes into the QR code. */
export interface GeneratorChannel {
  readonly version: WireVersion;
  /** G's ephemeral public key (Gp), for the QR code. */
  readonly publicKey: Uint8Array;
  /** v2025 only: the profile this channel speaks, whose framing the QR code must carry (`loginQrForSession`). */
  readonly profile?: V2025Profile;
  /** Verifies S's LoginInitiateMessage; a wrong or undecryptable message throws `insecure_channel`. */
  openInitiate(message: string, aad?: RendezvousAad): Promise<GeneratorPendingOk>;
  /** Gives up (QR replaced or flow cancelled): forgets the keys; every later call fails with `channel_closed`. */
  abort(): void;
}

/** G after a valid initiate: the only thing it can do is answer LoginOk. */
export interface GeneratorPendingOk {
  readonly version: WireVersion;
  /** S's ephemeral public key (Sp) as received. */
  readonly peerPublicKey: Uint8Array;
  sealOk(aad?: RendezvousAad): Promise<{ okMessage: string; unconfirmed: GeneratorUnconfirmed }>;
  /** Gives up before answering: forgets the keys; every later call fails with `channel_closed`. */
  abort(): void;
}

/** How many wrong check codes G accepts before closing the channel (docs/ux.md: the second mismatch ends it). */
export const CHECK_CODE_ATTEMPTS = 2;
