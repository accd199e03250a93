// One entry point per role over both wire versions, so that the flows never branch on the version to build a
// channel: the generator picks the version it will put in its QR code; the scanner takes it from the QR code it
// accepted (qr/scanned.ts), so no channel is keyed to a QR whose intent was never checked.
import { ProtocolError } from "../errors";
import { scannedLoginQr, type ScannedQr } from "../qr/scanned";
import type { V2025LoginQr } from "../qr/types";
import { secureRandom, type RandomSource } from "../random";
import type { WireVersion } from "../types";
import { profileForQrFraming, type V2025Profile } from "../v2025-profile";
import { generatorChannel, scannerChannel } from "./typestate";
import type { GeneratorChannel, ScannerChannel } from "./types";
import { V2024_SUITE } from "./v2024";
import { encodeRendezvousAad, v2025Suite } from "./v2025";

export interface ChannelOptions {
  readonly random?: RandomSource;
  /**
   * v2025 only: the profile to speak. The generator defaults to ours; the scanner to the one the QR's framing
   * names (`profileForQrFraming`).
   */
  readonly profile?: V2025Profile;
}

/** G: a fresh ephemeral key pair for a QR code of `version`. */
export function createGeneratorChannel(version: WireVersion, options: ChannelOptions = {}): GeneratorChannel {
  const random = options.random ?? secureRandom;
  if (version === "v2024") return generatorChannel(V2024_SUITE, random);
  return generatorChannel(v2025Suite(options.profile), random);
}

/**
 * S: the channel the scanned QR code asks for, keyed to its public key. Throws ProtocolError `invalid_qr` for a
 * v2025 QR whose base URL and ID cannot be bound into the AAD (too long for the profile's length prefixes), so
 * that no message of the session could fail later on our side, and `insecure_channel` for a v2024 key of low
 * order.
 */
export function createScannerChannel(scanned: ScannedQr, options: ChannelOptions = {}): ScannerChannel {
  const qr = scannedLoginQr(scanned);
  const random = options.random ?? secureRandom;
  if (qr.version === "v2024") return scannerChannel(V2024_SUITE, qr.publicKey, random);
  const profile = options.profile ?? profileForQrFraming(qr);
  checkAadFits(qr, profile);
  return scannerChannel(v2025Suite(profile), qr.publicKey, random);
}

/**
 * The QR's base URL and ID must fit the AAD's length prefixes under `profile` (MSC4388 AAD), or every message of
 * the session would fail on our side. The token needs no check here: the rendezvous client refuses tokens over
 * the AAD's one-byte length.
 */
function checkAadFits(qr: V2025LoginQr, profile: V2025Profile): void {
  try {
    encodeRendezvousAad({ baseUrl: qr.baseUrl, rendezvousId: qr.rendezvousId, sequenceToken: "" }, profile);
  } catch (cause) {
    throw new ProtocolError("invalid_qr", "QR code's base URL or ID is too long for the channel's AAD", {
      cause,
    });
  }
}
