// One entry point per role over both wire versions, so that the flows never branch on the version to build a
// channel: the generator picks the version it will put in its QR code; the scanner takes it from the QR code.
import type { LoginQr } from "../qr/types";
import type { RandomSource } from "../random";
import type { WireVersion } from "../types";
import type { V2025Profile } from "../v2025-profile";
import type { GeneratorChannel, ScannerChannel } from "./types";
import { createV2024GeneratorChannel, createV2024ScannerChannel } from "./v2024";
import { createV2025GeneratorChannel, createV2025ScannerChannel } from "./v2025";

export interface ChannelOptions {
  readonly random?: RandomSource;
  /** v2025 only: the profile to speak (defaults to ours). */
  readonly profile?: V2025Profile;
}

/** G: a fresh ephemeral key pair for a QR code of `version`. */
export function createGeneratorChannel(version: WireVersion, options: ChannelOptions = {}): GeneratorChannel {
  const random = options.random === undefined ? {} : { random: options.random };
  if (version === "v2024") return createV2024GeneratorChannel(random);
  return createV2025GeneratorChannel({
    ...random,
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  });
}

/** S: the channel the scanned QR code asks for, keyed to its public key. */
export function createScannerChannel(qr: LoginQr, options: ChannelOptions = {}): ScannerChannel {
  const random = options.random === undefined ? {} : { random: options.random };
  if (qr.version === "v2024") return createV2024ScannerChannel({ peerPublicKey: qr.publicKey, ...random });
  return createV2025ScannerChannel({
    peerPublicKey: qr.publicKey,
    ...random,
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  });
}
