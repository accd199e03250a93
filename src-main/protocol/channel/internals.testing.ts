// The channel's face for tests only: what the product may not reach. A scanner keyed to a bare public key (the
// product keys one only from an accepted QR code, create.ts), and the intermediate values of both key
// schedules that the fixed-key vectors pin down. No product module imports a `*.testing.ts` file
// (the ESLint layer rules refuse it, test/repo/layers.test.ts).
import { secureRandom, type RandomSource } from "../random";
import type { WireVersion } from "../types";
import type { V2025Profile } from "../v2025-profile";
import { scannerChannel } from "./typestate";
import type { ScannerChannel } from "./types";
import { V2024_SUITE } from "./v2024";
import { deriveKeys, publicKeyOf, sharedSecret, type V2024Keys } from "./v2024/key-schedule";
import { v2025Suite } from "./v2025";
import { checkCodeFromBytes } from "./v2025/check-code";
import {
  checkCodeExporterContext,
  exportCheckBytes,
  exportResponseSecret,
  setupPrimaryAsRecipient,
  setupPrimaryAsSender,
} from "./v2025/primary-context";
import { deriveResponseKeys } from "./v2025/response-context";

/** S of `version` keyed to `peerPublicKey` as if read from a QR code, which may be of any length here. */
export function scannerChannelForKey(
  version: WireVersion,
  options: { peerPublicKey: Uint8Array; random?: RandomSource; profile?: V2025Profile },
): ScannerChannel {
  const suite = version === "v2024" ? V2024_SUITE : v2025Suite(options.profile);
  return scannerChannel(suite, options.peerPublicKey, options.random ?? secureRandom);
}

/** The v2024 key schedule (v2024/key-schedule.ts). */
export const v2024Internals = {
  /** The keys a party derives from its private key and the peer's public key, with the shared secret. */
  deriveKeys(options: {
    role: "generator" | "scanner";
    privateKey: Uint8Array;
    peerPublicKey: Uint8Array;
  }): V2024Keys & { sharedSecret: Uint8Array } {
    const ownKey = publicKeyOf(options.privateKey);
    const secret = sharedSecret(options.privateKey, options.peerPublicKey);
    const [generatorKey, scannerKey] =
      options.role === "generator" ? [ownKey, options.peerPublicKey] : [options.peerPublicKey, ownKey];
    return { ...deriveKeys(secret, generatorKey, scannerKey), sharedSecret: secret };
  },
} as const;

/** The v2025 steps between the HPKE library and the wire (v2025/primary-context.ts, response-context.ts). */
export const v2025Internals = {
  setupPrimaryAsSender,
  setupPrimaryAsRecipient,
  exportResponseSecret,
  checkCodeExporterContext,
  exportCheckBytes,
  deriveResponseKeys,
  checkCodeFromBytes,
} as const;
