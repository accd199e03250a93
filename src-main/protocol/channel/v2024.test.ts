// The v2024 channel with both sides ours: the typestate at runtime, check-code confirmation, closing, and
// typed errors for what the network can send.
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { describe, expect, it } from "vitest";
import kat from "../../../test/fixtures/msc4108-kat.json";
import { decodeBase64, encodeBase64 } from "../base64";
import { fromHex } from "../bytes";
import type { ProtocolErrorCode } from "../errors";
import type { RandomSource } from "../random";
import type { RendezvousAad } from "./types";
import { createGeneratorChannel } from "./create";
import { scannerChannelForKey } from "./internals.testing";

const AAD: RendezvousAad = { baseUrl: "https://hs.example/", rendezvousId: "abc", sequenceToken: "1" };

function protocolError(code: ProtocolErrorCode) {
  return { name: "ProtocolError", code };
}

function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected the action to throw");
}

/** Both sides ours, up to the point where S shows the code and G waits for it to be typed. */
async function handshake() {
  const generator = createGeneratorChannel("v2024");
  const scanner = scannerChannelForKey("v2024", { peerPublicKey: generator.publicKey });
  const initiate = await scanner.sealInitiate();
  const pending = await generator.openInitiate(initiate);
  const { okMessage, unconfirmed } = await pending.sealOk();
  const shown = await scanner.openOk(okMessage);
  return { generator, scanner, initiate, pending, okMessage, generatorSide: unconfirmed, scannerSide: shown };
}

async function establishedPair() {
  const { generatorSide, scannerSide } = await handshake();
  const result = generatorSide.confirm(scannerSide.checkCode);
  if (!result.ok) throw new Error("the check code S shows did not confirm on G");
  return { generator: result.channel, scanner: scannerSide.acknowledge() };
}

/** A check code that differs from `code` in its last digit. */
function wrongCode(code: string): string {
  return code.slice(0, 1) + String((Number(code.slice(1)) + 1) % 10);
}

describe("v2024 channel, both sides ours: sign-in round trip", () => {
  it("S shows a two-digit code, G accepts it, and JSON flows both ways in order", async () => {
    const { generatorSide, scannerSide } = await handshake();
    expect(scannerSide.version).toBe("v2024");
    expect(scannerSide.checkCode).toMatch(/^[0-9]{2}$/);
    expect(generatorSide.attemptsLeft).toBe(2);
    const result = generatorSide.confirm(scannerSide.checkCode);
    if (!result.ok) throw new Error("the check code S shows did not confirm on G");
    const g = result.channel;
    const s = scannerSide.acknowledge();

    const messages = ['{"type":"m.login.protocols"}', '{"type":"m.login.protocol","x":"ünïcödé 🔑"}', "{}"];
    for (const m of messages) expect(await g.open(await s.seal(m))).toBe(m);
    for (const m of messages) expect(await s.open(await g.seal(m))).toBe(m);
    expect(g.closed).toBe(false);
    expect(s.closed).toBe(false);
  });

  it("the LoginInitiate carries S's public key after the first '|'", async () => {
    const { initiate, scanner, pending } = await handshake();
    const [, key] = initiate.split("|");
    expect(key).toBe(encodeBase64(scanner.publicKey));
    expect(pending.peerPublicKey).toEqual(scanner.publicKey);
  });

  it("a replayed message is refused and ends the channel (the nonce has moved on)", async () => {
    const { generator, scanner } = await establishedPair();
    const sealed = await scanner.seal('{"type":"m.login.success"}');
    await generator.open(sealed);
    await expect(generator.open(sealed)).rejects.toMatchObject(protocolError("insecure_channel"));
    await expect(generator.seal("{}")).rejects.toMatchObject(protocolError("channel_closed"));
  });

  it("messages delivered out of order are refused", async () => {
    const { generator, scanner } = await establishedPair();
    await scanner.seal('{"n":1}');
    const second = await scanner.seal('{"n":2}');
    await expect(generator.open(second)).rejects.toMatchObject(protocolError("insecure_channel"));
  });
});

describe("v2024 channel, both sides ours: the check code typed on G", () => {
  it("a wrong code twice ends with check_code_mismatch and closes the channel", async () => {
    const { generatorSide, scannerSide } = await handshake();
    const wrong = wrongCode(scannerSide.checkCode);
    expect(generatorSide.confirm(wrong)).toEqual({ ok: false, attemptsLeft: 1 });
    expect(generatorSide.attemptsLeft).toBe(1);
    expect(caught(() => generatorSide.confirm(wrong))).toMatchObject(protocolError("check_code_mismatch"));
    expect(caught(() => generatorSide.confirm(scannerSide.checkCode))).toMatchObject(
      protocolError("channel_closed"),
    );
  });

  it("the right code on the second try works", async () => {
    const { generatorSide, scannerSide } = await handshake();
    expect(generatorSide.confirm(wrongCode(scannerSide.checkCode)).ok).toBe(false);
    const result = generatorSide.confirm(scannerSide.checkCode);
    if (!result.ok) throw new Error("the right code was refused on the second try");
    const s = scannerSide.acknowledge();
    expect(await s.open(await result.channel.seal('{"type":"m.login.protocols"}'))).toBe(
      '{"type":"m.login.protocols"}',
    );
  });

  it.each([
    ["one digit", (code: string) => code.slice(0, 1)],
    ["three digits", (code: string) => `${code}0`],
    ["surrounding spaces", (code: string) => ` ${code}`],
    [
      "full-width digits",
      (code: string) => code.replace(/[0-9]/g, (digit) => String.fromCharCode(digit.charCodeAt(0) + 0xfee0)),
    ],
    ["empty", () => ""],
  ])("%s is a mismatch and uses up an attempt", async (_label, mangle) => {
    const { generatorSide, scannerSide } = await handshake();
    expect(generatorSide.confirm(mangle(scannerSide.checkCode))).toEqual({ ok: false, attemptsLeft: 1 });
  });

  it("confirm after the code matched is a TypeError and does not use up attempts", async () => {
    const { generatorSide, scannerSide } = await handshake();
    const result = generatorSide.confirm(scannerSide.checkCode);
    expect(result.ok).toBe(true);
    expect(() => generatorSide.confirm(wrongCode(scannerSide.checkCode))).toThrow(TypeError);
    expect(() => generatorSide.confirm(wrongCode(scannerSide.checkCode))).toThrow(TypeError);
    if (result.ok) expect(result.channel.closed).toBe(false);
  });
});

describe("v2024 channel, both sides ours: abort and close", () => {
  it("G aborting while it waits for the code refuses every later call", async () => {
    const { generatorSide, scannerSide } = await handshake();
    generatorSide.abort();
    expect(caught(() => generatorSide.confirm(scannerSide.checkCode))).toMatchObject(
      protocolError("channel_closed"),
    );
  });

  it("S aborting while it shows the code cannot then acknowledge", async () => {
    const { scannerSide } = await handshake();
    scannerSide.abort();
    expect(caught(() => scannerSide.acknowledge())).toMatchObject(protocolError("channel_closed"));
  });

  it("an aborted stale state closes the established channel too", async () => {
    const { generatorSide, scannerSide } = await handshake();
    const s = scannerSide.acknowledge();
    scannerSide.abort();
    expect(s.closed).toBe(true);
    expect(generatorSide.attemptsLeft).toBe(2);
  });

  it("messages after close are refused in both directions", async () => {
    const { generator, scanner } = await establishedPair();
    const inFlight = await scanner.seal('{"type":"m.login.secrets"}');
    generator.close();
    expect(generator.closed).toBe(true);
    await expect(generator.open(inFlight)).rejects.toMatchObject(protocolError("channel_closed"));
    await expect(generator.seal("{}")).rejects.toMatchObject(protocolError("channel_closed"));
    generator.close();
    expect(generator.closed).toBe(true);
  });
});

describe("v2024 channel, both sides ours: the typestate at runtime", () => {
  it("sealInitiate twice is a TypeError", async () => {
    const scanner = scannerChannelForKey("v2024", {
      peerPublicKey: createGeneratorChannel("v2024").publicKey,
    });
    await scanner.sealInitiate();
    await expect(scanner.sealInitiate()).rejects.toThrow(TypeError);
  });

  it("openOk before sealInitiate is a TypeError", async () => {
    const { okMessage } = await handshake();
    const generator = createGeneratorChannel("v2024");
    const scanner = scannerChannelForKey("v2024", { peerPublicKey: generator.publicKey });
    await expect(scanner.openOk(okMessage)).rejects.toThrow(TypeError);
  });

  it("openOk, openInitiate, sealOk and acknowledge each work once; the second call is a TypeError", async () => {
    const { generator, scanner, initiate, pending, okMessage, scannerSide } = await handshake();
    await expect(scanner.openOk(okMessage)).rejects.toThrow(TypeError);
    await expect(generator.openInitiate(initiate)).rejects.toThrow(TypeError);
    await expect(pending.sealOk()).rejects.toThrow(TypeError);
    scannerSide.acknowledge();
    expect(() => scannerSide.acknowledge()).toThrow(TypeError);
  });

  it("every method refuses an AAD with a TypeError and the channel carries on", async () => {
    const generator = createGeneratorChannel("v2024");
    const scanner = scannerChannelForKey("v2024", { peerPublicKey: generator.publicKey });
    await expect(scanner.sealInitiate(AAD)).rejects.toThrow(TypeError);
    const initiate = await scanner.sealInitiate();
    await expect(generator.openInitiate(initiate, AAD)).rejects.toThrow(TypeError);
    const pending = await generator.openInitiate(initiate);
    await expect(pending.sealOk(AAD)).rejects.toThrow(TypeError);
    const { okMessage, unconfirmed } = await pending.sealOk();
    await expect(scanner.openOk(okMessage, AAD)).rejects.toThrow(TypeError);
    const shown = await scanner.openOk(okMessage);
    const result = unconfirmed.confirm(shown.checkCode);
    if (!result.ok) throw new Error("the check code did not confirm");
    const s = shown.acknowledge();
    await expect(s.seal("{}", AAD)).rejects.toThrow(TypeError);
    const sealed = await s.seal("{}");
    await expect(result.channel.open(sealed, AAD)).rejects.toThrow(TypeError);
    expect(await result.channel.open(sealed)).toBe("{}");
  });

  it("a random source that returns the wrong length is a TypeError", () => {
    const short: RandomSource = () => new Uint8Array(31);
    expect(() => createGeneratorChannel("v2024", { random: short })).toThrow(TypeError);
  });

  it("a scanner given a QR key of the wrong length is a TypeError", () => {
    expect(() => scannerChannelForKey("v2024", { peerPublicKey: new Uint8Array(31) })).toThrow(TypeError);
  });
});

describe("v2024 channel, both sides ours: what the network can send G before the handshake", () => {
  const scannerKey = encodeBase64(createGeneratorChannel("v2024").publicKey);

  it.each([
    ["no '|'", () => "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["bad base64 in the ciphertext", () => `not*base64|${scannerKey}`],
    ["bad base64 in the key", () => `${encodeBase64(new Uint8Array(45))}|${scannerKey.replace(/./, "-")}`],
    [
      "a 31-byte key",
      () => `${encodeBase64(new Uint8Array(45))}|${encodeBase64(new Uint8Array(31).fill(9))}`,
    ],
    [
      "a 33-byte key",
      () => `${encodeBase64(new Uint8Array(45))}|${encodeBase64(new Uint8Array(33).fill(9))}`,
    ],
    ["a ciphertext shorter than a tag", () => `${encodeBase64(new Uint8Array(15))}|${scannerKey}`],
    ["the key first, the ciphertext last", () => `${scannerKey}|${encodeBase64(new Uint8Array(45))}`],
  ])("%s is invalid_channel_message and closes G", async (_label, message) => {
    const generator = createGeneratorChannel("v2024");
    await expect(generator.openInitiate(message())).rejects.toMatchObject(
      protocolError("invalid_channel_message"),
    );
    await expect(generator.openInitiate(message())).rejects.toMatchObject(protocolError("channel_closed"));
  });

  it("a low-order key (all zeros) is insecure_channel", async () => {
    const generator = createGeneratorChannel("v2024");
    const message = `${encodeBase64(new Uint8Array(45))}|${encodeBase64(new Uint8Array(32))}`;
    await expect(generator.openInitiate(message)).rejects.toMatchObject(protocolError("insecure_channel"));
  });

  it("an initiate sealed for another generator is insecure_channel", async () => {
    const other = scannerChannelForKey("v2024", { peerPublicKey: createGeneratorChannel("v2024").publicKey });
    const generator = createGeneratorChannel("v2024");
    await expect(generator.openInitiate(await other.sealInitiate())).rejects.toMatchObject(
      protocolError("insecure_channel"),
    );
  });

  it("an initiate with a flipped ciphertext bit is insecure_channel", async () => {
    const generator = createGeneratorChannel("v2024");
    const scanner = scannerChannelForKey("v2024", { peerPublicKey: generator.publicKey });
    const [ciphertext = "", key = ""] = (await scanner.sealInitiate()).split("|");
    const bytes = decodeBase64(ciphertext);
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    await expect(generator.openInitiate(`${encodeBase64(bytes)}|${key}`)).rejects.toMatchObject(
      protocolError("insecure_channel"),
    );
  });

  it("an initiate whose plaintext is not MATRIX_QR_CODE_LOGIN_INITIATE is insecure_channel", async () => {
    // Sealed independently with @noble/ciphers under the vector's EncKey_S and nonce 0.
    const generator = createGeneratorChannel("v2024", { random: () => fromHex(kat.Gs_hex) });
    const forged = chacha20poly1305(fromHex(kat.v2024.EncKey_S_hex), new Uint8Array(12)).encrypt(
      new TextEncoder().encode("MATRIX_QR_CODE_LOGIN_OK"),
    );
    await expect(generator.openInitiate(`${encodeBase64(forged)}|${kat.Sp_b64}`)).rejects.toMatchObject(
      protocolError("insecure_channel"),
    );
  });
});

describe("v2024 channel, both sides ours: what the network can send S", () => {
  it("a QR key of low order is refused when S is created", () => {
    expect(caught(() => scannerChannelForKey("v2024", { peerPublicKey: new Uint8Array(32) }))).toMatchObject(
      protocolError("insecure_channel"),
    );
  });

  it("a LoginOk with a flipped bit is insecure_channel and closes S", async () => {
    const generator = createGeneratorChannel("v2024");
    const scanner = scannerChannelForKey("v2024", { peerPublicKey: generator.publicKey });
    const pending = await generator.openInitiate(await scanner.sealInitiate());
    const { okMessage: realOk } = await pending.sealOk();
    const bytes = decodeBase64(realOk);
    bytes[3] = (bytes[3] ?? 0) ^ 0x80;
    await expect(scanner.openOk(encodeBase64(bytes))).rejects.toMatchObject(
      protocolError("insecure_channel"),
    );
    await expect(scanner.openOk(realOk)).rejects.toMatchObject(protocolError("channel_closed"));
  });

  it("S's own initiate echoed back instead of a LoginOk is invalid_channel_message", async () => {
    const generator = createGeneratorChannel("v2024");
    const scanner = scannerChannelForKey("v2024", { peerPublicKey: generator.publicKey });
    const initiate = await scanner.sealInitiate();
    await expect(scanner.openOk(initiate)).rejects.toMatchObject(protocolError("invalid_channel_message"));
  });
});

describe("v2024 channel, both sides ours: what the network can send once established", () => {
  it("bad base64 is invalid_channel_message and ends the channel", async () => {
    const { generator, scanner } = await establishedPair();
    await expect(generator.open("@@@")).rejects.toMatchObject(protocolError("invalid_channel_message"));
    await expect(generator.open(await scanner.seal("{}"))).rejects.toMatchObject(
      protocolError("channel_closed"),
    );
  });

  it("an authentic message that is not UTF-8 is invalid_message and ends the channel", async () => {
    // With the vector keys, S's first JSON message uses EncKey_S and nonce 1 (docs/protocol.md §3.1).
    const generator = createGeneratorChannel("v2024", { random: () => fromHex(kat.Gs_hex) });
    const pending = await generator.openInitiate(kat.v2024.LoginInitiateMessage);
    const { unconfirmed } = await pending.sealOk();
    const result = unconfirmed.confirm(kat.v2024.CheckCode);
    if (!result.ok) throw new Error("the vector check code did not confirm");
    const nonce1 = new Uint8Array(12);
    nonce1[0] = 1;
    const sealed = chacha20poly1305(fromHex(kat.v2024.EncKey_S_hex), nonce1).encrypt(
      Uint8Array.of(0x7b, 0xff, 0x7d),
    );
    await expect(result.channel.open(encodeBase64(sealed))).rejects.toMatchObject(
      protocolError("invalid_message"),
    );
    expect(result.channel.closed).toBe(true);
  });
});
