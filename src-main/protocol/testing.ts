// The protocol core's test face: everything index.ts exports, plus the internals tests need and product code
// must not build on (per-version constructors behind the version-neutral ones, the grammar helpers, the other
// v2025 profiles, timing internals). Only tests and test support import it; ESLint refuses it elsewhere.

export * from "./index";

// --- secure channels: the v2025 AAD encoding and the internals the fixed-key vectors check
export { encodeRendezvousAad } from "./channel/v2025";
export { scannerChannelForKey, v2024Internals, v2025Internals } from "./channel/internals.testing";

// --- the v2025 profiles we do not speak by default, and the scanner's choice between them
export { RUST_SDK_BRANCH_PROFILE, MSC_TEXT_PROFILE, profileForQrFraming } from "./v2025-profile";

// --- fast-check arbitraries of valid sign-in QR codes (property tests, the fuzzers)
export { v2024LoginQr, v2025LoginQr } from "./qr/arbitraries.testing";

// --- the grammar of URLs, server names, opaque IDs and device IDs
export { DEVICE_ID, deviceIdProblem, isOpaqueId, opaqueIdProblem, serverNameOrUrlProblem } from "./grammar";

// --- rendezvous: one join per version (product code uses joinRendezvous), timing internals
export { joinV2024Rendezvous } from "./rendezvous/v2024";
export { joinV2025Rendezvous, rendezvousApiForQrPrefix } from "./rendezvous/v2025";
export { RequestPacer, pollIntervalAt, realSleep } from "./rendezvous/timing";
export { rendezvousError, testRuntime, scriptedFetch } from "./rendezvous/doubles.testing";
