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

export { type V2025Profile, type LengthWidth, OUR_V2025_PROFILE } from "./v2025-profile";

// --- QR codec (qr/) ---
export { decodeLoginQr, encodeLoginQr, newV2025LoginQr } from "./qr/codec";
export { checkQrIntent } from "./qr/intent";
export { acceptScannedQr, type ScannedQr } from "./qr/scanned";
export { loginQrForSession, type LoginQrOptions } from "./login-qr";
export type { LoginQr, V2024LoginQr, V2025LoginQr, QrPrefix } from "./qr/types";

// --- secure channels (channel/) ---
export { createGeneratorChannel, createScannerChannel, type ChannelOptions } from "./channel/create";

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

// The grammar checks other parts apply to what they read (the OAuth client: device IDs, URLs, server names).
export { isDeviceId, httpUrlProblem, isAbsoluteHttpUrl, isServerName, isLoopbackHostname } from "./grammar";

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
  SESSION_WATCH,
  REQUEST_RATE_LIMIT,
  DEFAULT_BACKOFF,
  DEFAULT_CANCEL_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  deadlineSignal,
  type DeadlineSignal,
  type PollSchedule,
  type PollPhase,
  type RequestRateLimit,
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
  type CreateV2024Options,
  type JoinV2024Options,
} from "./rendezvous/v2024";
export {
  V2025_UNSTABLE_PATH,
  V2025_STABLE_PATH,
  discoverV2025Rendezvous,
  createV2025Rendezvous,
  type V2025Discovery,
  type DiscoverV2025Options,
  type CreateV2025Options,
  type JoinV2025Options,
} from "./rendezvous/v2025";
export { joinRendezvous, type JoinRendezvousOptions } from "./rendezvous/join";
export { createRendezvous, type CreateRendezvousOptions } from "./rendezvous/create";

// --- the conversation after the check code (secure-session.ts) ---
export {
  SecureSession,
  type SecureSessionOptions,
  type MessageOptions,
  type ReceiveMessageOptions,
} from "./secure-session";
