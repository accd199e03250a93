// The v2025 secure channel: MSC4388 "Secure channel" over RFC 9180 HPKE, both roles, as the typestate of
// channel/types.ts. S (scanner) is the HPKE sender towards G's QR key; G (generator) answers through a
// response context (RFC 9458 style) derived from the HPKE exporter. Every message binds the rendezvous session
// through its AAD. Profile choices (labels, AAD form) come from v2025-profile.ts; PROTOCOL.md §3.2-3.3 records
// where vodozemac, the rust-sdk branch and the MSC text differ.
//
// One-shot transitions (sealInitiate, openOk, openInitiate, sealOk, acknowledge, a successful confirm) throw
// TypeError when called again: that is our own code's bug. On a closed channel (aborted, closed, failed to
// open a message, or out of check-code attempts) every call throws ProtocolError `channel_closed` instead.
import type { EncryptionContext } from "@hpke/core";
import { encodeBase64 } from "../base64";
import { bytesEqual, concatBytes, decodeUtf8, utf8 } from "../bytes";
import { ProtocolError } from "../errors";
import { secureRandom, takeRandom, type RandomSource } from "../random";
import { OUR_V2025_PROFILE, RESPONSE_NONCE_LENGTH, type V2025Profile } from "../v2025-profile";
import { checkCodeMatches } from "./check-code";
import { LOGIN_INITIATE_PLAINTEXT, LOGIN_OK_PLAINTEXT } from "./handshake";
import { requireAad } from "./v2025/aad";
import { checkCodeFromBytes } from "./v2025/check-code";
import { decodeCiphertext, decodePrefixedCiphertext } from "./v2025/framing";
import { ChannelLifecycle } from "./lifecycle";
import {
  X25519_KEY_LENGTH,
  checkCodeExporterContext,
  exportCheckBytes,
  exportResponseSecret,
  setupPrimaryAsRecipient,
  setupPrimaryAsSender,
  x25519PublicKey,
} from "./v2025/primary-context";
import { ResponseContext, deriveResponseKeys } from "./v2025/response-context";
import {
  CHECK_CODE_ATTEMPTS,
  type EstablishedChannel,
  type GeneratorChannel,
  type GeneratorPendingOk,
  type GeneratorUnconfirmed,
  type ScannerChannel,
  type ScannerUnconfirmed,
} from "./types";

export { encodeRendezvousAad } from "./v2025/aad";

const VERSION = "v2025";

export interface V2025ChannelOptions {
  /** Source of G's key Gs, S's ephemeral key Ss (HPKE enc = Sp) and G's response nonce n_r. */
  readonly random?: RandomSource;
  readonly profile?: V2025Profile;
}

function insecure(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError("insecure_channel", message, cause === undefined ? undefined : { cause });
}

/** Opens a primary-context ciphertext; a wrong tag is `undefined`, so the caller decides what it means. */
async function openPrimary(
  context: EncryptionContext,
  ciphertext: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await context.open(ciphertext, aad));
  } catch {
    return undefined;
  }
}

/** The two directions of an established channel, as seen from one side. */
interface ChannelEnds {
  seal(plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  open(ciphertext: Uint8Array, aad: Uint8Array): Promise<Uint8Array | undefined>;
}

function establishedChannel(
  lifecycle: ChannelLifecycle,
  profile: V2025Profile,
  ends: ChannelEnds,
): EstablishedChannel {
  // Sequence numbers follow call order, so operations run one at a time even if a caller does not await.
  let queue: Promise<unknown> = Promise.resolve();
  function serially<T>(task: () => Promise<T>): Promise<T> {
    const result = queue.then(task);
    queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  return {
    version: VERSION,
    get closed() {
      return lifecycle.closed;
    },
    close() {
      lifecycle.close();
    },
    async seal(plaintext, aad) {
      const aadBytes = requireAad(aad, profile);
      return serially(async () => {
        lifecycle.assertOpen();
        const ciphertext = await ends.seal(utf8(plaintext), aadBytes);
        lifecycle.assertOpen();
        return encodeBase64(ciphertext);
      });
    },
    async open(message, aad) {
      const aadBytes = requireAad(aad, profile);
      return serially(async () => {
        lifecycle.assertOpen();
        return lifecycle.guard(async () => {
          const plaintext = await ends.open(decodeCiphertext(message), aadBytes);
          lifecycle.assertOpen();
          // A failed tag means a forged, replayed, reordered or misbound message (MSC4388 "Replay protection"):
          // nothing after it can be trusted, so the channel ends rather than skipping the message.
          if (plaintext === undefined) throw insecure("a channel message failed to decrypt");
          const text = decodeUtf8(plaintext);
          if (text === undefined) {
            throw new ProtocolError("invalid_message", "a channel message is not UTF-8");
          }
          return text;
        });
      });
    },
  };
}

/**
 * G: shows Gp in the QR code, opens S's LoginInitiate with the primary context and answers LoginOk through the
 * response context. G never learns the check code as a value it could display; it can only compare.
 */
export function createV2025GeneratorChannel(options: V2025ChannelOptions = {}): GeneratorChannel {
  const random = options.random ?? secureRandom;
  const profile = options.profile ?? OUR_V2025_PROFILE;
  const lifecycle = new ChannelLifecycle();
  const privateKey = takeRandom(random, X25519_KEY_LENGTH);
  // The check code is computed from our own copy, whatever a caller does to the array it is handed.
  const publicKey = x25519PublicKey(privateKey);
  lifecycle.onClose(() => privateKey.fill(0));

  return {
    version: VERSION,
    publicKey: Uint8Array.from(publicKey),
    profile,
    async openInitiate(message, aad) {
      const aadBytes = requireAad(aad, profile);
      lifecycle.enter("openInitiate");
      return lifecycle.guard(async () => {
        try {
          // MSC4388 Establishment step 5: enc is S's ephemeral key Sp; SetupBaseR, Open at seq 0 with AAD(SEQ1).
          const { prefix: enc, ciphertext } = decodePrefixedCiphertext(message, X25519_KEY_LENGTH);
          let primary: EncryptionContext;
          try {
            primary = await setupPrimaryAsRecipient(enc, privateKey);
          } catch (error) {
            throw insecure("the LoginInitiate key was rejected", error);
          }
          const plaintext = await openPrimary(primary, ciphertext, aadBytes);
          if (plaintext === undefined || !bytesEqual(plaintext, utf8(LOGIN_INITIATE_PLAINTEXT))) {
            throw insecure("the LoginInitiate message did not decrypt to the expected text");
          }
          lifecycle.assertOpen();
          return generatorPendingOk(lifecycle, profile, random, { publicKey, peerPublicKey: enc, primary });
        } finally {
          // Gs has done its only job (SetupBaseR); keeping it would only widen what a memory leak exposes.
          privateKey.fill(0);
        }
      });
    },
    abort() {
      lifecycle.close();
    },
  };
}

/**
 * Holds an HPKE context until the channel closes, then drops it: the library keeps its key and base nonce
 * privately, so forgetting them means letting go of the context.
 */
function holdUntilClosed(lifecycle: ChannelLifecycle, context: EncryptionContext): () => EncryptionContext {
  let held: EncryptionContext | undefined = context;
  lifecycle.onClose(() => (held = undefined));
  return () => {
    if (held === undefined) throw new ProtocolError("channel_closed", "the secure channel is closed");
    return held;
  };
}

function generatorPendingOk(
  lifecycle: ChannelLifecycle,
  profile: V2025Profile,
  random: RandomSource,
  handshake: {
    readonly publicKey: Uint8Array;
    readonly peerPublicKey: Uint8Array;
    readonly primary: EncryptionContext;
  },
): GeneratorPendingOk {
  const primary = holdUntilClosed(lifecycle, handshake.primary);
  const peerPublicKey = Uint8Array.from(handshake.peerPublicKey);

  return {
    version: VERSION,
    peerPublicKey,
    async sealOk(aad) {
      const aadBytes = requireAad(aad, profile);
      lifecycle.enter("sealOk");
      return lifecycle.guard(async () => {
        const context = primary();
        // MSC4388 step 5: the response context from the exported secret, Sp (= enc) and a fresh n_r.
        const responseNonce = takeRandom(random, RESPONSE_NONCE_LENGTH);
        const secret = await exportResponseSecret(context, profile);
        const response = new ResponseContext(deriveResponseKeys(secret, peerPublicKey, responseNonce));
        secret.fill(0);
        lifecycle.onClose(() => {
          response.forget();
        });
        const ciphertext = response.seal(utf8(LOGIN_OK_PLAINTEXT), aadBytes);
        const checkCode = checkCodeFromBytes(
          await exportCheckBytes(context, profile, handshake.publicKey, peerPublicKey),
        );
        lifecycle.assertOpen();
        const ends: ChannelEnds = {
          // G -> S goes through the response context, S -> G through the primary one (MSC4388 "Secure operations").
          seal: (plaintext, aadBytes) => Promise.resolve(response.seal(plaintext, aadBytes)),
          open: (ciphertext, aadBytes) => openPrimary(primary(), ciphertext, aadBytes),
        };
        return {
          okMessage: encodeBase64(concatBytes(responseNonce, ciphertext)),
          unconfirmed: generatorUnconfirmed(lifecycle, profile, checkCode, ends),
        };
      });
    },
    abort() {
      lifecycle.close();
    },
  };
}

function generatorUnconfirmed(
  lifecycle: ChannelLifecycle,
  profile: V2025Profile,
  checkCode: string,
  ends: ChannelEnds,
): GeneratorUnconfirmed {
  let attemptsLeft = CHECK_CODE_ATTEMPTS;
  let confirmed = false;

  return {
    version: VERSION,
    get attemptsLeft() {
      return attemptsLeft;
    },
    confirm(typedCode) {
      lifecycle.assertOpen();
      if (confirmed) throw new TypeError("the check code was already confirmed");
      if (checkCodeMatches(checkCode, typedCode)) {
        confirmed = true;
        return { ok: true, channel: establishedChannel(lifecycle, profile, ends) };
      }
      attemptsLeft -= 1;
      if (attemptsLeft > 0) return { ok: false, attemptsLeft };
      // MSC4388 step 7: a mismatch means a different peer (or an attacker) holds the other end.
      lifecycle.close();
      throw new ProtocolError("check_code_mismatch", "the check code did not match");
    },
    abort() {
      lifecycle.close();
    },
  };
}

/**
 * S: has scanned Gp from the QR code, seals LoginInitiate with a fresh HPKE sender context, verifies LoginOk
 * through the response context and then shows the check code.
 */
export function createV2025ScannerChannel(
  options: V2025ChannelOptions & { readonly peerPublicKey: Uint8Array },
): ScannerChannel {
  const random = options.random ?? secureRandom;
  const profile = options.profile ?? OUR_V2025_PROFILE;
  if (options.peerPublicKey.length !== X25519_KEY_LENGTH) {
    throw new TypeError(`the generator's public key must be ${X25519_KEY_LENGTH} bytes`);
  }
  const peerPublicKey = Uint8Array.from(options.peerPublicKey);
  const lifecycle = new ChannelLifecycle();
  // The HPKE ephemeral key: its public half is enc, which is also S's identity in the check code.
  const ephemeralKey = takeRandom(random, X25519_KEY_LENGTH);
  const publicKey = x25519PublicKey(ephemeralKey);
  let primary: (() => EncryptionContext) | undefined;
  lifecycle.onClose(() => ephemeralKey.fill(0));

  return {
    version: VERSION,
    publicKey: Uint8Array.from(publicKey),
    async sealInitiate(aad) {
      const aadBytes = requireAad(aad, profile);
      lifecycle.enter("sealInitiate");
      return lifecycle.guard(async () => {
        // MSC4388 Establishment step 4: SetupBaseS(Gp) and Seal at seq 0 with AAD(SEQ1).
        let sender: { readonly enc: Uint8Array; readonly context: EncryptionContext };
        try {
          sender = await setupPrimaryAsSender(peerPublicKey, ephemeralKey);
        } catch (error) {
          // A low-order Gp (all-zero shared secret) from a forged QR code lands here.
          throw insecure("the QR code's public key was rejected", error);
        } finally {
          ephemeralKey.fill(0);
        }
        const ciphertext = new Uint8Array(
          await sender.context.seal(utf8(LOGIN_INITIATE_PLAINTEXT), aadBytes),
        );
        lifecycle.assertOpen();
        primary = holdUntilClosed(lifecycle, sender.context);
        return encodeBase64(concatBytes(sender.enc, ciphertext));
      });
    },
    async openOk(message, aad) {
      const aadBytes = requireAad(aad, profile);
      lifecycle.assertOpen();
      const held = primary;
      if (held === undefined) throw new TypeError("sealInitiate must complete before openOk");
      lifecycle.enter("openOk");
      return lifecycle.guard(async () => {
        // MSC4388 step 6: rebuild G's response context from the same export, Sp and the n_r G sent in front.
        const { prefix: responseNonce, ciphertext } = decodePrefixedCiphertext(
          message,
          RESPONSE_NONCE_LENGTH,
        );
        const secret = await exportResponseSecret(held(), profile);
        const response = new ResponseContext(deriveResponseKeys(secret, publicKey, responseNonce));
        secret.fill(0);
        lifecycle.onClose(() => {
          response.forget();
        });
        const plaintext = response.open(ciphertext, aadBytes);
        if (plaintext === undefined || !bytesEqual(plaintext, utf8(LOGIN_OK_PLAINTEXT))) {
          throw insecure("the LoginOk message did not decrypt to the expected text");
        }
        const checkCode = checkCodeFromBytes(
          await exportCheckBytes(held(), profile, peerPublicKey, publicKey),
        );
        lifecycle.assertOpen();
        // S -> G goes through the primary context, G -> S through the response context. (The MSC text's
        // "decrypted using Context_DeviceG_Receive" for S is a typo: PROTOCOL.md §3.2.)
        const ends: ChannelEnds = {
          seal: async (plaintext, aadBytes) => new Uint8Array(await held().seal(plaintext, aadBytes)),
          open: (ciphertext, aadBytes) => Promise.resolve(response.open(ciphertext, aadBytes)),
        };
        return scannerUnconfirmed(lifecycle, profile, checkCode, ends);
      });
    },
    abort() {
      lifecycle.close();
    },
  };
}

function scannerUnconfirmed(
  lifecycle: ChannelLifecycle,
  profile: V2025Profile,
  checkCode: string,
  ends: ChannelEnds,
): ScannerUnconfirmed {
  return {
    version: VERSION,
    checkCode,
    acknowledge() {
      lifecycle.enter("acknowledge");
      return establishedChannel(lifecycle, profile, ends);
    },
    abort() {
      lifecycle.close();
    },
  };
}

/**
 * For tests only: the steps whose intermediate values the fixed-key vectors pin down (response secret,
 * response key and nonce, check bytes). Not exported from the protocol index.
 */
export const v2025InternalsForTesting = {
  setupPrimaryAsSender,
  setupPrimaryAsRecipient,
  exportResponseSecret,
  checkCodeExporterContext,
  exportCheckBytes,
  deriveResponseKeys,
  checkCodeFromBytes,
} as const;
