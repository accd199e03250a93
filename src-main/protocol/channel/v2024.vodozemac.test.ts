// The v2024 channel against the real vodozemac (matrix-sdk-crypto-wasm, what Element X and Element Web run),
// with random keys, in both roles: the handshake as deployed, the check code, JSON messages both ways, and a
// tampered message ending the channel.
import {
  Curve25519PublicKey,
  Ecies,
  initAsync,
  type EstablishedEcies,
} from "@matrix-org/matrix-sdk-crypto-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "../base64";
import type { EstablishedChannel } from "./types";
import { createGeneratorChannel } from "./create";
import { scannerChannelForKey } from "./internals.testing";

const INITIATE = "MATRIX_QR_CODE_LOGIN_INITIATE";
const OK = "MATRIX_QR_CODE_LOGIN_OK";

beforeAll(async () => {
  await initAsync();
});

/** vodozemac's check code as both SDKs display it: two digits, leading zero kept. */
function vodozemacCheckCode(channel: EstablishedEcies): string {
  return String(channel.check_code().to_digit()).padStart(2, "0");
}

/** Flips one bit in the middle of the ciphertext of a wire message. */
function tamper(message: string): string {
  const bytes = decodeBase64(message);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0x04;
  return encodeBase64(bytes);
}

/** Our scanner against vodozemac's generator, up to the point both sides carry JSON. */
async function ourScannerWithVodozemacGenerator() {
  const theirs = new Ecies();
  const scanner = scannerChannelForKey("v2024", {
    peerPublicKey: decodeBase64(theirs.public_key().toBase64()),
  });
  const inbound = theirs.establish_inbound_channel(await scanner.sealInitiate());
  const initiatePlaintext = inbound.message;
  const peer = inbound.channel;
  const unconfirmed = await scanner.openOk(peer.encrypt(OK));
  return { initiatePlaintext, peer, unconfirmed };
}

/** Our generator against vodozemac's scanner, up to the point the user types the code on our side. */
async function ourGeneratorWithVodozemacScanner() {
  const generator = createGeneratorChannel("v2024");
  const outbound = new Ecies().establish_outbound_channel(
    new Curve25519PublicKey(encodeBase64(generator.publicKey)),
    INITIATE,
  );
  const peer = outbound.channel;
  const pending = await generator.openInitiate(outbound.initial_message);
  const { okMessage, unconfirmed } = await pending.sealOk();
  return { peer, pending, okMessage, unconfirmed };
}

/** Three JSON messages each way, alternating as the login flow does. */
async function exchangeJson(ours: EstablishedChannel, peer: EstablishedEcies): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const fromUs = JSON.stringify({ type: "m.login.test", n: i, text: "grüße 🔐" });
    expect(peer.decrypt(await ours.seal(fromUs))).toBe(fromUs);
    const fromPeer = JSON.stringify({ type: "m.login.reply", n: i, padding: "x".repeat(100 * i) });
    expect(await ours.open(peer.encrypt(fromPeer))).toBe(fromPeer);
  }
}

async function expectTamperedMessageEndsOurChannel(ours: EstablishedChannel, peer: EstablishedEcies) {
  await expect(ours.open(tamper(peer.encrypt('{"type":"m.login.tampered"}')))).rejects.toMatchObject({
    code: "insecure_channel",
  });
  expect(ours.closed).toBe(true);
  await expect(ours.open(peer.encrypt('{"type":"m.login.valid"}'))).rejects.toMatchObject({
    code: "channel_closed",
  });
  await expect(ours.seal('{"type":"m.login.after"}')).rejects.toMatchObject({ code: "channel_closed" });
}

describe("v2024 channel: our scanner, vodozemac's generator", () => {
  it("handshakes as deployed, shows vodozemac's check code, carries JSON both ways", async () => {
    const { initiatePlaintext, peer, unconfirmed } = await ourScannerWithVodozemacGenerator();
    expect(initiatePlaintext).toBe(INITIATE);
    expect(unconfirmed.checkCode).toBe(vodozemacCheckCode(peer));
    await exchangeJson(unconfirmed.acknowledge(), peer);
  });

  it("vodozemac refuses a message of ours with one bit flipped", async () => {
    const { peer, unconfirmed } = await ourScannerWithVodozemacGenerator();
    const ours = unconfirmed.acknowledge();
    const sealed = await ours.seal('{"type":"m.login.protocol_accepted"}');
    expect(() => peer.decrypt(tamper(sealed))).toThrow();
  });

  it("a tampered message from vodozemac ends our channel; a valid one after it is refused", async () => {
    const { peer, unconfirmed } = await ourScannerWithVodozemacGenerator();
    const ours = unconfirmed.acknowledge();
    await exchangeJson(ours, peer);
    await expectTamperedMessageEndsOurChannel(ours, peer);
  });
});

describe("v2024 channel: our generator, vodozemac's scanner", () => {
  it("handshakes as deployed, accepts vodozemac's check code, carries JSON both ways", async () => {
    const { peer, pending, okMessage, unconfirmed } = await ourGeneratorWithVodozemacScanner();
    expect(encodeBase64(pending.peerPublicKey)).toBe(peer.public_key().toBase64());
    expect(peer.decrypt(okMessage)).toBe(OK);
    const result = unconfirmed.confirm(vodozemacCheckCode(peer));
    if (!result.ok) throw new Error("vodozemac's check code did not match ours");
    await exchangeJson(result.channel, peer);
  });

  it("a tampered message from vodozemac ends our channel; a valid one after it is refused", async () => {
    const { peer, okMessage, unconfirmed } = await ourGeneratorWithVodozemacScanner();
    peer.decrypt(okMessage);
    const result = unconfirmed.confirm(vodozemacCheckCode(peer));
    if (!result.ok) throw new Error("vodozemac's check code did not match ours");
    await exchangeJson(result.channel, peer);
    await expectTamperedMessageEndsOurChannel(result.channel, peer);
  });
});

describe("v2024 check code agrees with vodozemac's over many random handshakes", () => {
  it("shows the same two digits on our scanner, leading zeros included", async () => {
    for (let i = 0; i < 40; i++) {
      const { peer, unconfirmed } = await ourScannerWithVodozemacGenerator();
      expect(unconfirmed.checkCode).toBe(vodozemacCheckCode(peer));
      expect(unconfirmed.checkCode).toMatch(/^[0-9]{2}$/);
    }
  });

  it("accepts vodozemac's code on our generator at the first try", async () => {
    for (let i = 0; i < 40; i++) {
      const { peer, unconfirmed } = await ourGeneratorWithVodozemacScanner();
      expect(unconfirmed.confirm(vodozemacCheckCode(peer)).ok).toBe(true);
    }
  });
});
