// The v2024 fixed-key vectors (test/fixtures/msc4108-kat.json, checked against vodozemac 18.9 in both roles),
// reproduced through the channel's public API with the ephemeral private keys injected as randomness.
import { describe, expect, it } from "vitest";
import kat from "../../../test/fixtures/msc4108-kat.json";
import { fromHex, toHex } from "../bytes";
import type { RandomSource } from "../random";
import { createGeneratorChannel } from "./create";
import { scannerChannelForKey, v2024Internals } from "./internals.testing";

const v2024 = kat.v2024;

/** A random source that hands out one fixed key and refuses to be asked twice. */
function fixedKey(hex: string): RandomSource {
  let used = false;
  return (length) => {
    if (used || length !== 32) throw new Error(`unexpected random(${length}) call`);
    used = true;
    return fromHex(hex);
  };
}

function fixedChannels() {
  const generator = createGeneratorChannel("v2024", { random: fixedKey(kat.Gs_hex) });
  const scanner = scannerChannelForKey("v2024", {
    peerPublicKey: fromHex(kat.Gp_hex),
    random: fixedKey(kat.Ss_hex),
  });
  return { generator, scanner };
}

describe("v2024 channel reproduces the fixed-key vectors (vodozemac ecies, MSC4108 2024)", () => {
  it("derives Gp and Sp from the injected private keys", () => {
    const { generator, scanner } = fixedChannels();
    expect(toHex(generator.publicKey)).toBe(kat.Gp_hex);
    expect(toHex(scanner.publicKey)).toBe(kat.Sp_hex);
  });

  it("scanner seals the LoginInitiateMessage byte for byte", async () => {
    const { scanner } = fixedChannels();
    expect(await scanner.sealInitiate()).toBe(v2024.LoginInitiateMessage);
  });

  it("generator opens the vector initiate, learns Sp, and seals the LoginOkMessage byte for byte", async () => {
    const { generator } = fixedChannels();
    const pending = await generator.openInitiate(v2024.LoginInitiateMessage);
    expect(toHex(pending.peerPublicKey)).toBe(kat.Sp_hex);
    const { okMessage, unconfirmed } = await pending.sealOk();
    expect(okMessage).toBe(v2024.LoginOkMessage);
    expect(unconfirmed.confirm(v2024.CheckCode).ok).toBe(true);
  });

  it("scanner opens the vector LoginOk and shows check code 50", async () => {
    const { scanner } = fixedChannels();
    await scanner.sealInitiate();
    const unconfirmed = await scanner.openOk(v2024.LoginOkMessage);
    expect(unconfirmed.checkCode).toBe(v2024.CheckCode);
  });

  it("the scanner's first JSON message (nonce 1) is second_S_message, and the generator opens it", async () => {
    const { generator, scanner } = fixedChannels();
    const pending = await generator.openInitiate(await scanner.sealInitiate());
    const { okMessage, unconfirmed } = await pending.sealOk();
    const scannerChannel = (await scanner.openOk(okMessage)).acknowledge();
    const confirmed = unconfirmed.confirm(v2024.CheckCode);
    if (!confirmed.ok) throw new Error("the vector check code did not confirm");

    const sealed = await scannerChannel.seal(v2024.second_S_message_plaintext);
    expect(sealed).toBe(v2024.second_S_message);
    expect(await confirmed.channel.open(sealed)).toBe(v2024.second_S_message_plaintext);
  });

  it.each(["generator", "scanner"] as const)(
    "the %s's internal key schedule gives the vector shared secret, EncKey_S, EncKey_G and check bytes",
    (role) => {
      const keys = v2024Internals.deriveKeys(
        role === "generator"
          ? { role, privateKey: fromHex(kat.Gs_hex), peerPublicKey: fromHex(kat.Sp_hex) }
          : { role, privateKey: fromHex(kat.Ss_hex), peerPublicKey: fromHex(kat.Gp_hex) },
      );
      expect(toHex(keys.sharedSecret)).toBe(kat.x25519_shared_hex);
      expect(toHex(keys.encKeyS)).toBe(v2024.EncKey_S_hex);
      expect(toHex(keys.encKeyG)).toBe(v2024.EncKey_G_hex);
      expect(toHex(keys.checkBytes)).toBe(v2024.CheckBytes_hex);
    },
  );
});
