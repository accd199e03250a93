// One profile's account, as the engine holds it: the profile on disk, the OAuth refresher that keeps its tokens
// alive, and the running Matrix device. It is what every host (the command line, Electron, the browser host)
// signs in, approves devices and signs out through, and it gives the sign-in flows the two account ports they
// need (flows/ports.ts): this device as the existing device, or as the new one.
import { FlowFailure, flowError } from "../../src-shared/errors";
import { createBoundedFetch } from "../http";
import {
  defaultDeviceDisplayName,
  readWhoamiAnswer,
  startDevice,
  type AccessTokenSource,
  type MatrixDevice,
  type Profile,
  type ProfileAccount,
  type StartDeviceOptions,
} from "../matrix";
import {
  discoverAuthMetadata,
  pollDeviceToken,
  registerClient,
  signInWithBrowser,
  startDeviceAuthorization,
  TokenRefresher,
  type AuthMetadata,
  type ClientRegistrationStore,
  type TokenSet,
} from "../oauth";
import type { Runtime } from "../protocol";
import type { TranscriptSink } from "../../src-shared/transcript";
import type { OpenUrlResult } from "../flows/host";
import type { ExistingDeviceAccount, NewDeviceAccount, SignedInDevice } from "../flows/ports";
import { isFlowMatrixCall } from "./flow-calls";

/** What a device grant or a browser sign-in ends with. */
interface SignedInInput {
  readonly baseUrl: string;
  readonly metadata: AuthMetadata;
  readonly clientId: string;
  readonly deviceId: string;
  readonly tokens: TokenSet;
}

export interface AccountOptions {
  readonly runtime: Runtime;
  readonly profile: Profile;
  /** Plain http to loopback hosts only (the local devserver). */
  readonly allowInsecureHttp?: boolean;
  /** Device timings and crypto-store debounce (tests pass short ones). */
  readonly device?: Pick<StartDeviceOptions, "timings" | "cryptoStore" | "logger">;
  /** Background failures of the device (a snapshot that could not be written). */
  readonly onError?: (error: unknown) => void;
  /** Told whenever the account's state changes (signed in, signed out here or elsewhere). */
  readonly onChange?: () => void;
}

/** Ten-plus characters of the Matrix device-ID grammar, from the CSPRNG (MSC4108: at least 10). */
function newDeviceId(runtime: Runtime): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  return Array.from(runtime.random(12), (byte) => alphabet[byte % alphabet.length] ?? "A").join("");
}

export class Account {
  readonly #options: AccountOptions;
  #device: MatrixDevice | undefined;
  #refresher: TokenRefresher | undefined;
  #metadata: AuthMetadata | undefined;
  #lifetime = new AbortController();
  /** The transcript of the flow that holds this account (it stamps the flow's current step), while one does. */
  #flowTranscript: TranscriptSink | undefined;

  constructor(options: AccountOptions) {
    this.#options = options;
  }

  /**
   * The runtime of the account's own calls (whoami, the OAuth client's registration, a token refresh): each entry
   * goes to the flow's transcript (with its step) while a flow holds the account, else to the account's own.
   */
  get #callRuntime(): Runtime {
    const runtime = this.#options.runtime;
    return {
      ...runtime,
      transcript: (entry) => {
        (this.#flowTranscript ?? runtime.transcript)(entry);
      },
    };
  }

  /**
   * The Matrix device's runtime: of its calls, only those a flow makes on its own behalf (flow-calls.ts) reach a
   * transcript, the flow's; the client's housekeeping, and every call made while no flow runs, reach none.
   */
  get #deviceRuntime(): Runtime {
    return {
      ...this.#options.runtime,
      transcript: (entry) => {
        const flow = this.#flowTranscript;
        if (flow !== undefined && isFlowMatrixCall(entry)) flow(entry);
      },
    };
  }

  /** Lends the account to a flow (ports.ts `useFlowTranscript`); the returned function ends the loan. */
  #useFlowTranscript(transcript: TranscriptSink): () => void {
    this.#flowTranscript = transcript;
    return () => {
      if (this.#flowTranscript === transcript) this.#flowTranscript = undefined;
    };
  }

  get profile(): Profile {
    return this.#options.profile;
  }

  /** The running device, when this profile is signed in and resumed. */
  get device(): MatrixDevice | undefined {
    return this.#device;
  }

  get metadata(): AuthMetadata | undefined {
    return this.#metadata;
  }

  get #allowInsecureHttp(): boolean {
    return this.#options.allowInsecureHttp === true;
  }

  /**
   * Starts the device of a signed-in profile: the account's OAuth server for the refresher, then the Matrix
   * client and its crypto. Does nothing for a profile that is not signed in.
   */
  async resume(signal: AbortSignal): Promise<void> {
    const account = this.profile.account;
    const tokens = this.profile.tokens;
    if (account === undefined || tokens === undefined || this.#device !== undefined) return;
    const metadata = await discoverAuthMetadata(account.homeserver, {
      runtime: this.#options.runtime,
      signal,
      allowInsecureHttp: this.#allowInsecureHttp,
    });
    const clientId = this.profile.oauthClient?.clientId;
    if (clientId === undefined)
      throw new TypeError(`the profile ${this.profile.dir} has tokens but no OAuth client`);
    await this.#start(
      account,
      metadata,
      clientId,
      {
        accessToken: tokens.accessToken,
        scope: "",
        ...(tokens.refreshToken === undefined ? {} : { refreshToken: tokens.refreshToken }),
        ...(tokens.expiresAt === undefined ? {} : { expiresAt: tokens.expiresAt }),
      },
      signal,
    );
  }

  async #start(
    account: ProfileAccount,
    metadata: AuthMetadata,
    clientId: string,
    tokens: TokenSet,
    signal: AbortSignal,
  ): Promise<MatrixDevice> {
    this.#metadata = metadata;
    const refresher = new TokenRefresher({
      runtime: this.#callRuntime,
      metadata,
      clientId,
      tokens,
      allowInsecureHttp: this.#allowInsecureHttp,
      signal: this.#lifetime.signal,
      onTokens: async (fresh) => {
        await this.profile.saveTokens({
          accessToken: fresh.accessToken,
          ...(fresh.refreshToken === undefined ? {} : { refreshToken: fresh.refreshToken }),
          ...(fresh.expiresAt === undefined ? {} : { expiresAt: fresh.expiresAt }),
        });
      },
    });
    this.#refresher = refresher;
    const source: AccessTokenSource = {
      accessToken: (s) => refresher.accessToken(s),
      refreshAfterUnknownToken: (rejected, s) => refresher.accessToken(s, { rejected }),
      revoke: (s) => refresher.revoke(s),
    };
    const device = await startDevice({
      profile: this.profile,
      runtime: this.#deviceRuntime,
      tokens: source,
      account,
      signal,
      ...this.#options.device,
      ...(this.#options.onError === undefined ? {} : { onError: this.#options.onError }),
    });
    device.onSignedOut(() => {
      this.#device = undefined;
      this.#options.onChange?.();
    });
    this.#device = device;
    this.#options.onChange?.();
    return device;
  }

  /** The client registered at `metadata`'s issuer for this profile, registering (once) when there is none. */
  async clientId(metadata: AuthMetadata, signal: AbortSignal): Promise<string> {
    const { clientId } = await registerClient(metadata, {
      runtime: this.#callRuntime,
      signal,
      allowInsecureHttp: this.#allowInsecureHttp,
      store: this.#registrationStore(metadata),
    });
    return clientId;
  }

  #registrationStore(metadata: AuthMetadata): ClientRegistrationStore {
    const profile = this.profile;
    return {
      get: (issuer) =>
        Promise.resolve(profile.oauthClient?.issuer === issuer ? profile.oauthClient.clientId : undefined),
      set: (issuer, clientId) =>
        profile.setOAuthClient({
          issuer,
          clientId,
          ...(metadata.accountManagementUri === undefined
            ? {}
            : { accountManagementUri: metadata.accountManagementUri }),
        }),
      delete: async (issuer) => {
        if (profile.oauthClient?.issuer === issuer) await profile.setOAuthClient(undefined);
      },
    };
  }

  /**
   * The device got tokens (device grant or browser sign-in): learn who it is (`whoami`), keep the account and
   * the tokens, start the device and name it.
   */
  async signedIn(input: SignedInInput, signal: AbortSignal): Promise<MatrixDevice> {
    return this.#startAndName(await this.#keep(input, signal), input, signal);
  }

  /** `whoami` (which also makes the device exist on the homeserver), then the account and tokens into the profile. */
  async #keep(input: SignedInInput, signal: AbortSignal): Promise<ProfileAccount> {
    const userId = await this.#whoami(input.baseUrl, input.tokens.accessToken, input.deviceId, signal);
    const account: ProfileAccount = { homeserver: input.baseUrl, userId, deviceId: input.deviceId };
    await this.profile.setAccount(account, {
      accessToken: input.tokens.accessToken,
      ...(input.tokens.refreshToken === undefined ? {} : { refreshToken: input.tokens.refreshToken }),
      ...(input.tokens.expiresAt === undefined ? {} : { expiresAt: input.tokens.expiresAt }),
    });
    await this.profile.updateSettings({ homeserver: input.baseUrl });
    return account;
  }

  async #startAndName(
    account: ProfileAccount,
    input: SignedInInput,
    signal: AbortSignal,
  ): Promise<MatrixDevice> {
    const device = await this.#start(account, input.metadata, input.clientId, input.tokens, signal);
    await device.setDisplayName(defaultDeviceDisplayName(), signal).catch((error: unknown) => {
      this.#options.onError?.(error);
    });
    return device;
  }

  async #whoami(
    baseUrl: string,
    accessToken: string,
    deviceId: string,
    signal: AbortSignal,
  ): Promise<string> {
    const fetch = createBoundedFetch({
      runtime: this.#callRuntime,
      layer: "matrix",
      signal,
      timeoutMs: 20_000,
      maxResponseBytes: 64 * 1024,
      allowInsecureHttp: this.#allowInsecureHttp,
    });
    const response = await fetch(`${baseUrl.replace(/\/+$/, "")}/_matrix/client/v3/account/whoami`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    const body: unknown = await response.json().catch(() => undefined);
    return readWhoamiAnswer(response.status, body, deviceId);
  }

  /** Manual sign-in: the authorization code grant with PKCE in the user's browser (RFC 8252 loopback). */
  async signInWithBrowser(
    homeserver: { baseUrl: string },
    openUrl: (url: string) => Promise<OpenUrlResult>,
    signal: AbortSignal,
  ): Promise<MatrixDevice> {
    const runtime = this.#options.runtime;
    const metadata = await discoverAuthMetadata(homeserver.baseUrl, {
      runtime,
      signal,
      allowInsecureHttp: this.#allowInsecureHttp,
    });
    const clientId = await this.clientId(metadata, signal);
    const deviceId = newDeviceId(runtime);
    const tokens = await signInWithBrowser({
      runtime,
      signal,
      metadata,
      clientId,
      deviceId,
      allowInsecureHttp: this.#allowInsecureHttp,
      timeoutMs: 10 * 60_000,
      openUrl: async (url) => {
        await openUrl(url);
      },
    });
    return this.signedIn({ baseUrl: homeserver.baseUrl, metadata, clientId, deviceId, tokens }, signal);
  }

  /**
   * Signs in through the device authorization grant (RFC 8628) without a QR code: the local demo's signed-in
   * window, whose consent `approve` answers in process (the devserver's in-process hook) with the user code.
   */
  async signInWithDeviceGrant(
    homeserver: { baseUrl: string },
    approve: (userCode: string, signal: AbortSignal) => Promise<void>,
    options: { readonly intervalFloorMs?: number },
    signal: AbortSignal,
  ): Promise<MatrixDevice> {
    const runtime = this.#options.runtime;
    const call = { runtime, signal, allowInsecureHttp: this.#allowInsecureHttp };
    const metadata = await discoverAuthMetadata(homeserver.baseUrl, call);
    const clientId = await this.clientId(metadata, signal);
    const deviceId = newDeviceId(runtime);
    const authorization = await startDeviceAuthorization({ ...call, metadata, clientId, deviceId });
    await approve(authorization.userCode, signal);
    const tokens = await pollDeviceToken(authorization, {
      ...call,
      ...(options.intervalFloorMs === undefined ? {} : { intervalFloorMs: options.intervalFloorMs }),
    });
    return this.signedIn({ baseUrl: homeserver.baseUrl, metadata, clientId, deviceId, tokens }, signal);
  }

  /** Signs this device out: revokes its tokens (the server removes it) and forgets its local data. */
  async signOut(signal: AbortSignal): Promise<void> {
    const device = this.#device;
    if (device === undefined) {
      await this.profile.forgetDevice("here");
    } else {
      await device.signOut(signal);
    }
    this.#device = undefined;
    this.#refresher = undefined;
    this.#options.onChange?.();
  }

  /** This device as the one that approves a new device (it must be signed in and running). */
  existingDevice(): ExistingDeviceAccount {
    const device = this.#requireDevice();
    const refresher = this.#refresher;
    const metadata = this.#metadata;
    if (refresher === undefined || metadata === undefined)
      throw new TypeError("the device has no OAuth session");
    return {
      userId: device.account.userId,
      homeserverUrl: device.account.homeserver,
      accessToken: (signal) => refresher.accessToken(signal),
      missingSecrets: async () => ((await device.hasLocalCrossSigningKeys()) ? [] : ["cross_signing_keys"]),
      authServer: () => {
        const endpoint = metadata.deviceAuthorizationEndpoint;
        if (endpoint === undefined) {
          return Promise.reject(
            new FlowFailure(
              flowError(
                "server_unsupported",
                "the account's OAuth server has no device grant",
                "no_device_grant",
              ),
            ),
          );
        }
        return Promise.resolve({ issuer: metadata.issuer, deviceAuthorizationEndpoint: endpoint });
      },
      deviceExists: (deviceId, signal) => device.deviceExists(deviceId, signal),
      exportSecretsBundle: () => device.exportSecretsBundle(),
      isDeviceVerified: async (deviceId, signal) => (await device.serverView(deviceId, signal)).verified,
      useFlowTranscript: (transcript) => this.#useFlowTranscript(transcript),
    };
  }

  /** This (signed-out) profile as the device to be signed in. */
  newDevice(): NewDeviceAccount {
    if (this.#device !== undefined) throw new TypeError("this profile is signed in already");
    const runtime = this.#options.runtime;
    const chosen = this.profile.settings.homeserver;
    return {
      ...(chosen === undefined ? {} : { chosenHomeserver: chosen }),
      newDeviceId: () => newDeviceId(runtime),
      clientId: (metadata, signal) => this.clientId(metadata, signal),
      useFlowTranscript: (transcript) => this.#useFlowTranscript(transcript),
      signIn: async (input, signal): Promise<SignedInDevice> => {
        const signedIn: SignedInInput = { ...input, tokens: { scope: "", ...input.tokens } };
        const account = await this.#keep(signedIn, signal);
        // MSC4108 A-S10 / B-G11 need the device to exist on the homeserver (whoami made it so), not to run: the
        // device starts (crypto, first sync, device keys) while the flow tells the other device and waits for
        // the secrets, rather than before.
        const starting = this.#startAndName(account, signedIn, signal);
        let importing = false;
        starting.catch((error: unknown) => {
          // The import, the flow's next step, throws it; a flow that ended before (cancelled, the secrets never
          // came) leaves a signed-in profile whose device did not start, which the host hears of here.
          if (!importing && !signal.aborted) this.#options.onError?.(error);
        });
        return {
          userId: account.userId,
          deviceId: account.deviceId,
          importSecretsBundle: async (bundle, s) => {
            importing = true;
            return (await starting).importSecretsBundle(bundle, s);
          },
        };
      },
    };
  }

  #requireDevice(): MatrixDevice {
    if (this.#device === undefined) {
      throw new FlowFailure(flowError("signed_out", "this device is not signed in", "not_signed_in"));
    }
    return this.#device;
  }

  /** Stops the device and the refresher; the profile stays open (its owner closes it). */
  async stop(): Promise<void> {
    this.#lifetime.abort();
    this.#lifetime = new AbortController();
    const device = this.#device;
    this.#device = undefined;
    this.#refresher = undefined;
    await device?.stop();
  }
}
