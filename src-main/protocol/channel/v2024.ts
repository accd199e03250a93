// The v2024 cipher suite: vodozemac's `ecies` as Element X and Element Web ship it (docs/protocol.md §3.1),
// byte for byte, for the typestate of typestate.ts. X25519 and HKDF-SHA-512 (v2024/key-schedule.ts), then
// ChaCha20-Poly1305 with a counter nonce per direction (v2024/aead.ts). The channel has no AAD.
import { decodeBase64, encodeBase64 } from "../base64";
import { ProtocolError } from "../errors";
import { takeRandom } from "../random";
import type { RendezvousAad } from "../types";
import { madeEarlier, type CipherSuite, type MessageCipher, type SuiteContext } from "./cipher-suite";
import { DirectionalCipher } from "./v2024/aead";
import { checkCodeDigits } from "./v2024/check-code";
import { KEY_LENGTH, deriveKeys, publicKeyOf, sharedSecret, type V2024Keys } from "./v2024/key-schedule";

const TAG_LENGTH = 16;

/** One side's keys, both directions, once derived; its steps are synchronous. */
interface KeyedCipher extends MessageCipher<undefined> {
  checkCode(): string;
  seal(plaintext: Uint8Array): string;
  open(message: string): Uint8Array;
}

/**
 * Derives one side's keys from its private key and the peer's public key; `generatorKey` always comes first in
 * the key schedule. S sends under EncKey_S and receives under EncKey_G, G the mirror image (docs/protocol.md
 * §3.1). Closing the channel zeroes the keys and the check bytes.
 */
function keyedCipher(
  role: "generator" | "scanner",
  privateKey: Uint8Array,
  keys: { readonly generatorKey: Uint8Array; readonly scannerKey: Uint8Array },
  context: SuiteContext,
): KeyedCipher {
  const secret = sharedSecret(privateKey, role === "scanner" ? keys.generatorKey : keys.scannerKey);
  let derived: V2024Keys;
  try {
    derived = deriveKeys(secret, keys.generatorKey, keys.scannerKey);
  } finally {
    secret.fill(0);
  }
  const { encKeyS, encKeyG, checkBytes } = derived;
  const [sendKey, receiveKey] = role === "scanner" ? [encKeyS, encKeyG] : [encKeyG, encKeyS];
  let ends: { send: DirectionalCipher; receive: DirectionalCipher } | undefined = {
    send: new DirectionalCipher(sendKey),
    receive: new DirectionalCipher(receiveKey),
  };
  context.onClose(() => {
    ends?.send.forget();
    ends?.receive.forget();
    ends = undefined;
    checkBytes.fill(0);
  });
  const live = () => madeEarlier(ends, "v2024 keys");
  return {
    checkCode: () => checkCodeDigits(checkBytes),
    seal: (plaintext) => encodeBase64(live().send.seal(plaintext)),
    open(message) {
      const ciphertext = decodeBase64(message, "invalid_channel_message");
      if (ciphertext.length < TAG_LENGTH) {
        throw new ProtocolError(
          "invalid_channel_message",
          "the message is shorter than an authentication tag",
        );
      }
      try {
        // A failed tag still uses up its nonce, as in vodozemac; the typestate closes the channel anyway.
        return live().receive.open(ciphertext);
      } catch (cause) {
        throw new ProtocolError("insecure_channel", "a message from the peer did not decrypt", { cause });
      }
    },
  };
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

export const V2024_SUITE: CipherSuite<undefined> = {
  version: "v2024",

  bindAad(aad: RendezvousAad | undefined): undefined {
    if (aad !== undefined) throw new TypeError("the v2024 channel has no AAD; pass undefined");
    return undefined;
  },

  // S learns Gp from the QR code, so it derives the keys at once: a low-order Gp (one that makes the shared
  // secret a constant) is `insecure_channel` before anything is sent.
  scanner(generatorKey, context) {
    const privateKey = takeRandom(context.random, KEY_LENGTH);
    const scannerKey = publicKeyOf(privateKey);
    let keyed: KeyedCipher;
    try {
      keyed = keyedCipher("scanner", privateKey, { generatorKey, scannerKey }, context);
    } finally {
      privateKey.fill(0);
    }
    return {
      ...keyed,
      publicKey: scannerKey,
      // LoginInitiateMessage: the ciphertext (nonce 0) first, then Sp (docs/protocol.md §3.1).
      sealInitiate: (plaintext) => `${keyed.seal(plaintext)}|${encodeBase64(scannerKey)}`,
      // LoginOkMessage under EncKey_G with nonce 0 (vodozemac; the MSC text's nonce 1 is wrong).
      openOk: (message) => keyed.open(message),
    };
  },

  generator(context) {
    const privateKey = takeRandom(context.random, KEY_LENGTH);
    context.onClose(() => privateKey.fill(0));
    const generatorKey = publicKeyOf(privateKey);
    let keyed: KeyedCipher | undefined;
    const live = () => madeEarlier(keyed, "v2024 keys");
    return {
      publicKey: generatorKey,
      openInitiate(message) {
        const { ciphertext, scannerKey } = parseInitiate(message);
        keyed = keyedCipher("generator", privateKey, { generatorKey, scannerKey }, context);
        // G needs its private key for nothing else.
        privateKey.fill(0);
        return { plaintext: keyed.open(ciphertext), peerPublicKey: scannerKey };
      },
      sealOk: (plaintext) => live().seal(plaintext),
      checkCode: () => live().checkCode(),
      seal: (plaintext) => live().seal(plaintext),
      open: (message) => live().open(message),
    };
  },
};
