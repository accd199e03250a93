// The typestate is a compile-time guarantee: an unconfirmed channel has no way to send or receive. The
// `@ts-expect-error` lines below are checked by `npm run typecheck` (tsc fails on an unused directive), so
// this file stops compiling the day someone gives an unconfirmed state a seal/open. The runtime half checks
// that the objects really have no such members either.
import { describe, expect, it } from "vitest";
import { encodeLoginQr, newV2025LoginQr } from "../qr/codec";
import { acceptScannedQr, type ScannedQr } from "../qr/scanned";
import type { LoginQr } from "../qr/types";
import type { RandomSource } from "../random";
import type { WireVersion } from "../types";
import { createGeneratorChannel, createScannerChannel } from "./create";
import type { GeneratorUnconfirmed, ScannerUnconfirmed } from "./types";

export function unconfirmedChannelsCannotSendOrReceive(
  g: GeneratorUnconfirmed,
  s: ScannerUnconfirmed,
): unknown[] {
  return [
    // @ts-expect-error: an unconfirmed generator has no seal
    g.seal,
    // @ts-expect-error: an unconfirmed generator has no open
    g.open,
    // @ts-expect-error: an unconfirmed generator never reveals the check code (main compares)
    g.checkCode,
    // @ts-expect-error: an unconfirmed scanner has no seal
    s.seal,
    // @ts-expect-error: an unconfirmed scanner has no open
    s.open,
  ];
}

const aadFor = (version: WireVersion, token: string) =>
  version === "v2025"
    ? {
        baseUrl: "https://matrix.example.org",
        rendezvousId: "01HX9K00Q1H6KPD47EG4G1T3XG",
        sequenceToken: token,
      }
    : undefined;

/** A new device's QR code of `version` for `publicKey`, as the existing device scans it. */
function qrFor(version: WireVersion, publicKey: Uint8Array): ScannedQr {
  const qr: LoginQr =
    version === "v2024"
      ? {
          version,
          intent: "new_device",
          publicKey,
          rendezvousUrl: "https://matrix.example.org/_synapse/client/rendezvous/01HX9K00Q1H6KPD47EG4G1T3XG",
        }
      : newV2025LoginQr({
          intent: "new_device",
          publicKey,
          rendezvousId: "01HX9K00Q1H6KPD47EG4G1T3XG",
          baseUrl: "https://matrix.example.org",
        });
  return acceptScannedQr(encodeLoginQr(qr), "existing_device");
}

describe.each(["v2024", "v2025"] as const)("channel typestate, %s", (version) => {
  it("unconfirmed states expose no seal, open or (on G) check code, and only confirm unlocks messages", async () => {
    const generator = createGeneratorChannel(version);
    const scanner = createScannerChannel(qrFor(version, generator.publicKey));
    const initiate = await scanner.sealInitiate(aadFor(version, "SEQ1"));
    const pending = await generator.openInitiate(initiate, aadFor(version, "SEQ1"));
    const { okMessage, unconfirmed: g } = await pending.sealOk(aadFor(version, "SEQ2"));
    const s = await scanner.openOk(okMessage, aadFor(version, "SEQ2"));

    for (const state of [g, s] as object[]) {
      expect(state).not.toHaveProperty("seal");
      expect(state).not.toHaveProperty("open");
    }
    expect(g).not.toHaveProperty("checkCode");
    expect(s.checkCode).toMatch(/^\d\d$/);

    const confirmed = g.confirm(s.checkCode);
    expect(confirmed.ok).toBe(true);
    if (!confirmed.ok) return;
    const sent = await s.acknowledge().seal('{"type":"m.login.success"}', aadFor(version, "SEQ3"));
    expect(await confirmed.channel.open(sent, aadFor(version, "SEQ3"))).toBe('{"type":"m.login.success"}');
  });

  it("calls made without awaiting run one at a time, in call order", async () => {
    // S's key comes from a fixed source, so a second S with the same key can be handed G's LoginOk before its
    // own LoginInitiate is out: its openOk must wait for its sealInitiate.
    const fixedKey: RandomSource = (length) => new Uint8Array(length).fill(7);
    const generator = createGeneratorChannel(version);
    const qr = qrFor(version, generator.publicKey);
    const rehearsal = createScannerChannel(qr, { random: fixedKey });
    const initiate = await rehearsal.sealInitiate(aadFor(version, "SEQ1"));
    const pending = await generator.openInitiate(initiate, aadFor(version, "SEQ1"));
    const { okMessage, unconfirmed: g } = await pending.sealOk(aadFor(version, "SEQ2"));

    const scanner = createScannerChannel(qr, { random: fixedKey });
    const [, s] = await Promise.all([
      scanner.sealInitiate(aadFor(version, "SEQ1")),
      scanner.openOk(okMessage, aadFor(version, "SEQ2")),
    ]);
    const confirmed = g.confirm(s.checkCode);
    if (!confirmed.ok) throw new Error("the check codes differ");

    // Each direction's sequence number follows the calls, for seal and for open alike.
    const texts = ["one", "two", "three"];
    const sChannel = s.acknowledge();
    const sealed = await Promise.all(texts.map((text) => sChannel.seal(text, aadFor(version, "SEQ3"))));
    const opened = sealed.map((message) => confirmed.channel.open(message, aadFor(version, "SEQ3")));
    expect(await Promise.all(opened)).toEqual(texts);
  });

  it("abort before the handshake closes the channel on both sides", async () => {
    const generator = createGeneratorChannel(version);
    const scanner = createScannerChannel(qrFor(version, generator.publicKey));
    scanner.abort();
    await expect(scanner.sealInitiate(aadFor(version, "SEQ1"))).rejects.toMatchObject({
      code: "channel_closed",
    });
    generator.abort();
    await expect(generator.openInitiate("x|y", aadFor(version, "SEQ1"))).rejects.toMatchObject({
      code: "channel_closed",
    });
  });
});
