// The v2025 cipher suite: MSC4388 "Secure channel" over RFC 9180 HPKE, for the typestate of typestate.ts. S
// (scanner) is the HPKE sender towards G's QR key (v2025/primary-context.ts); G (generator) answers through a
// response context (RFC 9458 style, v2025/response-context.ts) derived from the HPKE exporter. Every message
// binds the rendezvous session through its AAD (v2025/aad.ts). Profile choices (labels, AAD form) come from
// v2025-profile.ts; docs/protocol.md §3.2-3.3 records where vodozemac, the rust-sdk branch and the MSC text
// differ.
import type { EncryptionContext } from "@hpke/core";
import { encodeBase64 } from "../base64";
import { concatBytes } from "../bytes";
import { ProtocolError } from "../errors";
import { takeRandom } from "../random";
import { OUR_V2025_PROFILE, RESPONSE_NONCE_LENGTH, type V2025Profile } from "../v2025-profile";
import { madeEarlier, type CipherSuite, type SuiteContext } from "./cipher-suite";
import { requireAad } from "./v2025/aad";
import { checkCodeFromBytes } from "./v2025/check-code";
import { decodeCiphertext, decodePrefixedCiphertext } from "./v2025/framing";
import {
  X25519_KEY_LENGTH,
  exportCheckBytes,
  exportResponseSecret,
  setupPrimaryAsRecipient,
  setupPrimaryAsSender,
  x25519PublicKey,
} from "./v2025/primary-context";
import { ResponseContext, deriveResponseKeys } from "./v2025/response-context";

export { encodeRendezvousAad } from "./v2025/aad";

function insecure(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError("insecure_channel", message, cause === undefined ? undefined : { cause });
}

/** Opens a primary-context ciphertext; a wrong tag is `insecure_channel`. */
async function openPrimary(
  context: EncryptionContext,
  ciphertext: Uint8Array,
  aad: Uint8Array,
  what: string,
): Promise<Uint8Array> {
  let plaintext: ArrayBuffer;
  try {
    plaintext = await context.open(ciphertext, aad);
  } catch (cause) {
    // A failed tag means a forged, replayed, reordered or misbound message (MSC4388 "Replay protection").
    throw insecure(`${what} did not decrypt`, cause);
  }
  return new Uint8Array(plaintext);
}

/**
 * The key material one side makes during the handshake, dropped when the channel closes. The HPKE library keeps
 * the primary context's key and base nonce privately, so forgetting them means letting go of the context; the
 * response context's own keys are overwritten.
 */
class HandshakeKeys {
  #primary: EncryptionContext | undefined;
  #response: ResponseContext | undefined;

  constructor(private readonly context: SuiteContext) {}

  set primary(primary: EncryptionContext) {
    this.#primary = primary;
    this.context.onClose(() => (this.#primary = undefined));
  }

  get primary(): EncryptionContext {
    return madeEarlier(this.#primary, "HPKE context");
  }

  set response(response: ResponseContext) {
    this.#response = response;
    this.context.onClose(() => {
      response.forget();
      this.#response = undefined;
    });
  }

  get response(): ResponseContext {
    return madeEarlier(this.#response, "response context");
  }
}

/** The v2025 suite speaking `profile` (ours unless a test or a rust-sdk-branch QR asks for another). */
export function v2025Suite(profile: V2025Profile = OUR_V2025_PROFILE): CipherSuite<Uint8Array> {
  return {
    version: "v2025",
    profile,
    bindAad: (aad) => requireAad(aad, profile),

    // S: has scanned Gp from the QR code, seals LoginInitiate with a fresh HPKE sender context and verifies
    // LoginOk through the response context.
    scanner(generatorKey, context) {
      // The HPKE ephemeral key: its public half is enc, which is also S's identity in the check code.
      const ephemeralKey = takeRandom(context.random, X25519_KEY_LENGTH);
      context.onClose(() => ephemeralKey.fill(0));
      const publicKey = x25519PublicKey(ephemeralKey);
      const keys = new HandshakeKeys(context);
      return {
        publicKey,
        async sealInitiate(plaintext, aad) {
          // MSC4388 Establishment step 4: SetupBaseS(Gp) and Seal at seq 0 with AAD(SEQ1).
          let setup: { readonly enc: Uint8Array; readonly context: EncryptionContext };
          try {
            setup = await setupPrimaryAsSender(generatorKey, ephemeralKey);
          } catch (error) {
            // A low-order Gp (all-zero shared secret) from a forged QR code lands here.
            throw insecure("the QR code's public key was rejected", error);
          } finally {
            ephemeralKey.fill(0);
          }
          keys.primary = setup.context;
          const ciphertext = new Uint8Array(await setup.context.seal(plaintext, aad));
          return encodeBase64(concatBytes(setup.enc, ciphertext));
        },
        async openOk(message, aad) {
          // MSC4388 step 6: rebuild G's response context from the same export, Sp and the n_r G sent in front.
          const { prefix: responseNonce, ciphertext } = decodePrefixedCiphertext(
            message,
            RESPONSE_NONCE_LENGTH,
          );
          const secret = await exportResponseSecret(keys.primary, profile);
          keys.response = new ResponseContext(deriveResponseKeys(secret, publicKey, responseNonce));
          secret.fill(0);
          const opened = keys.response.open(ciphertext, aad);
          if (opened === undefined) throw insecure("the LoginOk message did not decrypt");
          return opened;
        },
        async checkCode() {
          return checkCodeFromBytes(await exportCheckBytes(keys.primary, profile, generatorKey, publicKey));
        },
        // S -> G goes through the primary context, G -> S through the response context. (The MSC text's
        // "decrypted using Context_DeviceG_Receive" for S is a typo: docs/protocol.md §3.2.)
        async seal(plaintext, aad) {
          return encodeBase64(new Uint8Array(await keys.primary.seal(plaintext, aad)));
        },
        open(message, aad) {
          const opened = keys.response.open(decodeCiphertext(message), aad);
          if (opened === undefined) throw insecure("a channel message did not decrypt");
          return opened;
        },
      };
    },

    // G: shows Gp in the QR code, opens S's LoginInitiate with the primary context and answers LoginOk through
    // the response context.
    generator(context) {
      const privateKey = takeRandom(context.random, X25519_KEY_LENGTH);
      context.onClose(() => privateKey.fill(0));
      // The check code is computed from our own copy, whatever a caller does to the array it is handed.
      const publicKey = x25519PublicKey(privateKey);
      const keys = new HandshakeKeys(context);
      let scannerKey: Uint8Array | undefined;
      return {
        publicKey,
        async openInitiate(message, aad) {
          try {
            // MSC4388 Establishment step 5: enc is S's ephemeral key Sp; SetupBaseR, Open at seq 0 with AAD(SEQ1).
            const { prefix: enc, ciphertext } = decodePrefixedCiphertext(message, X25519_KEY_LENGTH);
            let setup: EncryptionContext;
            try {
              setup = await setupPrimaryAsRecipient(enc, privateKey);
            } catch (error) {
              throw insecure("the LoginInitiate key was rejected", error);
            }
            keys.primary = setup;
            scannerKey = enc;
            return {
              plaintext: await openPrimary(setup, ciphertext, aad, "the LoginInitiate message"),
              peerPublicKey: enc,
            };
          } finally {
            // Gs has done its only job (SetupBaseR); keeping it would only widen what a memory leak exposes.
            privateKey.fill(0);
          }
        },
        async sealOk(plaintext, aad) {
          // MSC4388 step 5: the response context from the exported secret, Sp (= enc) and a fresh n_r.
          const responseNonce = takeRandom(context.random, RESPONSE_NONCE_LENGTH);
          const secret = await exportResponseSecret(keys.primary, profile);
          const sp = madeEarlier(scannerKey, "scanner key");
          keys.response = new ResponseContext(deriveResponseKeys(secret, sp, responseNonce));
          secret.fill(0);
          return encodeBase64(concatBytes(responseNonce, keys.response.seal(plaintext, aad)));
        },
        async checkCode() {
          const sp = madeEarlier(scannerKey, "scanner key");
          return checkCodeFromBytes(await exportCheckBytes(keys.primary, profile, publicKey, sp));
        },
        // G -> S goes through the response context, S -> G through the primary one (MSC4388 "Secure operations").
        seal: (plaintext, aad) => encodeBase64(keys.response.seal(plaintext, aad)),
        open: (message, aad) =>
          openPrimary(keys.primary, decodeCiphertext(message), aad, "a channel message"),
      };
    },
  };
}
