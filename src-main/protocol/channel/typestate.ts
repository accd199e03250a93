// The secure channel's typestate (types.ts), written once over both wire versions: a cipher suite
// (cipher-suite.ts; v2024.ts, v2025.ts) does the cryptography, this module decides what may happen when.
//   S: ScannerChannel --sealInitiate, openOk--> ScannerUnconfirmed --acknowledge--> EstablishedChannel
//   G: GeneratorChannel --openInitiate--> GeneratorPendingOk --sealOk--> GeneratorUnconfirmed --confirm-->
//      EstablishedChannel
//
// Runtime discipline, on top of what the types already forbid:
// - Operations run one at a time in call order, even when a caller does not await: each direction's sequence
//   number (v2024 nonce counter, v2025 HPKE seq) follows the order of the calls.
// - Every transition (sealInitiate, openOk, openInitiate, sealOk, acknowledge) may be taken once and in order;
//   again or out of order is our own bug, a TypeError, and so are confirm after the code matched and an AAD
//   the version does not take. These leave the channel as it was.
// - Any failure while a step runs, in practice caused by the peer's bytes, closes the whole channel at once and
//   forgets its keys, before the handshake as after it: vodozemac consumes its channel on the first bad message
//   and rust-sdk drops it, and a half-open channel that someone writing to the rendezvous session could poke
//   again gains nothing. Framing or base64 that does not parse is `invalid_channel_message`; a failed key,
//   tag or handshake text `insecure_channel`; a decrypted message that is not UTF-8 `invalid_message`.
// - Once closed (by such a failure, the last wrong check code, abort() or close()), every call of every state
//   of the channel throws `channel_closed`, checked before the once-only checks.
import { bytesEqual, decodeUtf8, utf8 } from "../bytes";
import { ProtocolError } from "../errors";
import type { RandomSource } from "../random";
import type { RendezvousAad } from "../types";
import type { Awaitable, CipherSuite, GeneratorCipher, MessageCipher, SuiteContext } from "./cipher-suite";
import { checkCodeMatches } from "./check-code";
import { LOGIN_INITIATE_PLAINTEXT, LOGIN_OK_PLAINTEXT } from "./handshake";
import { ChannelLifecycle } from "./lifecycle";
import {
  CHECK_CODE_ATTEMPTS,
  type ConfirmResult,
  type EstablishedChannel,
  type GeneratorChannel,
  type GeneratorPendingOk,
  type GeneratorUnconfirmed,
  type ScannerChannel,
  type ScannerUnconfirmed,
} from "./types";

/** Both versions key X25519: the QR code's public key is 32 bytes. */
const PUBLIC_KEY_LENGTH = 32;

/**
 * One side of one channel, shared by all its typestate objects, so that closing any of them closes all: the
 * lifecycle (closing, forgetting, one-shot transitions) and the queue its operations wait in.
 */
class ChannelCore<Aad> extends ChannelLifecycle {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly suite: CipherSuite<Aad>) {
    super();
  }

  context(random: RandomSource): SuiteContext {
    return {
      random,
      onClose: (forget) => {
        this.onClose(forget);
      },
    };
  }

  /** A one-shot handshake step, taken after `after` (if given). */
  transition<T>(
    name: string,
    aad: RendezvousAad | undefined,
    step: (aad: Aad) => Awaitable<T>,
    after?: string,
  ): Promise<T> {
    return this.#serially(aad, step, () => {
      this.enter(name, after);
    });
  }

  /** Sealing or opening one login message on an established channel. */
  message<T>(aad: RendezvousAad | undefined, step: (aad: Aad) => Awaitable<T>): Promise<T> {
    return this.#serially(aad, step, () => {
      this.assertOpen();
    });
  }

  /**
   * Binds the AAD at once (a misuse leaves the channel as it was), then queues the step behind the ones already
   * called. A result is handed out only if the channel is still open when the step ends.
   */
  async #serially<T>(
    aad: RendezvousAad | undefined,
    step: (aad: Aad) => Awaitable<T>,
    admit: () => void,
  ): Promise<T> {
    const bound = this.suite.bindAad(aad);
    const result = this.#queue.then(async () => {
      admit();
      const value = await this.guard(() => step(bound));
      this.assertOpen();
      return value;
    });
    this.#queue = result.then(
      () => undefined,
      () => undefined,
    );
    return await result;
  }
}

/** The fixed text each side proves its key with (MSC4388 Establishment steps 4-6, MSC4108 the same texts). */
function expectHandshakeText(plaintext: Uint8Array, expected: string, what: string): void {
  if (!bytesEqual(plaintext, utf8(expected))) {
    throw new ProtocolError("insecure_channel", `the ${what} message has the wrong content`);
  }
}

function established<Aad>(core: ChannelCore<Aad>, cipher: MessageCipher<Aad>): EstablishedChannel {
  return Object.freeze({
    version: core.suite.version,
    seal(plaintext: string, aad?: RendezvousAad): Promise<string> {
      return core.message(aad, (bound) => cipher.seal(utf8(plaintext), bound));
    },
    open(message: string, aad?: RendezvousAad): Promise<string> {
      return core.message(aad, async (bound) => {
        const text = decodeUtf8(await cipher.open(message, bound));
        if (text === undefined) throw new ProtocolError("invalid_message", "a channel message is not UTF-8");
        return text;
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
 * S's side, keyed to the public key of the QR code S scanned. A key of the wrong length is the QR codec's bug
 * (TypeError); v2024 refuses a low-order key here already (`insecure_channel`), v2025 when sealing LoginInitiate.
 */
export function scannerChannel<Aad>(
  suite: CipherSuite<Aad>,
  peerPublicKey: Uint8Array,
  random: RandomSource,
): ScannerChannel {
  if (peerPublicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new TypeError(
      `the QR code's public key has ${peerPublicKey.length} bytes, not ${PUBLIC_KEY_LENGTH}`,
    );
  }
  const core = new ChannelCore(suite);
  const cipher = suite.scanner(Uint8Array.from(peerPublicKey), core.context(random));
  return Object.freeze({
    version: suite.version,
    publicKey: Uint8Array.from(cipher.publicKey),
    sealInitiate(aad?: RendezvousAad): Promise<string> {
      return core.transition("sealInitiate", aad, (bound) =>
        cipher.sealInitiate(utf8(LOGIN_INITIATE_PLAINTEXT), bound),
      );
    },
    openOk(message: string, aad?: RendezvousAad): Promise<ScannerUnconfirmed> {
      return core.transition(
        "openOk",
        aad,
        async (bound) => {
          expectHandshakeText(await cipher.openOk(message, bound), LOGIN_OK_PLAINTEXT, "generator's LoginOk");
          return scannerUnconfirmed(core, await cipher.checkCode(), cipher);
        },
        "sealInitiate",
      );
    },
    abort(): void {
      core.close();
    },
  });
}

function scannerUnconfirmed<Aad>(
  core: ChannelCore<Aad>,
  checkCode: string,
  cipher: MessageCipher<Aad>,
): ScannerUnconfirmed {
  return Object.freeze({
    version: core.suite.version,
    checkCode,
    acknowledge(): EstablishedChannel {
      core.enter("acknowledge");
      return established(core, cipher);
    },
    abort(): void {
      core.close();
    },
  });
}

/** G's side: a fresh key pair, whose public half goes into the QR code. */
export function generatorChannel<Aad>(suite: CipherSuite<Aad>, random: RandomSource): GeneratorChannel {
  const core = new ChannelCore(suite);
  const cipher = suite.generator(core.context(random));
  return Object.freeze({
    version: suite.version,
    publicKey: Uint8Array.from(cipher.publicKey),
    ...(suite.profile === undefined ? {} : { profile: suite.profile }),
    openInitiate(message: string, aad?: RendezvousAad): Promise<GeneratorPendingOk> {
      return core.transition("openInitiate", aad, async (bound) => {
        const { plaintext, peerPublicKey } = await cipher.openInitiate(message, bound);
        expectHandshakeText(plaintext, LOGIN_INITIATE_PLAINTEXT, "scanner's LoginInitiate");
        return generatorPendingOk(core, cipher, peerPublicKey);
      });
    },
    abort(): void {
      core.close();
    },
  });
}

function generatorPendingOk<Aad>(
  core: ChannelCore<Aad>,
  cipher: GeneratorCipher<Aad>,
  peerPublicKey: Uint8Array,
): GeneratorPendingOk {
  return Object.freeze({
    version: core.suite.version,
    peerPublicKey: Uint8Array.from(peerPublicKey),
    sealOk(aad?: RendezvousAad): Promise<{ okMessage: string; unconfirmed: GeneratorUnconfirmed }> {
      return core.transition("sealOk", aad, async (bound) => {
        const okMessage = await cipher.sealOk(utf8(LOGIN_OK_PLAINTEXT), bound);
        return { okMessage, unconfirmed: generatorUnconfirmed(core, await cipher.checkCode(), cipher) };
      });
    },
    abort(): void {
      core.close();
    },
  });
}

/** G never shows the code: the user reads it on S and types it here (MSC4388 Establishment step 7). */
function generatorUnconfirmed<Aad>(
  core: ChannelCore<Aad>,
  checkCode: string,
  cipher: MessageCipher<Aad>,
): GeneratorUnconfirmed {
  let attemptsLeft = CHECK_CODE_ATTEMPTS;
  let confirmed = false;
  return Object.freeze({
    version: core.suite.version,
    get attemptsLeft(): number {
      return attemptsLeft;
    },
    confirm(typedCode: string): ConfirmResult {
      core.assertOpen();
      // Checked before comparing, so that a stale object cannot use up attempts of an established channel.
      if (confirmed) throw new TypeError("confirm may not be called after the check code matched");
      if (checkCodeMatches(checkCode, typedCode)) {
        confirmed = true;
        return { ok: true, channel: established(core, cipher) };
      }
      attemptsLeft -= 1;
      if (attemptsLeft > 0) return { ok: false, attemptsLeft };
      // A mismatch means a different peer, or an attacker, holds the other end.
      core.close();
      throw new ProtocolError("check_code_mismatch", "the check code did not match");
    },
    abort(): void {
      core.close();
    },
  });
}
