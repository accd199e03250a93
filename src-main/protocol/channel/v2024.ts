// The v2024 secure channel: vodozemac's `ecies` as Element X and Element Web ship it (PROTOCOL.md §3.1), byte
// for byte, behind the typestate of ./types.ts.
//
// Runtime discipline, on top of what the types already forbid:
// - Every transition (sealInitiate, openOk, openInitiate, sealOk, acknowledge, a successful confirm) may be
//   used once and in order. Using one again, or out of order, is our own bug: TypeError.
// - Any failure caused by the peer's bytes closes the whole channel at once and forgets its keys, before the
//   handshake as after it. vodozemac consumes its `Ecies` in `establish_*` and rust-sdk drops the channel on
//   the first bad message; a half-open channel that an attacker writing to the rendezvous session could poke
//   again would gain nothing. Malformed framing or base64 throws `invalid_channel_message`, a failed
//   decryption or handshake `insecure_channel`, a decrypted message that is not UTF-8 `invalid_message`.
// - Once closed (by such a failure, the last wrong check code, abort() or close()), every call of every state
//   of this channel throws `channel_closed`; that check comes before the once-only check.
// - The v2024 channel has no AAD: passing one is our own bug, a TypeError, and changes nothing.
import { decodeBase64, encodeBase64 } from "../base64";
import { decodeUtf8, utf8 } from "../bytes";
import { ProtocolError, type ProtocolErrorCode } from "../errors";
import { secureRandom, takeRandom, type RandomSource } from "../random";
import {
  CHECK_CODE_ATTEMPTS,
  type ConfirmResult,
  type EstablishedChannel,
  type GeneratorChannel,
  type GeneratorPendingOk,
  type GeneratorUnconfirmed,
  type RendezvousAad,
  type ScannerChannel,
  type ScannerUnconfirmed,
} from "./types";
import { ChannelLifecycle } from "./lifecycle";
import { DirectionalCipher } from "./v2024/aead";
import { checkCodeMatches } from "./check-code";
import { LOGIN_INITIATE_PLAINTEXT, LOGIN_OK_PLAINTEXT } from "./handshake";
import { checkCodeDigits } from "./v2024/check-code";
import { KEY_LENGTH, deriveKeys, publicKeyOf, sharedSecret, type V2024Keys } from "./v2024/key-schedule";

const VERSION = "v2024";
const TAG_LENGTH = 16;

/**
 * State shared by every typestate object of one channel, so that closing any of them closes all. Closing,
 * forgetting and the one-shot transitions are the lifecycle both wire versions share.
 */
class ChannelCore {
  private readonly lifecycle = new ChannelLifecycle();
  private ciphers: { send: DirectionalCipher; receive: DirectionalCipher } | undefined;
  private check: Uint8Array | undefined;

  get closed(): boolean {
    return this.lifecycle.closed;
  }

  /** Keeps a secret so that close() can zero it. */
  hold(secret: Uint8Array): void {
    this.lifecycle.onClose(() => secret.fill(0));
  }

  /** S sends with EncKey_S and receives with EncKey_G; G the mirror image (PROTOCOL.md §3.1). */
  setKeys(keys: V2024Keys, role: "generator" | "scanner"): void {
    const [send, receive] = role === "scanner" ? [keys.encKeyS, keys.encKeyG] : [keys.encKeyG, keys.encKeyS];
    const ciphers = { send: new DirectionalCipher(send), receive: new DirectionalCipher(receive) };
    this.ciphers = ciphers;
    this.check = keys.checkBytes;
    this.lifecycle.onClose(() => {
      ciphers.send.forget();
      ciphers.receive.forget();
      this.ciphers = undefined;
    });
    this.hold(keys.checkBytes);
  }

  checkBytes(): Uint8Array {
    this.assertOpen();
    if (this.check === undefined) throw new TypeError("the v2024 channel has no keys yet");
    return this.check;
  }

  assertOpen(): void {
    this.lifecycle.assertOpen();
  }

  /** Marks a transition of the typestate that may run once (`channel_closed` first on a closed channel). */
  enter(transition: string): void {
    this.lifecycle.enter(transition);
  }

  close(): void {
    this.lifecycle.close();
  }

  /** Closes the channel and throws: every failure caused by the peer is fatal. */
  fail(code: ProtocolErrorCode, message: string, cause?: unknown): never {
    this.close();
    throw new ProtocolError(code, message, cause === undefined ? undefined : { cause });
  }

  /** Runs `step`; if it throws, the channel closes and the error propagates unchanged. */
  closeOnError<T>(step: () => T): T {
    try {
      return step();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  sealText(plaintext: string): string {
    return encodeBase64(this.requireCiphers().send.seal(utf8(plaintext)));
  }

  /** Decodes and decrypts one wire string from the peer; closes the channel on any failure. */
  openText(message: string): string {
    const ciphertext = this.closeOnError(() => decodeBase64(message, "invalid_channel_message"));
    if (ciphertext.length < TAG_LENGTH) {
      this.fail("invalid_channel_message", "the message is shorter than an authentication tag");
    }
    let plaintext: Uint8Array;
    try {
      plaintext = this.requireCiphers().receive.open(ciphertext);
    } catch (cause) {
      this.fail("insecure_channel", "a message from the peer did not decrypt", cause);
    }
    const text = decodeUtf8(plaintext);
    if (text === undefined) this.fail("invalid_message", "a decrypted message is not UTF-8");
    return text;
  }

  private requireCiphers(): { send: DirectionalCipher; receive: DirectionalCipher } {
    this.assertOpen();
    if (this.ciphers === undefined) throw new TypeError("the v2024 channel has no keys yet");
    return this.ciphers;
  }
}

function refuseAad(aad: RendezvousAad | undefined): void {
  if (aad !== undefined) throw new TypeError("the v2024 channel has no AAD; pass undefined");
}

function established(core: ChannelCore): EstablishedChannel {
  return Object.freeze({
    version: VERSION,
    seal(plaintext: string, aad?: RendezvousAad): Promise<string> {
      return Promise.resolve().then(() => {
        refuseAad(aad);
        return core.sealText(plaintext);
      });
    },
    open(message: string, aad?: RendezvousAad): Promise<string> {
      return Promise.resolve().then(() => {
        refuseAad(aad);
        core.assertOpen();
        return core.openText(message);
      });
    },
    close(): void {
      core.close();
    },
    get closed(): boolean {
      return core.closed;
    },
  });
}

/**
 * S's side. S learns Gp from the QR code, so it derives the keys at once: a low-order Gp (one that would make
 * the shared secret a constant) throws ProtocolError `insecure_channel` here. `peerPublicKey` must be the 32
 * bytes the QR codec already checked; anything else is a TypeError.
 */
export function createV2024ScannerChannel(options: {
  peerPublicKey: Uint8Array;
  random?: RandomSource;
}): ScannerChannel {
  if (options.peerPublicKey.length !== KEY_LENGTH) {
    throw new TypeError(`a v2024 public key has 32 bytes, not ${options.peerPublicKey.length}`);
  }
  const generatorKey = Uint8Array.from(options.peerPublicKey);
  const privateKey = takeRandom(options.random ?? secureRandom, KEY_LENGTH);
  const scannerKey = publicKeyOf(privateKey);
  const core = new ChannelCore();
  try {
    const secret = sharedSecret(privateKey, generatorKey);
    try {
      core.setKeys(deriveKeys(secret, generatorKey, scannerKey), "scanner");
    } finally {
      secret.fill(0);
    }
  } finally {
    privateKey.fill(0);
  }

  let initiateSent = false;

  return Object.freeze({
    version: VERSION,
    publicKey: Uint8Array.from(scannerKey),
    sealInitiate(aad?: RendezvousAad): Promise<string> {
      return Promise.resolve().then(() => {
        refuseAad(aad);
        core.enter("sealInitiate");
        // LoginInitiateMessage: ciphertext first, then Sp; G splits on the first "|" (PROTOCOL.md §3.1).
        const message = `${core.sealText(LOGIN_INITIATE_PLAINTEXT)}|${encodeBase64(scannerKey)}`;
        initiateSent = true;
        return message;
      });
    },
    openOk(message: string, aad?: RendezvousAad): Promise<ScannerUnconfirmed> {
      return Promise.resolve().then(() => {
        refuseAad(aad);
        core.assertOpen();
        if (!initiateSent) throw new TypeError("openOk before sealInitiate");
        core.enter("openOk");
        // LoginOkMessage under EncKey_G with nonce 0 (vodozemac; the MSC text's nonce 1 is wrong).
        if (core.openText(message) !== LOGIN_OK_PLAINTEXT) {
          core.fail("insecure_channel", "the generator's LoginOk message has the wrong content");
        }
        return scannerUnconfirmed(core);
      });
    },
    abort(): void {
      core.close();
    },
  });
}

function scannerUnconfirmed(core: ChannelCore): ScannerUnconfirmed {
  const checkCode = checkCodeDigits(core.checkBytes());
  return Object.freeze({
    version: VERSION,
    checkCode,
    acknowledge(): EstablishedChannel {
      core.enter("acknowledge");
      return established(core);
    },
    abort(): void {
      core.close();
    },
  });
}

/** G's side: a fresh key pair, whose public half goes into the QR code. */
export function createV2024GeneratorChannel(options?: { random?: RandomSource }): GeneratorChannel {
  const privateKey = takeRandom(options?.random ?? secureRandom, KEY_LENGTH);
  const core = new ChannelCore();
  core.hold(privateKey);
  const generatorKey = publicKeyOf(privateKey);

  return Object.freeze({
    version: VERSION,
    publicKey: Uint8Array.from(generatorKey),
    openInitiate(message: string, aad?: RendezvousAad): Promise<GeneratorPendingOk> {
      return Promise.resolve().then(() => {
        refuseAad(aad);
        core.enter("openInitiate");
        const { ciphertext, scannerKey } = core.closeOnError(() => parseInitiate(message));
        core.closeOnError(() => {
          const secret = sharedSecret(privateKey, scannerKey);
          try {
            core.setKeys(deriveKeys(secret, generatorKey, scannerKey), "generator");
          } finally {
            secret.fill(0);
          }
        });
        // G needs its private key for nothing else.
        privateKey.fill(0);
        if (core.openText(ciphertext) !== LOGIN_INITIATE_PLAINTEXT) {
          core.fail("insecure_channel", "the scanner's LoginInitiate message has the wrong content");
        }
        return generatorPendingOk(core, scannerKey);
      });
    },
    abort(): void {
      core.close();
    },
  });
}

/**
 * Splits `b64(ciphertext)|b64(Sp)` on the first "|", as vodozemac does. Only the framing is checked here; the
 * ciphertext is left as base64 for the receiving cipher.
 */
function parseInitiate(message: string): { ciphertext: string; scannerKey: Uint8Array } {
  const bar = message.indexOf("|");
  if (bar === -1) {
    throw new ProtocolError("invalid_channel_message", "the LoginInitiate message has no '|' separator");
  }
  const scannerKey = decodeBase64(message.slice(bar + 1), "invalid_channel_message");
  if (scannerKey.length !== KEY_LENGTH) {
    throw new ProtocolError("invalid_channel_message", "the LoginInitiate message's key is not 32 bytes");
  }
  return { ciphertext: message.slice(0, bar), scannerKey };
}

function generatorPendingOk(core: ChannelCore, scannerKey: Uint8Array): GeneratorPendingOk {
  return Object.freeze({
    version: VERSION,
    peerPublicKey: Uint8Array.from(scannerKey),
    sealOk(aad?: RendezvousAad): Promise<{ okMessage: string; unconfirmed: GeneratorUnconfirmed }> {
      return Promise.resolve().then(() => {
        refuseAad(aad);
        core.enter("sealOk");
        const okMessage = core.sealText(LOGIN_OK_PLAINTEXT);
        return { okMessage, unconfirmed: generatorUnconfirmed(core) };
      });
    },
    abort(): void {
      core.close();
    },
  });
}

function generatorUnconfirmed(core: ChannelCore): GeneratorUnconfirmed {
  // G never shows the code: the user reads it on S and types it here (MSC4108 2024, check code step).
  const expected = checkCodeDigits(core.checkBytes());
  let attemptsLeft = CHECK_CODE_ATTEMPTS;
  let confirmed = false;
  return Object.freeze({
    version: VERSION,
    get attemptsLeft(): number {
      return attemptsLeft;
    },
    confirm(typedCode: string): ConfirmResult {
      core.assertOpen();
      // Checked before comparing, so that a stale object cannot use up attempts of an established channel.
      if (confirmed) throw new TypeError("confirm may not be called after the check code matched");
      if (checkCodeMatches(expected, typedCode)) {
        confirmed = true;
        return { ok: true, channel: established(core) };
      }
      attemptsLeft -= 1;
      if (attemptsLeft <= 0) core.fail("check_code_mismatch", "the check code did not match");
      return { ok: false, attemptsLeft };
    },
    abort(): void {
      core.close();
    },
  });
}

/**
 * For tests only: the keys a party derives from its private key and the peer's public key, so that the
 * fixed-key vectors can check EncKey_S, EncKey_G and the check bytes, which are not public API.
 */
export function deriveV2024KeysForTests(options: {
  role: "generator" | "scanner";
  privateKey: Uint8Array;
  peerPublicKey: Uint8Array;
}): V2024Keys & { sharedSecret: Uint8Array } {
  const ownKey = publicKeyOf(options.privateKey);
  const secret = sharedSecret(options.privateKey, options.peerPublicKey);
  const [generatorKey, scannerKey] =
    options.role === "generator" ? [ownKey, options.peerPublicKey] : [options.peerPublicKey, ownKey];
  return { ...deriveKeys(secret, generatorKey, scannerKey), sharedSecret: secret };
}
