// The public face of the protocol core. Everything outside src-main/protocol/ imports from here only.
// Pure TypeScript: nothing here imports Electron, React, or does I/O other than through injected functions.

export type { WireVersion, Intent, RendezvousAad } from "./types";
export { type Runtime, createRuntime } from "./runtime";
export { ProtocolError, isProtocolError, type ProtocolErrorCode } from "./errors";
export { encodeBase64, decodeBase64 } from "./base64";
export { urlPath, pathSegment } from "./url-path";
export { type RandomSource, secureRandom } from "./random";
export type {
  EstablishedChannel,
  ScannerChannel,
  ScannerUnconfirmed,
  GeneratorChannel,
  GeneratorPendingOk,
  GeneratorUnconfirmed,
  ConfirmResult,
} from "./channel/types";
export { CHECK_CODE_ATTEMPTS } from "./channel/types";

export {
  type V2025Profile,
  type LengthWidth,
  OUR_V2025_PROFILE,
  RUST_SDK_BRANCH_PROFILE,
  MSC_TEXT_PROFILE,
  profileForQrFraming,
} from "./v2025-profile";

// --- QR codec (qr/) ---
export { decodeLoginQr, encodeLoginQr, newV2025LoginQr } from "./qr/codec";
export { checkQrIntent } from "./qr/intent";
export { loginQrForSession, type LoginQrOptions } from "./login-qr";
export type { LoginQr, V2024LoginQr, V2025LoginQr, QrPrefix } from "./qr/types";

// --- secure channels (channel/) ---
export { createV2024GeneratorChannel, createV2024ScannerChannel } from "./channel/v2024";
export { createV2025GeneratorChannel, createV2025ScannerChannel, encodeRendezvousAad } from "./channel/v2025";
export {
  createGeneratorChannel,
  createScannerChannel,
  type ChannelOptions,
  type ScannerChannelOptions,
} from "./channel/create";

// --- login messages (messages/) ---
export {
  type LoginMessage,
  type LoginMessageType,
  type LoginProtocolsMessage,
  type LoginProtocolMessage,
  type DeviceAuthorizationGrantProtocolMessage,
  type UnknownProtocolMessage,
  type DeviceAuthorizationGrant,
  type LoginProtocolAcceptedMessage,
  type LoginSuccessMessage,
  type LoginDeclinedMessage,
  type LoginFailureMessage,
  type KnownFailureReason,
  type LoginSecretsMessage,
  type CrossSigningSecrets,
  type BackupSecrets,
  type UnknownValue,
  type LoginMessageDescription,
  type HomeserverLocator,
  DEVICE_AUTHORIZATION_GRANT,
  MEGOLM_BACKUP_V1,
  KNOWN_FAILURE_REASONS,
  parseLoginMessage,
  serializeLoginMessage,
  describeLoginMessage,
  classifyHomeserver,
  checkVerificationUri,
  type VerificationUriCheck,
  type VerificationUriContext,
  type VerificationUriProblem,
} from "./messages";
export {
  DEVICE_ID,
  deviceIdProblem,
  isDeviceId,
  hasDotSegment,
  isLoopbackHostname,
  httpUrlProblem,
  isAbsoluteHttpUrl,
  isServerName,
  isOpaqueId,
  opaqueIdProblem,
  serverNameOrUrlProblem,
} from "./grammar";

// --- rendezvous (rendezvous/) ---
export {
  RendezvousError,
  isRendezvousError,
  type RendezvousErrorCode,
  type RendezvousErrorReason,
  type ProxyInterferenceReason,
  type NetworkFailureReason,
} from "./rendezvous/errors";
export {
  MACHINE_REPLY_DUE,
  PERSON_ACTING,
  MIN_REQUEST_SPACING_MS,
  DEFAULT_BACKOFF,
  DEFAULT_CANCEL_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  deadlineSignal,
  realSleep,
  type DeadlineSignal,
  type PollSchedule,
  type PollPhase,
  type BackoffOptions,
  type Now,
  type Sleep,
} from "./rendezvous/timing";
export {
  MIN_SESSION_LIFETIME_MS,
  MAX_SESSION_LIFETIME_MS,
  type FetchFunction,
  type RendezvousClientOptions,
} from "./rendezvous/transport";
export type {
  RendezvousSession,
  V2024RendezvousSession,
  V2025RendezvousSession,
  RendezvousApi,
  ReceivedMessage,
  ReceiveOptions,
  SealMessage,
  SignalOption,
  CancelOptions,
} from "./rendezvous/types";
export {
  V2024_CREATE_PATH,
  createV2024Rendezvous,
  joinV2024Rendezvous,
  type CreateV2024Options,
  type JoinV2024Options,
} from "./rendezvous/v2024";
export {
  V2025_UNSTABLE_PATH,
  V2025_STABLE_PATH,
  discoverV2025Rendezvous,
  createV2025Rendezvous,
  joinV2025Rendezvous,
  rendezvousApiForQrPrefix,
  type V2025Discovery,
  type DiscoverV2025Options,
  type CreateV2025Options,
  type JoinV2025Options,
} from "./rendezvous/v2025";
export { joinRendezvous, type JoinRendezvousOptions } from "./rendezvous/join";
export { createRendezvous, type CreateRendezvousOptions } from "./rendezvous/create";
