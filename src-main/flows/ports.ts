// What the flows need of the Matrix account on each side, as two small interfaces. `src-main/matrix/`
// implements them for a profile; the flows never touch matrix-js-sdk, tokens or stores themselves, which keeps
// them about the protocol (docs/protocol.md §5) and lets a test swap in another real account.
import type { AuthMetadata } from "../oauth";
import type { CrossSigningSecrets, BackupSecrets } from "../protocol";
import type { TranscriptSink } from "../../src-shared/transcript";

/** What both accounts give a flow for its transcript. */
export interface FlowTranscriptPort {
  /**
   * From now on, the account's calls on the flow's behalf (its Matrix calls: `GET /devices/{id}`, whoami, the
   * device's keys and self-signing; the OAuth client's registration) write their transcript entries to
   * `transcript`, the flow's, which stamps each with the flow's current step (docs/protocol.md §5). The Matrix
   * client's own housekeeping (sync, key queries, backup checks) is no entry of it. The returned function ends
   * this once the flow has ended.
   */
  useFlowTranscript(transcript: TranscriptSink): () => void;
}

/** The secrets of `m.login.secrets` (docs/protocol.md §7), without its `type`. */
export interface SecretsBundle {
  readonly cross_signing: CrossSigningSecrets;
  readonly backup?: BackupSecrets;
}

/** Where the account's OAuth server is: what a peer's verification URI must match (checkVerificationUri). */
export interface AccountAuthServer {
  readonly issuer: string;
  readonly deviceAuthorizationEndpoint: string;
}

/** The signed-in device that approves a new one (the existing device). */
export interface ExistingDeviceAccount extends FlowTranscriptPort {
  readonly userId: string;
  /** The account's homeserver, client-server API base URL: sent in `m.login.protocols`, and in the QR. */
  readonly homeserverUrl: string;
  /** For rendezvous servers that create sessions only for signed-in users (MSC4388 `authenticated`). */
  accessToken(signal: AbortSignal): Promise<string>;
  /** Which private cross-signing keys this device lacks (empty: it can approve other devices). */
  missingSecrets(signal: AbortSignal): Promise<readonly string[]>;
  authServer(signal: AbortSignal): Promise<AccountAuthServer>;
  /** `GET /devices/{id}`: true on 200, false on 404; anything else throws (a 5xx is retried inside). */
  deviceExists(deviceId: string, signal: AbortSignal): Promise<boolean>;
  exportSecretsBundle(signal: AbortSignal): Promise<SecretsBundle>;
  /** Whether the homeserver shows `deviceId` signed by the account's self-signing key. */
  isDeviceVerified(deviceId: string, signal: AbortSignal): Promise<boolean>;
}

/** What the new device ends with once it holds tokens. */
export interface SignedInDevice {
  readonly userId: string;
  readonly deviceId: string;
  /**
   * Checks the secrets against the server's public keys, imports them, cross-signs this device; resolves to the
   * server's view of this device after: cross-signed, and holding the current backup's key.
   */
  importSecretsBundle(
    bundle: SecretsBundle,
    signal: AbortSignal,
  ): Promise<{ readonly verified: boolean; readonly backup: boolean }>;
}

/** The tokens of a finished device grant, as the OAuth client returns them. */
export interface GrantedTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly expiresAt?: number;
  readonly scope?: string;
}

/** The device being signed in (the new device). */
export interface NewDeviceAccount extends FlowTranscriptPort {
  /** The homeserver the user chose, if any (a server name or a URL): where a shown QR's rendezvous lives. */
  readonly chosenHomeserver?: string;
  /** A fresh device ID for the device grant (at least 10 characters of the Matrix grammar). */
  newDeviceId(): string;
  /** The OAuth client registered at the account's OAuth server (cached per issuer). */
  clientId(metadata: AuthMetadata, signal: AbortSignal): Promise<string>;
  /**
   * Keeps the tokens once whoami answered (the device exists on the homeserver from then on) and starts the
   * Matrix device on `baseUrl` (crypto, device keys); the import waits for the start.
   */
  signIn(
    input: {
      readonly baseUrl: string;
      readonly metadata: AuthMetadata;
      readonly clientId: string;
      readonly deviceId: string;
      readonly tokens: GrantedTokens;
    },
    signal: AbortSignal,
  ): Promise<SignedInDevice>;
}
