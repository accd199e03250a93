// The primary HPKE context of the v2025 channel (MSC4388 Establishment steps 4-5; docs/protocol.md §3.2): RFC 9180
// base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and ChaCha20-Poly1305, set up by S as sender towards
// G's QR key and by G as recipient. It carries S -> G, and its exporter yields the response secret and the
// check code. The key schedule is @hpke/core's, never our own: the KEM input is the DHKEM shared secret, not
// the raw X25519 output of the MSC's "ECDH(Ss, Gp)" shorthand.
import { CipherSuite, HkdfSha256, type EncryptionContext } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { x25519 } from "@noble/curves/ed25519.js";
import { encodeBase64 } from "../../base64";
import { concatBytes, utf8 } from "../../bytes";
import type { V2025Profile } from "../../v2025-profile";
import { CHECK_CODE_LABEL, QR_LOGIN_INFO } from "../handshake";

/** X25519 key and DHKEM `enc` size (RFC 9180 §7.1: Npk = Nenc = Nsk = 32). */
export const X25519_KEY_LENGTH = 32;
/** Length of the exported response secret: the response AEAD's key size (MSC4388 step 5, RFC 9458 §4.4). */
export const RESPONSE_SECRET_LENGTH = 32;
/** MSC4388 step 6: two exported bytes, one per digit. */
export const CHECK_BYTES_LENGTH = 2;

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Chacha20Poly1305(),
});
const info = utf8(QR_LOGIN_INFO);

/** The X25519 public key of a raw 32-byte private key (X25519 clamps the scalar itself). */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(privateKey);
}

/**
 * SetupBaseS(pkR = Gp, info) with the ephemeral key pair made from S's own random bytes, so that the fixed-key
 * vectors can be reproduced. The library calls this input `ekm` and marks it for testing; we pass it a key pair
 * (not raw bytes, which it would run through DeriveKeyPair) built from the injected RandomSource, which is the
 * platform CSPRNG in production, so the key is exactly as fresh as one the library would generate.
 */
export async function setupPrimaryAsSender(
  peerPublicKey: Uint8Array,
  ephemeralPrivateKey: Uint8Array,
): Promise<{ readonly enc: Uint8Array; readonly context: EncryptionContext }> {
  const ephemeral = {
    privateKey: await suite.kem.deserializePrivateKey(ephemeralPrivateKey),
    publicKey: await suite.kem.deserializePublicKey(x25519PublicKey(ephemeralPrivateKey)),
  };
  const context = await suite.createSenderContext({
    recipientPublicKey: await suite.kem.deserializePublicKey(peerPublicKey),
    info,
    ekm: ephemeral,
  });
  return { enc: new Uint8Array(context.enc), context };
}

/** SetupBaseR(enc, skR = Gs, info). */
export async function setupPrimaryAsRecipient(
  enc: Uint8Array,
  privateKey: Uint8Array,
): Promise<EncryptionContext> {
  return suite.createRecipientContext({
    recipientKey: await suite.kem.deserializePrivateKey(privateKey),
    enc,
    info,
  });
}

/**
 * The secret the response context is derived from (MSC4388 steps 5-6). Our profile exports it under vodozemac's
 * "MATRIX_QR_CODE_LOGIN_RESPONSE"; the MSC text says "MATRIX_QR_CODE_LOGIN response", which gives another key.
 */
export async function exportResponseSecret(
  context: EncryptionContext,
  profile: V2025Profile,
): Promise<Uint8Array> {
  return new Uint8Array(await context.export(utf8(profile.responseExportLabel), RESPONSE_SECRET_LENGTH));
}

/**
 * The check-code exporter context. vodozemac (our profile) uses ASCII "…CHECKCODE|b64(Gp)|b64(Sp)"; the MSC4388
 * text concatenates the label and the raw keys.
 */
export function checkCodeExporterContext(
  profile: V2025Profile,
  generatorKey: Uint8Array,
  scannerKey: Uint8Array,
): Uint8Array {
  switch (profile.checkCodeContext) {
    case "ascii_b64":
      return utf8(`${CHECK_CODE_LABEL}|${encodeBase64(generatorKey)}|${encodeBase64(scannerKey)}`);
    case "raw_keys":
      return concatBytes(utf8(CHECK_CODE_LABEL), generatorKey, scannerKey);
  }
}

/** MSC4388 steps 6-7: Export(context, 2) on the primary context, the same on both sides. */
export async function exportCheckBytes(
  context: EncryptionContext,
  profile: V2025Profile,
  generatorKey: Uint8Array,
  scannerKey: Uint8Array,
): Promise<Uint8Array> {
  const exporterContext = checkCodeExporterContext(profile, generatorKey, scannerKey);
  return new Uint8Array(await context.export(exporterContext, CHECK_BYTES_LENGTH));
}
