// The Matrix device in the main process (plain Node; no Electron import): profiles on disk, the durable crypto
// store, and the end-to-end-encryption operations a device of this app needs to approve another device or to be
// signed in by one. Everything outside `matrix/` imports it through this file.
export { MatrixError, isMatrixError, MATRIX_ERROR_TABLE, type MatrixErrorCode } from "./errors";
export { dataRoot, resolveProfileDir, isProfileName, DEFAULT_PROFILE, type ProfileLocation } from "./paths";
export { Profile, CRYPTO_SNAPSHOT_FILE, type OpenProfileOptions, type ProfileAccount } from "./profile";
export {
  PROFILE_FILE,
  PROFILE_FORMAT_VERSION,
  DEFAULT_SETTINGS,
  type ProfileData,
  type ProfileSettings,
  type StoredOAuthClient,
} from "./profile-file";
export {
  FileSecretStore,
  SECRETS_FILE,
  parseProfileSecrets,
  type SecretStore,
  type ProfileSecrets,
  type StoredTokens,
} from "./secret-store";
export { LOCK_FILE, lockProfile, type LockHolder, type ProfileLock } from "./lock";
export { fixedAccessToken, pathSegment, type AccessTokenSource, type RetryOptions } from "./http";
export {
  startDevice,
  MatrixDevice,
  silentLogger,
  type StartDeviceOptions,
  type DeviceState,
  type ServerView,
  type AccountDevice,
  type AccountPageAction,
  type RecoveryKey,
  type ResetIdentityOptions,
  type SecretsBundle,
} from "./device";
export { accountPageUrl, defaultDeviceDisplayName } from "./devices";
export { readWhoamiAnswer } from "./whoami";
export type { DeviceTimings } from "./context";
export type { CryptoStoreTimings } from "./crypto-store";
