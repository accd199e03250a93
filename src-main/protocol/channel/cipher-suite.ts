// What one wire version of the secure channel does its own way, behind one small interface: keys, message
// framing, the AAD and the check-code digits. v2024.ts (vodozemac `ecies`, MSC4108 2024) and v2025.ts (MSC4388
// over HPKE) implement it; typestate.ts orders the steps once for both, checks the handshake texts, and closes
// the channel when a step fails. After matrix-rust-sdk's `secure_channel/crypto_channel.rs`, which keeps the
// version difference in one enum under one `SecureChannel -> AlmostEstablished -> Established` chain.
//
// A suite never decides the channel's fate. It throws ProtocolError `invalid_channel_message` for framing or
// base64 it cannot read and `insecure_channel` for a key or tag that fails, and leaves closing to the typestate.
// It hands the key material it makes to `SuiteContext.onClose`, so that closing the channel forgets it. It may
// assume the typestate's order (initiate, OK, check code, then messages), and fails with a TypeError otherwise.
import type { RandomSource } from "../random";
import type { RendezvousAad, WireVersion } from "../types";
import type { V2025Profile } from "../v2025-profile";

/** A value a suite step returns at once (v2024) or after the HPKE library's promise (v2025). */
export type Awaitable<T> = T | Promise<T>;

/** What a suite gets from the channel it keys. */
export interface SuiteContext {
  readonly random: RandomSource;
  /** Registers key material to overwrite or drop when the channel closes (at once if it already has). */
  onClose(forget: () => void): void;
}

/** The steps both roles share once the handshake has keyed them: JSON login messages in both directions. */
export interface MessageCipher<Aad> {
  /** The two digits both sides derive; only S shows them, G only compares. */
  checkCode(): Awaitable<string>;
  seal(plaintext: Uint8Array, aad: Aad): Awaitable<string>;
  open(message: string, aad: Aad): Awaitable<Uint8Array>;
}

/** S, which learnt G's public key from the QR code. */
export interface ScannerCipher<Aad> extends MessageCipher<Aad> {
  /** S's ephemeral public key (Sp). */
  readonly publicKey: Uint8Array;
  sealInitiate(plaintext: Uint8Array, aad: Aad): Awaitable<string>;
  /** Returns the plaintext of G's LoginOk; the typestate checks it. */
  openOk(message: string, aad: Aad): Awaitable<Uint8Array>;
}

/** G, whose public key the QR code carries. */
export interface GeneratorCipher<Aad> extends MessageCipher<Aad> {
  /** G's ephemeral public key (Gp). */
  readonly publicKey: Uint8Array;
  /** Returns the plaintext of S's LoginInitiate, which the typestate checks, and Sp. */
  openInitiate(
    message: string,
    aad: Aad,
  ): Awaitable<{ readonly plaintext: Uint8Array; readonly peerPublicKey: Uint8Array }>;
  sealOk(plaintext: Uint8Array, aad: Aad): Awaitable<string>;
}

export interface CipherSuite<Aad> {
  readonly version: WireVersion;
  /** v2025 only: the profile whose choices this suite makes (v2025-profile.ts). */
  readonly profile?: V2025Profile;
  /**
   * The AAD bytes a message is bound to, from what the rendezvous session hands over. Passing an AAD to a
   * version that has none, or none to one that needs it, is our own bug: TypeError.
   */
  bindAad(aad: RendezvousAad | undefined): Aad;
  /** S's side, keyed to G's public key: 32 bytes, as the QR codec checked. */
  scanner(peerPublicKey: Uint8Array, context: SuiteContext): ScannerCipher<Aad>;
  generator(context: SuiteContext): GeneratorCipher<Aad>;
}

/**
 * A key a step needs that an earlier step makes. Missing means the typestate's order was broken, or the channel
 * closed while the step ran (which the typestate reports as `channel_closed`).
 */
export function madeEarlier<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new TypeError(`the channel has no ${what} yet`);
  return value;
}
