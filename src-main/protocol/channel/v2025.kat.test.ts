// The v2025 fixed-key vectors (test/fixtures/msc4108-kat.json): RFC 9180 HPKE checked against @hpke/core, the
// vodozemac-specific parts (response context, labels, check code) from vodozemac's hpke source. @hpke/core is
// what the channel itself uses, so these vectors, not the library, are the independent check. Every wire value
// is reproduced through the public API with Gs, Ss (= HPKE ephemeral, enc = Sp) and n_r injected as randomness;
// intermediate values go through the module's test-only internals or, for the primary context's own key and
// nonce, through @noble's ChaCha20-Poly1305 and HKDF directly.
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { expand } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import kat from "../../../test/fixtures/msc4108-kat.json";
import { decodeBase64 } from "../base64";
import { concatBytes, fromHex, toHex, utf8 } from "../bytes";
import type { RandomSource } from "../random";
import {
  MSC_TEXT_PROFILE,
  OUR_V2025_PROFILE,
  RUST_SDK_BRANCH_PROFILE,
  type V2025Profile,
} from "../v2025-profile";
import { LOGIN_INITIATE_PLAINTEXT, LOGIN_OK_PLAINTEXT } from "./handshake";
import type { RendezvousAad } from "./types";
import { createGeneratorChannel } from "./create";
import { scannerChannelForKey, v2025Internals as internals } from "./internals.testing";
import { encodeRendezvousAad } from "./v2025";

const hpke = kat.v2025_hpke;
const latest = kat.v2025_msc_latest;
/** The base URL as the MSC4388 example QR code carries it: no trailing slash. */
const QR_BASE_URL = "https://matrix-client.matrix.org";

function aadFor(sequenceToken: string): RendezvousAad {
  return { baseUrl: QR_BASE_URL, rendezvousId: hpke.rendezvous_id, sequenceToken };
}

/** Hands out exactly the given byte strings, in order, and fails the test on any other request. */
function scriptedRandom(...hexes: string[]): RandomSource {
  const queue = hexes.map(fromHex);
  return (length) => {
    const next = queue.shift();
    if (next?.length !== length) throw new Error(`unexpected random(${length}) call`);
    return next;
  };
}

function fixedChannels(profile: V2025Profile) {
  const generator = createGeneratorChannel("v2025", {
    random: scriptedRandom(kat.Gs_hex, hpke.response_nonce_hex),
    profile,
  });
  const scanner = scannerChannelForKey("v2025", {
    peerPublicKey: fromHex(kat.Gp_hex),
    random: scriptedRandom(kat.Ss_hex),
    profile,
  });
  return { generator, scanner };
}

/** RFC 9180 §5.2 nonce: base nonce XOR the sequence number, big-endian in the last two bytes (seq < 65536). */
function nonceAt(baseNonceHex: string, seq: number): Uint8Array {
  const nonce = fromHex(baseNonceHex);
  nonce[nonce.length - 2] = (nonce[nonce.length - 2] ?? 0) ^ (seq >> 8);
  nonce[nonce.length - 1] = (nonce[nonce.length - 1] ?? 0) ^ (seq & 0xff);
  return nonce;
}

describe("v2025 channel reproduces v2025_hpke (rust-sdk branch profile: u16 base-URL length, URL serialised)", () => {
  const profile = RUST_SDK_BRANCH_PROFILE;

  it("serialises the QR's bare origin with a trailing slash and encodes aad_SEQ1 and aad_SEQ2", () => {
    expect(new URL(QR_BASE_URL).href).toBe(hpke.base_url_in_aad);
    expect(toHex(encodeRendezvousAad(aadFor("SEQ1"), profile))).toBe(hpke.aad_SEQ1_hex);
    expect(toHex(encodeRendezvousAad(aadFor("SEQ2"), profile))).toBe(hpke.aad_SEQ2_hex);
  });

  it("derives Gp from Gs and Sp (= enc) from the injected ephemeral key", () => {
    const { generator, scanner } = fixedChannels(profile);
    expect(toHex(generator.publicKey)).toBe(kat.Gp_hex);
    expect(toHex(scanner.publicKey)).toBe(kat.Sp_hex);
  });

  it("scanner seals the LoginInitiateMessage byte for byte", async () => {
    const { scanner } = fixedChannels(profile);
    expect(await scanner.sealInitiate(aadFor("SEQ1"))).toBe(hpke.LoginInitiateMessage);
  });

  it("generator opens the vector initiate, learns Sp, and seals the LoginOkMessage byte for byte", async () => {
    const { generator } = fixedChannels(profile);
    const pending = await generator.openInitiate(hpke.LoginInitiateMessage, aadFor("SEQ1"));
    expect(toHex(pending.peerPublicKey)).toBe(kat.Sp_hex);
    const { okMessage, unconfirmed } = await pending.sealOk(aadFor("SEQ2"));
    expect(okMessage).toBe(hpke.LoginOkMessage);
    expect(unconfirmed.confirm(hpke.CheckCode_vodozemac).ok).toBe(true);
  });

  it("scanner opens the vector LoginOk and shows check code 10", async () => {
    const { scanner } = fixedChannels(profile);
    await scanner.sealInitiate(aadFor("SEQ1"));
    const unconfirmed = await scanner.openOk(hpke.LoginOkMessage, aadFor("SEQ2"));
    expect(unconfirmed.checkCode).toBe(hpke.CheckCode_vodozemac);
  });

  it("third_message_S_seq1_aad_SEQ3 is a login JSON message that the scanner seals byte for byte", async () => {
    const { generator, scanner } = fixedChannels(profile);
    const pending = await generator.openInitiate(await scanner.sealInitiate(aadFor("SEQ1")), aadFor("SEQ1"));
    const { okMessage, unconfirmed } = await pending.sealOk(aadFor("SEQ2"));
    const scannerUnconfirmed = await scanner.openOk(okMessage, aadFor("SEQ2"));
    const confirmation = unconfirmed.confirm(scannerUnconfirmed.checkCode);
    if (!confirmation.ok) throw new Error("the fixed keys' check codes differ");

    const plaintext = await confirmation.channel.open(hpke.third_message_S_seq1_aad_SEQ3, aadFor("SEQ3"));
    // The vector carries MSC4108's m.login.protocols, sent by S here as the existing device.
    expect(JSON.parse(plaintext)).toMatchObject({
      type: "m.login.protocols",
      protocols: ["device_authorization_grant"],
    });

    const scannerChannel = scannerUnconfirmed.acknowledge();
    expect(await scannerChannel.seal(plaintext, aadFor("SEQ3"))).toBe(hpke.third_message_S_seq1_aad_SEQ3);
  });
});

describe("v2025_hpke intermediate values (test-only internals; primary AEAD checked with @noble directly)", () => {
  const Gp = fromHex(kat.Gp_hex);
  const Sp = fromHex(kat.Sp_hex);
  const recipientContext = () => internals.setupPrimaryAsRecipient(Sp, fromHex(kat.Gs_hex));

  it("the primary context's key and base nonce open LoginInitiate (seq 0) and the third message (seq 1)", () => {
    const key = fromHex(hpke.key_hex);
    const ct0 = decodeBase64(hpke.LoginInitiateMessage).slice(32);
    const aad1 = fromHex(hpke.aad_SEQ1_hex);
    expect(chacha20poly1305(key, nonceAt(hpke.base_nonce_hex, 0), aad1).decrypt(ct0)).toEqual(
      utf8(LOGIN_INITIATE_PLAINTEXT),
    );
    const ct2 = decodeBase64(hpke.third_message_S_seq1_aad_SEQ3);
    const aad3 = encodeRendezvousAad(aadFor("SEQ3"), RUST_SDK_BRANCH_PROFILE);
    const third = chacha20poly1305(key, nonceAt(hpke.base_nonce_hex, 1), aad3).decrypt(ct2);
    expect(JSON.parse(new TextDecoder().decode(third))).toBeTypeOf("object");
  });

  it("exporter_secret_hex gives the response secret by RFC 9180 §5.3 LabeledExpand", () => {
    // suite_id = "HPKE" || kem 0x0020 || kdf 0x0001 || aead 0x0003; labeled info = I2OSP(L, 2) || "HPKE-v1" ||
    // suite_id || "sec" || exporter_context.
    const suiteId = concatBytes(utf8("HPKE"), Uint8Array.of(0x00, 0x20, 0x00, 0x01, 0x00, 0x03));
    const labeledInfo = concatBytes(
      Uint8Array.of(0, 32),
      utf8("HPKE-v1"),
      suiteId,
      utf8("sec"),
      utf8(hpke.response_export_label),
    );
    expect(toHex(expand(sha256, fromHex(hpke.exporter_secret_hex), labeledInfo, 32))).toBe(
      hpke.response_secret_hex,
    );
  });

  it("exports response_secret with the vodozemac label, and the MSC-literal label's secret differs", async () => {
    const context = await recipientContext();
    expect(OUR_V2025_PROFILE.responseExportLabel).toBe(hpke.response_export_label);
    expect(toHex(await internals.exportResponseSecret(context, OUR_V2025_PROFILE))).toBe(
      hpke.response_secret_hex,
    );
    expect(toHex(await internals.exportResponseSecret(context, MSC_TEXT_PROFILE))).toBe(
      hpke.response_secret_if_msc_literal_label_hex,
    );
  });

  it("the sender side exports the same response secret", async () => {
    const { context } = await internals.setupPrimaryAsSender(Gp, fromHex(kat.Ss_hex));
    expect(toHex(await internals.exportResponseSecret(context, OUR_V2025_PROFILE))).toBe(
      hpke.response_secret_hex,
    );
  });

  it("derives response_key and response_base_nonce from the secret, enc and n_r", () => {
    const keys = internals.deriveResponseKeys(
      fromHex(hpke.response_secret_hex),
      Sp,
      fromHex(hpke.response_nonce_hex),
    );
    expect(toHex(keys.key)).toBe(hpke.response_key_hex);
    expect(toHex(keys.baseNonce)).toBe(hpke.response_base_nonce_hex);
  });

  it("G's JSON messages use the response context at seq 1, 2, ... with a big-endian nonce (checked with @noble)", async () => {
    const { generator, scanner } = fixedChannels(RUST_SDK_BRANCH_PROFILE);
    const pending = await generator.openInitiate(await scanner.sealInitiate(aadFor("SEQ1")), aadFor("SEQ1"));
    const { unconfirmed } = await pending.sealOk(aadFor("SEQ2"));
    const confirmation = unconfirmed.confirm(hpke.CheckCode_vodozemac);
    if (!confirmation.ok) throw new Error("the vector check code was refused");
    const key = fromHex(hpke.response_key_hex);
    // Seq 256 is the first that touches the second-to-last nonce byte, where endianness shows.
    for (let seq = 1; seq <= 256; seq++) {
      const aad = aadFor(`T${seq}`);
      const sealed = decodeBase64(await confirmation.channel.seal(`{"seq":${seq}}`, aad));
      if (seq === 1 || seq === 256) {
        const cipher = chacha20poly1305(
          key,
          nonceAt(hpke.response_base_nonce_hex, seq),
          encodeRendezvousAad(aad, RUST_SDK_BRANCH_PROFILE),
        );
        expect(new TextDecoder().decode(cipher.decrypt(sealed))).toBe(`{"seq":${seq}}`);
      }
    }
  });

  it("the response key and base nonce open LoginOk at seq 0 (checked with @noble directly)", () => {
    const bytes = decodeBase64(hpke.LoginOkMessage);
    expect(toHex(bytes.slice(0, 32))).toBe(hpke.response_nonce_hex);
    const cipher = chacha20poly1305(
      fromHex(hpke.response_key_hex),
      nonceAt(hpke.response_base_nonce_hex, 0),
      fromHex(hpke.aad_SEQ2_hex),
    );
    expect(cipher.decrypt(bytes.slice(32))).toEqual(utf8(LOGIN_OK_PLAINTEXT));
  });

  it("builds the vodozemac check-code context and exports CheckBytes_vodozemac (code 10)", async () => {
    const exporterContext = internals.checkCodeExporterContext(OUR_V2025_PROFILE, Gp, Sp);
    expect(new TextDecoder().decode(exporterContext)).toBe(hpke.check_export_context_vodozemac);
    const bytes = await internals.exportCheckBytes(await recipientContext(), OUR_V2025_PROFILE, Gp, Sp);
    expect(toHex(bytes)).toBe(hpke.CheckBytes_vodozemac_hex);
    expect(internals.checkCodeFromBytes(bytes)).toBe(hpke.CheckCode_vodozemac);
  });

  it("exports CheckBytes_if_msc_literal (code 68) with the MSC text's raw-key context", async () => {
    const bytes = await internals.exportCheckBytes(await recipientContext(), MSC_TEXT_PROFILE, Gp, Sp);
    expect(toHex(bytes)).toBe(hpke.CheckBytes_if_msc_literal_hex);
    expect(internals.checkCodeFromBytes(bytes)).toBe(hpke.CheckCode_if_msc_literal);
  });
});

describe("v2025 channel reproduces v2025_msc_latest (our profile: u8 lengths, base URL as in the QR)", () => {
  const profile = OUR_V2025_PROFILE;
  const aad = (sequenceToken: string): RendezvousAad => ({
    baseUrl: latest.base_url_in_aad,
    rendezvousId: latest.rendezvous_id,
    sequenceToken,
  });

  it("encodes aad_SEQ1 with the QR's bytes, no trailing slash", () => {
    expect(latest.base_url_in_aad).toBe(QR_BASE_URL);
    expect(toHex(encodeRendezvousAad(aad("SEQ1"), profile))).toBe(latest.aad_SEQ1_hex);
    expect(toHex(encodeRendezvousAad(aad("SEQ1")))).toBe(latest.aad_SEQ1_hex);
  });

  it("scanner seals the LoginInitiateMessage byte for byte", async () => {
    const { scanner } = fixedChannels(profile);
    expect(await scanner.sealInitiate(aad("SEQ1"))).toBe(latest.LoginInitiateMessage);
  });

  it("generator seals LoginOkMessage_with_aad_SEQ2 and the scanner shows the same check code 10", async () => {
    const { generator, scanner } = fixedChannels(profile);
    const pending = await generator.openInitiate(latest.LoginInitiateMessage, aad("SEQ1"));
    const { okMessage, unconfirmed } = await pending.sealOk(aad("SEQ2"));
    expect(okMessage).toBe(latest.LoginOkMessage_with_aad_SEQ2);
    await scanner.sealInitiate(aad("SEQ1"));
    const scannerUnconfirmed = await scanner.openOk(latest.LoginOkMessage_with_aad_SEQ2, aad("SEQ2"));
    expect(scannerUnconfirmed.checkCode).toBe(hpke.CheckCode_vodozemac);
    expect(unconfirmed.confirm(hpke.CheckCode_vodozemac).ok).toBe(true);
  });
});

describe("v2025 channel with the MSC text read literally (MSC_TEXT_PROFILE)", () => {
  it("shows CheckCode_if_msc_literal 68 on the scanner and accepts it on the generator", async () => {
    const { generator, scanner } = fixedChannels(MSC_TEXT_PROFILE);
    const aad = (sequenceToken: string): RendezvousAad => ({
      baseUrl: QR_BASE_URL,
      rendezvousId: hpke.rendezvous_id,
      sequenceToken,
    });
    const pending = await generator.openInitiate(await scanner.sealInitiate(aad("SEQ1")), aad("SEQ1"));
    const { okMessage, unconfirmed } = await pending.sealOk(aad("SEQ2"));
    // The response label differs from vodozemac's, so this LoginOk is not the vector's.
    expect(okMessage).not.toBe(latest.LoginOkMessage_with_aad_SEQ2);
    const scannerUnconfirmed = await scanner.openOk(okMessage, aad("SEQ2"));
    expect(scannerUnconfirmed.checkCode).toBe(hpke.CheckCode_if_msc_literal);
    expect(unconfirmed.confirm(hpke.CheckCode_if_msc_literal).ok).toBe(true);
  });
});
