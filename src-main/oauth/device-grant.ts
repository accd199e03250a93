// The OAuth 2.0 device authorization grant (RFC 8628; Matrix v1.18) as the new device runs it (steps A-S4/A-S7,
// B-G7/B-G10): ask for a device code with the API scope and exactly one device scope, hand the user code and the
// verification URIs to the caller at once, then poll the token endpoint until the user approves or declines or the
// code expires. The user code is shown verbatim: MAS issues 6 characters of Crockford base32 today and other
// servers other alphabets and lengths, so nothing is assumed about it. The device code is a bearer secret for the
// token endpoint: it never leaves this module (kept beside the returned object, which serialises without it).
import * as oauth from "oauth4webapi";
import { httpUrlProblem, isDeviceId } from "../protocol";
import { OAuthError } from "./errors";
import {
  callEndpoint,
  described,
  libraryOptions,
  oauthErrorBodyOf,
  oauthFailure,
  genericOAuthError,
  readAnswer,
  statusError,
  type OAuthCallOptions,
} from "./http";
import {
  scopeFamily as preferredScopeFamily,
  supportsDeviceGrant,
  toAuthorizationServer,
  type AuthMetadata,
} from "./metadata";
import { deviceScope, matrixScope, otherFamily, type ScopeFamily } from "./scopes";
import { checkDeviceScope, tokenSetFrom, type TokenSet } from "./tokens";

export interface StartDeviceAuthorizationOptions extends OAuthCallOptions {
  readonly metadata: AuthMetadata;
  readonly clientId: string;
  /** The device ID this device asks for (and sends the other device in `m.login.protocol`). */
  readonly deviceId: string;
  /** Ask in this family first. Default: `scopeFamily(metadata)`. */
  readonly scopeFamily?: ScopeFamily;
}

/** A device code in progress: what the user needs to see, and when it ends. Plain data; holds no secret. */
export interface DeviceAuthorization {
  /** Shown to the user exactly as received. */
  readonly userCode: string;
  readonly verificationUri: string;
  /** The verification URI with the user code filled in; MAS omits it by default. */
  readonly verificationUriComplete?: string;
  /** When the device code expires, on the runtime's clock (ms). */
  readonly expiresAt: number;
  /** The polling interval the server asked for (RFC 8628 default 5 s). */
  readonly intervalMs: number;
  readonly deviceId: string;
  readonly scope: string;
  readonly scopeFamily: ScopeFamily;
  readonly clientId: string;
  readonly issuer: string;
}

interface DeviceCodeSecret {
  readonly deviceCode: string;
  readonly metadata: AuthMetadata;
  /** When the device authorization response arrived: the first poll may go one interval after it. */
  readonly receivedAt: number;
}

// The device code lives here, keyed by the object handed out: JSON, structured clone and IPC never see it.
const secrets = new WeakMap<DeviceAuthorization, DeviceCodeSecret>();

/** RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
const DEFAULT_INTERVAL_MS = 5000;
/**
 * The longest a device code is taken to live, and so the longest we poll for it: a person is waiting at the screen
 * and real servers give minutes (RFC 8628 §3.2's example: 1800 s). A longer `expires_in`, or an `interval` beyond
 * it, is cut to this: `1e308` seconds is a valid JSON number whose milliseconds are infinite.
 */
const MAX_DEVICE_CODE_LIFETIME_MS = 24 * 3_600_000;
/** RFC 8628 §3.5: on `slow_down` "the interval MUST be increased by 5 seconds for this and all subsequent requests". */
const SLOW_DOWN_STEP_MS = 5000;

function verificationUriProblem(value: string, field: string): OAuthError | undefined {
  const problem = httpUrlProblem(value);
  return problem === undefined
    ? undefined
    : new OAuthError("invalid_response", `device authorization: ${field} ${problem}`, {
        reason: "invalid_verification_uri",
      });
}

async function requestDeviceCode(
  options: StartDeviceAuthorizationOptions,
  family: ScopeFamily,
): Promise<DeviceAuthorization> {
  const { metadata, clientId, deviceId, runtime } = options;
  const as = toAuthorizationServer(metadata);
  const client: oauth.Client = { client_id: clientId };
  const scope = matrixScope(family, deviceId);
  const what = "device authorization";
  const response = await callEndpoint(
    what,
    options,
    200,
    () => oauth.deviceAuthorizationRequest(as, client, oauth.None(), { scope }, libraryOptions(options)),
    (answer) => oauth.processDeviceAuthorizationResponse(as, client, answer),
    (body, status) => {
      switch (body.error) {
        // MAS with the grant switched off refuses the request itself (docs/protocol.md §6).
        case "invalid_request":
          return new OAuthError("device_grant_disabled", `${what}: refused${described(body)}`, { status });
        // MAS: the client did not register the grant. A client cached from before may lack it: register again.
        case "unauthorized_client":
          return new OAuthError(
            "device_grant_disabled",
            `${what}: this client may not use the grant${described(body)}`,
            {
              status,
              clientRejected: true,
            },
          );
        default:
          return undefined;
      }
    },
  );
  const receivedAt = runtime.now();
  const problem =
    verificationUriProblem(response.verification_uri, "verification_uri") ??
    (response.verification_uri_complete === undefined
      ? undefined
      : verificationUriProblem(response.verification_uri_complete, "verification_uri_complete"));
  if (problem !== undefined) throw problem;
  const lifetimeMs = Math.min(response.expires_in * 1000, MAX_DEVICE_CODE_LIFETIME_MS);
  const authorization: DeviceAuthorization = Object.freeze({
    userCode: response.user_code,
    verificationUri: response.verification_uri,
    ...(response.verification_uri_complete === undefined
      ? {}
      : { verificationUriComplete: response.verification_uri_complete }),
    expiresAt: receivedAt + lifetimeMs,
    intervalMs: Math.min(
      response.interval === undefined ? DEFAULT_INTERVAL_MS : response.interval * 1000,
      lifetimeMs,
    ),
    deviceId,
    scope,
    scopeFamily: family,
    clientId,
    issuer: metadata.issuer,
  });
  secrets.set(authorization, { deviceCode: response.device_code, metadata, receivedAt });
  return authorization;
}

/**
 * Asks for a device code. The scope family is the server's preferred one; if the server answers `invalid_scope`,
 * once more in the other family (Element X still uses the unstable names; some servers know only one family).
 */
export async function startDeviceAuthorization(
  options: StartDeviceAuthorizationOptions,
): Promise<DeviceAuthorization> {
  if (!isDeviceId(options.deviceId)) throw new TypeError("startDeviceAuthorization: not a valid device ID");
  if (!supportsDeviceGrant(options.metadata)) {
    throw new OAuthError("no_device_grant", "the OAuth server does not offer the device authorization grant");
  }
  const first = options.scopeFamily ?? preferredScopeFamily(options.metadata);
  try {
    return await requestDeviceCode(options, first);
  } catch (error) {
    if (!(error instanceof OAuthError) || error.code !== "invalid_scope") throw error;
    return requestDeviceCode(options, otherFamily(first));
  }
}

export interface PollDeviceTokenOptions extends OAuthCallOptions {
  /** The shortest wait between two polls, whatever the server announces. Default 1 s. */
  readonly intervalFloorMs?: number;
  /** Told after every poll that did not end the grant (for a progress display or diagnostics). */
  readonly onPoll?: (outcome: "pending" | "slow_down" | "retrying") => void;
}

type PollOutcome =
  | { readonly kind: "tokens"; readonly tokens: TokenSet }
  | { readonly kind: "pending" }
  | { readonly kind: "slow_down" };

const TRANSIENT: ReadonlySet<string> = new Set(["network", "timeout", "server_error", "rate_limited"]);

async function pollOnce(
  authorization: DeviceAuthorization,
  secret: DeviceCodeSecret,
  options: PollDeviceTokenOptions,
): Promise<PollOutcome> {
  const what = "device token poll";
  const as = toAuthorizationServer(secret.metadata);
  const client: oauth.Client = { client_id: authorization.clientId };
  try {
    const response = await oauth.deviceCodeGrantRequest(
      as,
      client,
      oauth.None(),
      secret.deviceCode,
      libraryOptions(options),
    );
    const receivedAt = options.runtime.now();
    if (response.status !== 200) {
      // The JSON `error`, whatever the status: RFC 8628 says 400, MAS sends 403, Tuwunel 429 with `slow_down`.
      const body = await oauthErrorBodyOf(response);
      if (body === undefined) throw statusError(what, response.status);
      switch (body.error) {
        case "authorization_pending":
          return { kind: "pending" };
        case "slow_down":
          return { kind: "slow_down" };
        case "access_denied":
          throw new OAuthError("declined", `${what}: the user declined${described(body)}`, {
            status: response.status,
          });
        case "expired_token":
          throw new OAuthError("expired", `${what}: the device code expired${described(body)}`, {
            status: response.status,
            reason: "expired_token",
          });
        // The code is unknown or already used: for this device it has run out all the same.
        case "invalid_grant":
          throw new OAuthError("expired", `${what}: the device code is no longer valid${described(body)}`, {
            status: response.status,
            reason: "invalid_grant",
          });
        default:
          throw genericOAuthError(what, body, response.status);
      }
    }
    const tokens = tokenSetFrom(
      await readAnswer(what, response, (answer) => oauth.processDeviceCodeResponse(as, client, answer)),
      authorization.scope,
      receivedAt,
    );
    return {
      kind: "tokens",
      tokens: checkDeviceScope(tokens, deviceScope(authorization.scopeFamily, authorization.deviceId), what),
    };
  } catch (error) {
    throw oauthFailure(error, what, options.signal);
  }
}

/**
 * Polls the token endpoint until the user decides: never sooner than the interval after the previous answer (5 s
 * more after each `slow_down`), and not past `expiresAt`. Transient failures (network, timeouts, 5xx, 429) are
 * polled through until the code expires; then the last of them is thrown. Rejects with OAuthError `declined`
 * (`access_denied`), `expired` (`expired_token`, or `expires_in` ran out here), or the signal's reason.
 */
export async function pollDeviceToken(
  authorization: DeviceAuthorization,
  options: PollDeviceTokenOptions,
): Promise<TokenSet> {
  const secret = secrets.get(authorization);
  if (secret === undefined) {
    throw new TypeError(
      "pollDeviceToken needs the DeviceAuthorization that startDeviceAuthorization returned",
    );
  }
  const { runtime, signal } = options;
  let intervalMs = Math.max(authorization.intervalMs, options.intervalFloorMs ?? 1000);
  let lastTransient: OAuthError | undefined;
  // RFC 8628 §3.4-3.5 counts the interval between requests: the first poll is due one interval after the device
  // authorization response, not one interval after polling starts. A flow that starts polling only once the other
  // device has read the user code (MSC4108 A-S7) has usually spent part of that interval already, and a user who
  // consented at once is then seen that much sooner.
  // A clock that went back since then never makes the first wait longer than one interval.
  let sinceLastAnswerMs = Math.max(0, runtime.now() - secret.receivedAt);
  for (;;) {
    const left = authorization.expiresAt - runtime.now();
    if (left <= 0) {
      throw (
        lastTransient ??
        new OAuthError("expired", "the device code expired before the user approved", {
          reason: "expires_in",
        })
      );
    }
    await runtime.sleep(Math.min(Math.max(0, intervalMs - sinceLastAnswerMs), left), signal);
    sinceLastAnswerMs = 0;
    signal.throwIfAborted();
    if (runtime.now() >= authorization.expiresAt) continue;
    let outcome: PollOutcome;
    try {
      outcome = await pollOnce(authorization, secret, options);
    } catch (error) {
      if (!(error instanceof OAuthError) || !TRANSIENT.has(error.code)) throw error;
      lastTransient = error;
      // A 429 without `slow_down` asks for the same thing.
      if (error.code === "rate_limited") intervalMs += SLOW_DOWN_STEP_MS;
      options.onPoll?.("retrying");
      continue;
    }
    switch (outcome.kind) {
      case "tokens":
        return outcome.tokens;
      case "slow_down":
        intervalMs += SLOW_DOWN_STEP_MS;
        options.onPoll?.("slow_down");
        break;
      case "pending":
        lastTransient = undefined;
        options.onPoll?.("pending");
        break;
    }
  }
}
