// Scenarios of the v2025 channel with both ends ours and fresh random keys (our profile): the handshake, the
// check code, JSON messages both ways with the rendezvous sequence token advancing in the AAD, and every way a
// peer or an attacker on the rendezvous can make it fail.
import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "../base64";
import { ProtocolError, type ProtocolErrorCode } from "../errors";
import { secureRandom, type RandomSource } from "../random";
import { RUST_SDK_BRANCH_PROFILE } from "../v2025-profile";
import {
  CHECK_CODE_ATTEMPTS,
  type EstablishedChannel,
  type GeneratorUnconfirmed,
  type RendezvousAad,
  type ScannerUnconfirmed,
} from "./types";
import { createGeneratorChannel } from "./create";
import { scannerChannelForKey } from "./internals.testing";
import { encodeRendezvousAad } from "./v2025";

const BASE_URL = "https://matrix.example.org";
const RENDEZVOUS_ID = "01HX9K00Q1H6KPD47EG4G1T3XG";

/** The AAD each message is bound to: the rendezvous token of the PUT that carries it (docs/protocol.md §3.2). */
function aadFor(sequenceToken: string, overrides: Partial<RendezvousAad> = {}): RendezvousAad {
  return { baseUrl: BASE_URL, rendezvousId: RENDEZVOUS_ID, sequenceToken, ...overrides };
}

async function expectProtocolError(promise: Promise<unknown>, code: ProtocolErrorCode): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  expect((error as ProtocolError).code).toBe(code);
}

function expectProtocolErrorSync(action: () => unknown, code: ProtocolErrorCode): void {
  let error: unknown;
  try {
    action();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ProtocolError);
  expect((error as ProtocolError).code).toBe(code);
}

/** Flips one bit in the middle of a base64 channel message. */
function tamper(message: string): string {
  const bytes = decodeBase64(message);
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = (bytes[middle] ?? 0) ^ 0x01;
  return encodeBase64(bytes);
}

/** Runs the handshake with strict ping-pong tokens SEQ1 (initiate) and SEQ2 (LoginOk). */
async function handshake() {
  const generator = createGeneratorChannel("v2025");
  const scanner = scannerChannelForKey("v2025", { peerPublicKey: generator.publicKey });
  const initiate = await scanner.sealInitiate(aadFor("SEQ1"));
  const pending = await generator.openInitiate(initiate, aadFor("SEQ1"));
  const { okMessage, unconfirmed: generatorUnconfirmed } = await pending.sealOk(aadFor("SEQ2"));
  const scannerUnconfirmed = await scanner.openOk(okMessage, aadFor("SEQ2"));
  return { generator, scanner, pending, generatorUnconfirmed, scannerUnconfirmed };
}

function confirmed(generatorUnconfirmed: GeneratorUnconfirmed, scannerUnconfirmed: ScannerUnconfirmed) {
  const result = generatorUnconfirmed.confirm(scannerUnconfirmed.checkCode);
  if (!result.ok) throw new Error("the two sides' check codes differ");
  return { generatorChannel: result.channel, scannerChannel: scannerUnconfirmed.acknowledge() };
}

async function establishedPair(): Promise<{
  generatorChannel: EstablishedChannel;
  scannerChannel: EstablishedChannel;
}> {
  const { generatorUnconfirmed, scannerUnconfirmed } = await handshake();
  return confirmed(generatorUnconfirmed, scannerUnconfirmed);
}

/** A check code other than `code`, still two ASCII digits in range. */
function otherCode(code: string): string {
  return code === "42" ? "43" : "42";
}

describe("v2025 channel, both sides ours, random keys (our profile)", () => {
  it("handshake: S learns G's key from the QR, G learns Sp from LoginInitiate, both derive the same check code", async () => {
    const { generator, scanner, pending, generatorUnconfirmed, scannerUnconfirmed } = await handshake();
    expect(generator.version).toBe("v2025");
    expect(pending.peerPublicKey).toEqual(scanner.publicKey);
    expect(scannerUnconfirmed.checkCode).toMatch(/^[1-9][0-9]$/);
    expect(generatorUnconfirmed.attemptsLeft).toBe(CHECK_CODE_ATTEMPTS);
    expect(generatorUnconfirmed.confirm(scannerUnconfirmed.checkCode).ok).toBe(true);
  });

  it("two handshakes use fresh keys and fresh response nonces", async () => {
    const first = createGeneratorChannel("v2025");
    const second = createGeneratorChannel("v2025");
    expect(first.publicKey).not.toEqual(second.publicKey);
    const one = await handshake();
    const two = await handshake();
    expect(one.scanner.publicKey).not.toEqual(two.scanner.publicKey);
  });

  it("three JSON messages each way, strictly alternating, each bound to the next sequence token", async () => {
    const { generatorChannel, scannerChannel } = await establishedPair();
    let token = 2;
    for (let round = 1; round <= 3; round++) {
      const fromScanner = JSON.stringify({ type: "m.login.protocols", round });
      const sealedByScanner = await scannerChannel.seal(fromScanner, aadFor(`SEQ${++token}`));
      expect(await generatorChannel.open(sealedByScanner, aadFor(`SEQ${token}`))).toBe(fromScanner);

      const fromGenerator = JSON.stringify({ type: "m.login.protocol", round, emoji: "🔐" });
      const sealedByGenerator = await generatorChannel.seal(fromGenerator, aadFor(`SEQ${++token}`));
      expect(await scannerChannel.open(sealedByGenerator, aadFor(`SEQ${token}`))).toBe(fromGenerator);
    }
    expect(generatorChannel.closed).toBe(false);
    expect(scannerChannel.closed).toBe(false);
  });

  it("the same plaintext sealed twice gives different ciphertexts (the sequence number moves)", async () => {
    const { scannerChannel } = await establishedPair();
    const first = await scannerChannel.seal("{}", aadFor("SEQ3"));
    const second = await scannerChannel.seal("{}", aadFor("SEQ3"));
    expect(first).not.toBe(second);
  });

  it("seals issued without awaiting keep their order", async () => {
    const { generatorChannel, scannerChannel } = await establishedPair();
    const sealed = await Promise.all(
      ["one", "two", "three"].map((text) => scannerChannel.seal(text, aadFor("T"))),
    );
    for (const [index, text] of ["one", "two", "three"].entries()) {
      expect(await generatorChannel.open(sealed[index] ?? "", aadFor("T"))).toBe(text);
    }
  });

  it("a tampered ciphertext ends the channel: insecure_channel, then channel_closed for everything", async () => {
    const { generatorChannel, scannerChannel } = await establishedPair();
    const sealed = await scannerChannel.seal('{"type":"m.login.protocols"}', aadFor("SEQ3"));
    await expectProtocolError(generatorChannel.open(tamper(sealed), aadFor("SEQ3")), "insecure_channel");
    expect(generatorChannel.closed).toBe(true);
    await expectProtocolError(generatorChannel.open(sealed, aadFor("SEQ3")), "channel_closed");
    await expectProtocolError(generatorChannel.seal("{}", aadFor("SEQ4")), "channel_closed");
  });

  it("a tampered message from G ends S's channel too", async () => {
    const { generatorChannel, scannerChannel } = await establishedPair();
    const sealed = await generatorChannel.seal('{"type":"m.login.protocol"}', aadFor("SEQ3"));
    await expectProtocolError(scannerChannel.open(tamper(sealed), aadFor("SEQ3")), "insecure_channel");
    expect(scannerChannel.closed).toBe(true);
    await expectProtocolError(scannerChannel.open(sealed, aadFor("SEQ3")), "channel_closed");
  });

  it("a replayed message fails: the receiver's sequence number has moved on", async () => {
    const { generatorChannel, scannerChannel } = await establishedPair();
    const sealed = await scannerChannel.seal("{}", aadFor("SEQ3"));
    await generatorChannel.open(sealed, aadFor("SEQ3"));
    await expectProtocolError(generatorChannel.open(sealed, aadFor("SEQ3")), "insecure_channel");
  });

  it("messages delivered out of order fail", async () => {
    const { generatorChannel, scannerChannel } = await establishedPair();
    await scannerChannel.seal("{}", aadFor("SEQ3"));
    const second = await scannerChannel.seal("{}", aadFor("SEQ3"));
    await expectProtocolError(generatorChannel.open(second, aadFor("SEQ3")), "insecure_channel");
  });

  it.each([
    ["another sequence token", { sequenceToken: "SEQ4" }],
    ["another rendezvous id", { rendezvousId: "01HX9K00Q1H6KPD47EG4G1T3XH" }],
    ["another base URL", { baseUrl: "https://matrix.example.net" }],
    ["the base URL with a trailing slash", { baseUrl: `${BASE_URL}/` }],
  ])("a message opened with %s fails and ends the channel", async (_label, overrides) => {
    const { generatorChannel, scannerChannel } = await establishedPair();
    const sealed = await scannerChannel.seal("{}", aadFor("SEQ3"));
    await expectProtocolError(generatorChannel.open(sealed, aadFor("SEQ3", overrides)), "insecure_channel");
    expect(generatorChannel.closed).toBe(true);
  });

  it("a LoginInitiate opened with another token fails and ends G's channel", async () => {
    const generator = createGeneratorChannel("v2025");
    const scanner = scannerChannelForKey("v2025", { peerPublicKey: generator.publicKey });
    const initiate = await scanner.sealInitiate(aadFor("SEQ1"));
    await expectProtocolError(generator.openInitiate(initiate, aadFor("SEQ0")), "insecure_channel");
    await expectProtocolError(generator.openInitiate(initiate, aadFor("SEQ1")), "channel_closed");
  });

  it("a LoginOk opened with another id fails and ends S's channel", async () => {
    const generator = createGeneratorChannel("v2025");
    const scanner = scannerChannelForKey("v2025", { peerPublicKey: generator.publicKey });
    const pending = await generator.openInitiate(await scanner.sealInitiate(aadFor("SEQ1")), aadFor("SEQ1"));
    const { okMessage } = await pending.sealOk(aadFor("SEQ2"));
    const otherId = aadFor("SEQ2", { rendezvousId: "someone-else" });
    await expectProtocolError(scanner.openOk(okMessage, otherId), "insecure_channel");
    await expectProtocolError(scanner.openOk(okMessage, aadFor("SEQ2")), "channel_closed");
  });

  it("a LoginInitiate sealed for another generator key fails on this generator", async () => {
    const generator = createGeneratorChannel("v2025");
    const stranger = createGeneratorChannel("v2025");
    const scanner = scannerChannelForKey("v2025", { peerPublicKey: stranger.publicKey });
    const initiate = await scanner.sealInitiate(aadFor("SEQ1"));
    await expectProtocolError(generator.openInitiate(initiate, aadFor("SEQ1")), "insecure_channel");
  });

  it("a tampered LoginInitiate or LoginOk is insecure_channel", async () => {
    const generator = createGeneratorChannel("v2025");
    const scanner = scannerChannelForKey("v2025", { peerPublicKey: generator.publicKey });
    const initiate = await scanner.sealInitiate(aadFor("SEQ1"));
    await expectProtocolError(generator.openInitiate(tamper(initiate), aadFor("SEQ1")), "insecure_channel");

    const generator2 = createGeneratorChannel("v2025");
    const scanner2 = scannerChannelForKey("v2025", { peerPublicKey: generator2.publicKey });
    const pending = await generator2.openInitiate(
      await scanner2.sealInitiate(aadFor("SEQ1")),
      aadFor("SEQ1"),
    );
    const { okMessage } = await pending.sealOk(aadFor("SEQ2"));
    await expectProtocolError(scanner2.openOk(tamper(okMessage), aadFor("SEQ2")), "insecure_channel");
  });

  it("a QR code with a low-order public key (all zeros) is refused when sealing LoginInitiate", async () => {
    const scanner = scannerChannelForKey("v2025", { peerPublicKey: new Uint8Array(32) });
    await expectProtocolError(scanner.sealInitiate(aadFor("SEQ1")), "insecure_channel");
  });
});

describe("v2025 check code on the generating device", () => {
  it("a wrong code twice closes the channel with check_code_mismatch", async () => {
    const { generatorUnconfirmed, scannerUnconfirmed } = await handshake();
    const wrong = otherCode(scannerUnconfirmed.checkCode);
    expect(generatorUnconfirmed.confirm(wrong)).toEqual({ ok: false, attemptsLeft: 1 });
    expect(generatorUnconfirmed.attemptsLeft).toBe(1);
    expectProtocolErrorSync(() => generatorUnconfirmed.confirm(wrong), "check_code_mismatch");
    expect(generatorUnconfirmed.attemptsLeft).toBe(0);
    expectProtocolErrorSync(
      () => generatorUnconfirmed.confirm(scannerUnconfirmed.checkCode),
      "channel_closed",
    );
  });

  it("the right code on the second try works", async () => {
    const { generatorUnconfirmed, scannerUnconfirmed } = await handshake();
    expect(generatorUnconfirmed.confirm(otherCode(scannerUnconfirmed.checkCode)).ok).toBe(false);
    const second = generatorUnconfirmed.confirm(scannerUnconfirmed.checkCode);
    if (!second.ok) throw new Error("the right code was refused");
    const scannerChannel = scannerUnconfirmed.acknowledge();
    const sealed = await scannerChannel.seal('{"type":"m.login.protocols"}', aadFor("SEQ3"));
    expect(await second.channel.open(sealed, aadFor("SEQ3"))).toBe('{"type":"m.login.protocols"}');
  });

  it.each([
    [
      "full-width digits",
      (code: string) => code.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d))),
    ],
    ["a trailing space", (code: string) => `${code} `],
    ["one digit", (code: string) => code.slice(0, 1)],
    ["three digits", (code: string) => `${code}0`],
  ])("the right digits as %s are a mismatch", async (_label, mangle) => {
    const { generatorUnconfirmed, scannerUnconfirmed } = await handshake();
    expect(generatorUnconfirmed.confirm(mangle(scannerUnconfirmed.checkCode)).ok).toBe(false);
  });

  it("a confirmed channel cannot be confirmed again (TypeError)", async () => {
    const { generatorUnconfirmed, scannerUnconfirmed } = await handshake();
    generatorUnconfirmed.confirm(scannerUnconfirmed.checkCode);
    expect(() => generatorUnconfirmed.confirm(scannerUnconfirmed.checkCode)).toThrow(TypeError);
  });

  it("abort on either side closes that side for good", async () => {
    const { generatorUnconfirmed, scannerUnconfirmed } = await handshake();
    generatorUnconfirmed.abort();
    expectProtocolErrorSync(
      () => generatorUnconfirmed.confirm(scannerUnconfirmed.checkCode),
      "channel_closed",
    );
    scannerUnconfirmed.abort();
    expectProtocolErrorSync(() => scannerUnconfirmed.acknowledge(), "channel_closed");
  });
});

describe("v2025 channel refuses to run without its AAD (TypeError, channel stays usable)", () => {
  it("on every handshake step", async () => {
    const generator = createGeneratorChannel("v2025");
    const scanner = scannerChannelForKey("v2025", { peerPublicKey: generator.publicKey });
    await expect(scanner.sealInitiate()).rejects.toThrow(TypeError);
    const initiate = await scanner.sealInitiate(aadFor("SEQ1"));
    await expect(generator.openInitiate(initiate)).rejects.toThrow(TypeError);
    const pending = await generator.openInitiate(initiate, aadFor("SEQ1"));
    await expect(pending.sealOk()).rejects.toThrow(TypeError);
    const { okMessage } = await pending.sealOk(aadFor("SEQ2"));
    await expect(scanner.openOk(okMessage)).rejects.toThrow(TypeError);
    expect((await scanner.openOk(okMessage, aadFor("SEQ2"))).checkCode).toMatch(/^[1-9][0-9]$/);
  });

  it("on seal and open of an established channel", async () => {
    const { generatorChannel, scannerChannel } = await establishedPair();
    await expect(scannerChannel.seal("{}")).rejects.toThrow(TypeError);
    const sealed = await scannerChannel.seal("{}", aadFor("SEQ3"));
    await expect(generatorChannel.open(sealed)).rejects.toThrow(TypeError);
    expect(await generatorChannel.open(sealed, aadFor("SEQ3"))).toBe("{}");
  });
});

describe("v2025 malformed handshake and channel messages", () => {
  const initiateCases: [string, string, ProtocolErrorCode][] = [
    ["empty", "", "invalid_channel_message"],
    [
      "bad base64 (URL-safe alphabet)",
      "q5sLQzyA4ikr1YavXgwJASjp2OgnfxKEElUggXiPn08_-",
      "invalid_channel_message",
    ],
    ["bad base64 (stray character)", "not base64!", "invalid_channel_message"],
    ["only a key, no ciphertext", encodeBase64(new Uint8Array(32).fill(9)), "invalid_channel_message"],
    ["a key and less than a tag", encodeBase64(new Uint8Array(48).fill(9)), "invalid_channel_message"],
  ];

  it.each(initiateCases)("LoginInitiate %s is %s and ends G's channel", async (_label, message, code) => {
    const generator = createGeneratorChannel("v2025");
    await expectProtocolError(generator.openInitiate(message, aadFor("SEQ1")), code);
    await expectProtocolError(generator.openInitiate(message, aadFor("SEQ1")), "channel_closed");
  });

  it.each(initiateCases)("LoginOk %s is %s and ends S's channel", async (_label, message, code) => {
    const generator = createGeneratorChannel("v2025");
    const scanner = scannerChannelForKey("v2025", { peerPublicKey: generator.publicKey });
    await scanner.sealInitiate(aadFor("SEQ1"));
    await expectProtocolError(scanner.openOk(message, aadFor("SEQ2")), code);
    await expectProtocolError(scanner.openOk(message, aadFor("SEQ2")), "channel_closed");
  });

  it.each([
    ["empty", ""],
    ["bad base64", "%%%"],
    ["shorter than a tag", encodeBase64(new Uint8Array(15))],
  ])(
    "an established message that is %s is invalid_channel_message and ends the channel",
    async (_label, message) => {
      const { generatorChannel } = await establishedPair();
      await expectProtocolError(generatorChannel.open(message, aadFor("SEQ3")), "invalid_channel_message");
      expect(generatorChannel.closed).toBe(true);
    },
  );
});

describe("v2025 typestate: one-shot transitions and closing", () => {
  it("reusing a transition is a TypeError", async () => {
    const generator = createGeneratorChannel("v2025");
    const scanner = scannerChannelForKey("v2025", { peerPublicKey: generator.publicKey });
    await expect(scanner.openOk("AAAA", aadFor("SEQ2"))).rejects.toThrow(TypeError);
    const initiate = await scanner.sealInitiate(aadFor("SEQ1"));
    await expect(scanner.sealInitiate(aadFor("SEQ1"))).rejects.toThrow(TypeError);
    const pending = await generator.openInitiate(initiate, aadFor("SEQ1"));
    await expect(generator.openInitiate(initiate, aadFor("SEQ1"))).rejects.toThrow(TypeError);
    const { okMessage } = await pending.sealOk(aadFor("SEQ2"));
    await expect(pending.sealOk(aadFor("SEQ2"))).rejects.toThrow(TypeError);
    const unconfirmed = await scanner.openOk(okMessage, aadFor("SEQ2"));
    await expect(scanner.openOk(okMessage, aadFor("SEQ2"))).rejects.toThrow(TypeError);
    unconfirmed.acknowledge();
    expect(() => unconfirmed.acknowledge()).toThrow(TypeError);
  });

  it("close() ends the channel: closed is true and seal/open are channel_closed", async () => {
    const { generatorChannel, scannerChannel } = await establishedPair();
    const sealed = await scannerChannel.seal("{}", aadFor("SEQ3"));
    scannerChannel.close();
    generatorChannel.close();
    expect(scannerChannel.closed).toBe(true);
    await expectProtocolError(scannerChannel.seal("{}", aadFor("SEQ4")), "channel_closed");
    await expectProtocolError(generatorChannel.open(sealed, aadFor("SEQ3")), "channel_closed");
  });

  it("a seal in flight when the channel closes does not hand out its ciphertext", async () => {
    const { scannerChannel } = await establishedPair();
    const pending = scannerChannel.seal("{}", aadFor("SEQ3"));
    scannerChannel.close();
    await expectProtocolError(pending, "channel_closed");
  });

  it("a channel closed while a step runs ends that step with channel_closed, whatever its lost keys cause", async () => {
    // G draws its response nonce inside sealOk: closing the channel right then drops the HPKE context the step
    // is about to export from.
    let closeNow: () => void = () => undefined;
    let draws = 0;
    const random: RandomSource = (length) => {
      draws += 1;
      if (draws === 2) closeNow();
      return secureRandom(length);
    };
    const generator = createGeneratorChannel("v2025", { random });
    const scanner = scannerChannelForKey("v2025", { peerPublicKey: generator.publicKey });
    const pending = await generator.openInitiate(await scanner.sealInitiate(aadFor("SEQ1")), aadFor("SEQ1"));
    closeNow = () => {
      pending.abort();
    };
    await expectProtocolError(pending.sealOk(aadFor("SEQ2")), "channel_closed");
    expect(draws).toBe(2);
  });

  it("the generator's public key must be 32 bytes (a QR codec bug, not peer input)", () => {
    expect(() => scannerChannelForKey("v2025", { peerPublicKey: new Uint8Array(31) })).toThrow(TypeError);
  });
});

describe("rendezvous AAD encoding (MSC4388; profile-driven)", () => {
  const aad = aadFor("SEQ1");

  it("our profile: u8 lengths and the base URL exactly as given", () => {
    const bytes = encodeRendezvousAad(aad);
    const text = new TextDecoder().decode(bytes);
    expect(bytes[0]).toBe(BASE_URL.length);
    expect(text.slice(1, 1 + BASE_URL.length)).toBe(BASE_URL);
    expect(bytes[1 + BASE_URL.length]).toBe(RENDEZVOUS_ID.length);
    expect(bytes.length).toBe(1 + BASE_URL.length + 1 + RENDEZVOUS_ID.length + 1 + "SEQ1".length);
  });

  it("rust-sdk branch profile: u16 base-URL length and the URL serialised with its trailing slash", () => {
    const bytes = encodeRendezvousAad(aad, RUST_SDK_BRANCH_PROFILE);
    expect([bytes[0], bytes[1]]).toEqual([0, BASE_URL.length + 1]);
    expect(new TextDecoder().decode(bytes.slice(2, 2 + BASE_URL.length + 1))).toBe(`${BASE_URL}/`);
  });

  it("lengths count UTF-8 bytes, not UTF-16 code units", () => {
    const bytes = encodeRendezvousAad(aadFor("é"));
    expect(bytes[bytes.length - 3]).toBe(2);
  });

  it("a field too long for its length prefix is a TypeError", () => {
    const longUrl = `https://example.org/${"a".repeat(300)}`;
    expect(() => encodeRendezvousAad(aadFor("SEQ1", { baseUrl: longUrl }))).toThrow(TypeError);
    expect(
      encodeRendezvousAad(aadFor("SEQ1", { baseUrl: longUrl }), RUST_SDK_BRANCH_PROFILE).length,
    ).toBeGreaterThan(300);
    expect(() => encodeRendezvousAad(aadFor("SEQ1", { rendezvousId: "x".repeat(256) }))).toThrow(TypeError);
    expect(() => encodeRendezvousAad(aadFor("t".repeat(256)))).toThrow(TypeError);
    expect(encodeRendezvousAad(aadFor("t".repeat(255))).length).toBe(1 + BASE_URL.length + 1 + 26 + 1 + 255);
  });

  it("a base URL that does not parse is a TypeError in the url_serialised form", () => {
    expect(() =>
      encodeRendezvousAad(aadFor("SEQ1", { baseUrl: "not a url" }), RUST_SDK_BRANCH_PROFILE),
    ).toThrow(TypeError);
  });
});
