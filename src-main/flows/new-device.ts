// The new device: it is signed in through the OAuth 2.0 device authorization grant and receives the account's
// secrets (MSC4108, docs/protocol.md §5: direction A when it scans the QR code, A-S1..A-S11; direction B when it
// shows it, B-G1..B-G12).
import { FlowFailure, flowError, receivedFailureToFlowError, type FlowError } from "../../src-shared/errors";
import type { FlowPhase, WireVersion } from "../../src-shared/flow";
import type { ProtocolStep } from "../../src-shared/protocol-steps";
import {
  DEFAULT_BACKOFF,
  DEVICE_AUTHORIZATION_GRANT,
  isRendezvousError,
  type BackoffOptions,
  type LoginMessageType,
  type SecureSession,
} from "../protocol";
import {
  discoverAuthMetadata,
  pollDeviceToken,
  resolveHomeserver,
  startDeviceAuthorization,
  type DeviceAuthorization,
} from "../oauth";
import type { FlowContext } from "./controller";
import { endConversation, type Conversation } from "./conversation";
import { expectMessage, failWith } from "./exchange";
import { showQrUntilConfirmed } from "./generator";
import type { SteppedHost } from "./host";
import type { FlowTimings } from "./options";
import type { GrantedTokens, NewDeviceAccount, SecretsBundle } from "./ports";
import { chooseVersion } from "./preflight";
import { scanAndConnect } from "./scanner";

export interface NewDeviceOptions {
  readonly host: SteppedHost;
  readonly timings: FlowTimings;
  readonly account: NewDeviceAccount;
  readonly side: "generator" | "scanner";
  readonly version: WireVersion;
  readonly allowInsecureHttp: boolean;
  /** A fixed device ID instead of a fresh one (tests: Element X's `+` and `/`). */
  readonly deviceId?: string;
  readonly onSeal?: (type: LoginMessageType) => void;
}

type Done = Extract<FlowPhase, { phase: "done" }>;

export async function runNewDevice(ctx: FlowContext, options: NewDeviceOptions): Promise<Done> {
  const conversation: Conversation = {};
  try {
    return await signInThisDevice(ctx, options, conversation);
  } catch (error) {
    await endConversation(
      conversation,
      ctx.signal.aborted ? "user_cancelled" : undefined,
      options.host,
      options.timings,
    );
    throw error;
  }
}

async function signInThisDevice(
  ctx: FlowContext,
  options: NewDeviceOptions,
  conversation: Conversation,
): Promise<Done> {
  const { host, timings, account } = options;
  const signal = ctx.signal;
  const resolve = async (serverNameOrUrl: string): Promise<string> =>
    (
      await resolveHomeserver(serverNameOrUrl, {
        runtime: host,
        signal,
        allowInsecureHttp: options.allowInsecureHttp,
      })
    ).baseUrl;

  let session: SecureSession;
  let accountBaseUrl: string;
  let direction: "A" | "B";
  // Resolving the chosen homeserver and choosing the wire version are part of the first step (B-G1 or A-S1).
  host.step(options.side === "generator" ? "B-G1" : "A-S1");
  const chosen = account.chosenHomeserver === undefined ? undefined : await resolve(account.chosenHomeserver);

  if (options.side === "generator") {
    direction = "B";
    if (chosen === undefined) {
      throw new FlowFailure(
        flowError(
          "server_unsupported",
          "showing a QR code needs a homeserver for the rendezvous",
          "no_homeserver",
        ),
      );
    }
    const choice = await chooseVersion(host, {
      baseUrl: chosen,
      preferred: options.version,
      signal,
      allowInsecureHttp: options.allowInsecureHttp,
    });
    session = await showQrUntilConfirmed({
      ctx,
      host,
      timings,
      conversation,
      intent: "new_device",
      baseUrl: chosen,
      version: choice.version,
      versions: choice.available,
      allowInsecureHttp: options.allowInsecureHttp,
      ...(options.onSeal === undefined ? {} : { onSeal: options.onSeal }),
      direction,
    });
    conversation.secure = session;
    // Its user typed the check code: the channel is confirmed on both sides.
    conversation.peerReads = true;
    // B-G5: where the account lives, as the existing device says.
    host.step("B-G5");
    const protocols = await expectMessage(conversation, session, ["m.login.protocols"], {
      signal,
      schedule: timings.machineReply,
      step: "B-G5",
    });
    // B-G6
    if (!protocols.protocols.includes(DEVICE_AUTHORIZATION_GRANT)) {
      host.step("B-G6");
      return failWith(
        conversation,
        session,
        "unsupported_protocol",
        flowError("protocol_error", "the other device offers no protocol we speak", "unsupported_protocol"),
        signal,
      );
    }
    accountBaseUrl = await resolve(protocols.homeserver);
  } else {
    direction = "A";
    const scanned = await scanAndConnect({
      ctx,
      host,
      timings,
      conversation,
      ourRole: "new_device",
      allowInsecureHttp: options.allowInsecureHttp,
      ...(options.onSeal === undefined ? {} : { onSeal: options.onSeal }),
      direction,
    });
    session = scanned.session;
    const named = scanned.qr.version === "v2024" ? scanned.qr.serverName : scanned.qr.baseUrl;
    if (named === undefined)
      throw new TypeError("a sign-in QR code of an existing device names its homeserver");
    accountBaseUrl = await resolve(named);
  }
  // Direction B's list numbers the same steps from B-G7 on, and folds A-S8..A-S10 into B-G11.
  const step = (n: number): ProtocolStep =>
    (direction === "A" ? `A-S${n}` : `B-G${n <= 7 ? n + 3 : n <= 10 ? 11 : 12}`) as ProtocolStep;

  // A different homeserver than the one the user chose is the user's call (only the new device asks).
  if (chosen !== undefined && !sameBaseUrl(chosen, accountBaseUrl)) {
    const shown = ctx.signal;
    ctx.show({ phase: "confirm_homeserver", from: chosen, to: accountBaseUrl }, ["confirmHomeserver"]);
    const answer = await ctx.next(["confirmHomeserver"], shown);
    if (!answer.accept) {
      return failWith(
        conversation,
        session,
        "user_cancelled",
        flowError(
          "cancelled_here",
          "the homeserver of the other device was not accepted",
          "homeserver_refused",
        ),
        signal,
      );
    }
  }
  if (direction === "B") ctx.show({ phase: "negotiating" });

  // A-S4 / B-G7: OAuth discovery, registration, device authorization at the account's server.
  // Each of these is safe to repeat (a second device code only leaves the first to expire): a transient failure
  // is retried while the rendezvous lives, as the rendezvous clients do with theirs (docs/protocol.md §2.3).
  host.step(step(4));
  const retrying = <T>(work: () => Promise<T>): Promise<T> =>
    retryWhileSessionLives(host, session, signal, timings.retryBackoff ?? DEFAULT_BACKOFF, work);
  const metadata = await retrying(() =>
    discoverAuthMetadata(accountBaseUrl, {
      runtime: host,
      signal,
      allowInsecureHttp: options.allowInsecureHttp,
    }),
  );
  const clientId = await retrying(() => account.clientId(metadata, signal));
  const deviceId = options.deviceId ?? account.newDeviceId();
  const authorization = await retrying(() =>
    startDeviceAuthorization({
      metadata,
      clientId,
      deviceId,
      runtime: host,
      signal,
      allowInsecureHttp: options.allowInsecureHttp,
    }),
  );

  // A-S5 / B-G8
  host.step(step(5));
  await session.sendMessage(
    {
      type: "m.login.protocol",
      protocol: DEVICE_AUTHORIZATION_GRANT,
      device_authorization_grant: {
        verification_uri: authorization.verificationUri,
        ...(authorization.verificationUriComplete === undefined
          ? {}
          : { verification_uri_complete: authorization.verificationUriComplete }),
      },
      device_id: deviceId,
    },
    { signal },
  );

  // A-S6 / B-G9: the existing device's user approves this device and opens the consent page.
  host.step(step(6));
  await expectMessage(conversation, session, ["m.login.protocol_accepted"], {
    signal,
    schedule: timings.personActing,
    step: step(6),
  });

  // A-S7 / B-G10
  host.step(step(7));
  ctx.show({
    phase: "waiting_for_approval",
    userCode: authorization.userCode,
    verificationUri: authorization.verificationUriComplete ?? authorization.verificationUri,
  });
  const tokens = await grantWhileWatching(ctx, options, conversation, session, authorization, step);

  // A-S10 / B-G11: signed in; tell the other device so it sends the secrets.
  host.step(step(10));
  const device = await account.signIn(
    { baseUrl: accountBaseUrl, metadata, clientId, deviceId, tokens },
    signal,
  );
  await session.sendMessage({ type: "m.login.success" }, { signal });

  // A-S11 / B-G12
  ctx.show({ phase: "syncing_secrets" });
  host.step(step(11));
  let secrets: SecretsBundle;
  try {
    const message = await expectMessage(conversation, session, ["m.login.secrets"], {
      signal,
      schedule: timings.machineReply,
      step: step(11),
    });
    const { type: _type, ...bundle } = message;
    secrets = bundle;
  } catch (error) {
    // We hold tokens: keep the session and say how to finish, never revoke silently.
    if (isRendezvousError(error, "expired")) {
      throw new FlowFailure(signedInUnverified("the rendezvous ended before the secrets arrived"));
    }
    throw error;
  }
  conversation.secure = undefined;
  conversation.rendezvous = undefined;
  // The last message of the sign-in is read and the peer reads nothing more: the rendezvous, the sealed secrets
  // in it, goes now rather than lingering until it expires. Best effort (its own short timeout), while the secrets
  // are imported.
  const deleting = session.cancel().catch(() => undefined);
  try {
    const view = await device.importSecretsBundle(secrets, signal);
    return { phase: "done", userId: device.userId, deviceId: device.deviceId, ...view };
  } finally {
    await deleting;
  }
}

/**
 * Polls the token endpoint while watching the rendezvous: the other device cannot write during this step
 * (it is our turn), so the watch notices only the session vanishing (cancelled there, or expired).
 */
async function grantWhileWatching(
  ctx: FlowContext,
  options: NewDeviceOptions,
  conversation: Conversation,
  session: SecureSession,
  authorization: DeviceAuthorization,
  step: (n: number) => ProtocolStep,
): Promise<GrantedTokens> {
  const { host, timings } = options;
  const signal = ctx.signal;
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  const watch = session.receiveMessage({ signal: both, schedule: timings.watching, step: step(7) });
  watch.catch(() => undefined);
  try {
    const outcome = await Promise.race([
      pollDeviceToken(authorization, {
        runtime: host,
        signal: both,
        allowInsecureHttp: options.allowInsecureHttp,
        ...(timings.minGrantIntervalMs === undefined ? {} : { intervalFloorMs: timings.minGrantIntervalMs }),
      }).then((tokens) => ({ tokens })),
      watch.then((message) => ({ message })),
    ]);
    if ("message" in outcome) {
      const message = outcome.message;
      if (message.type === "m.login.failure") {
        // Out of turn, but it says why the other device stopped: show that, not the turn it broke.
        conversation.secure = undefined;
        session.close();
        throw new FlowFailure(
          receivedFailureToFlowError(
            typeof message.reason === "string" ? message.reason : message.reason.unknown,
          ),
        );
      }
      throw new FlowFailure(
        flowError("unexpected_message", `received ${outcome.message.type} while waiting for approval`),
      );
    }
    return outcome.tokens;
  } catch (error) {
    const folded = grantFailure(error);
    if (folded === "declined") {
      host.step(step(8));
      stop.abort();
      await watch.catch(() => undefined);
      await session.sendMessage({ type: "m.login.declined" }, { signal }).catch(() => undefined);
      // Left to expire, so that the other device reads why.
      conversation.secure = undefined;
      conversation.rendezvous = undefined;
      session.close();
      throw new FlowFailure(flowError("declined", "the sign-in was declined on the consent page"));
    }
    if (folded === "expired") {
      host.step(step(9));
      stop.abort();
      await watch.catch(() => undefined);
      return await failWith(
        conversation,
        session,
        "authorization_expired",
        flowError("authorization_expired", "the device code expired before the sign-in was approved"),
        signal,
      );
    }
    throw error;
  } finally {
    stop.abort();
    await watch.catch(() => undefined);
  }
}

/** The OAuth client's failures that a later attempt may not meet (its own table calls them transient too). */
const TRANSIENT_OAUTH: ReadonlySet<unknown> = new Set(["network", "timeout", "server_error", "rate_limited"]);

/**
 * `work`, retried on transient OAuth failures until the next attempt would start after the rendezvous ends, with
 * the rendezvous clients' backoff (`FlowTimings.retryBackoff`).
 */
async function retryWhileSessionLives<T>(
  host: SteppedHost,
  session: SecureSession,
  signal: AbortSignal,
  backoff: BackoffOptions,
  work: () => Promise<T>,
): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await work();
    } catch (error) {
      const { name, code } = (typeof error === "object" && error !== null ? error : {}) as {
        name?: unknown;
        code?: unknown;
      };
      if (name !== "OAuthError" || !TRANSIENT_OAUTH.has(code)) throw error;
      // Initial, doubling, capped: as the rendezvous clients back off.
      const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 30));
      if (host.now() + delay >= session.expiresAt) throw error;
      await host.sleep(delay, signal);
    }
  }
}

function grantFailure(error: unknown): "declined" | "expired" | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (name !== "OAuthError") return undefined;
  if (code === "declined") return "declined";
  if (code === "expired") return "expired";
  return undefined;
}

function signedInUnverified(message: string): FlowError {
  return flowError("expired", message, "signed_in_unverified");
}

function sameBaseUrl(a: string, b: string): boolean {
  const normal = (url: string): string => {
    try {
      const parsed = new URL(url);
      return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
    } catch {
      return url.replace(/\/+$/, "");
    }
  };
  return normal(a) === normal(b);
}
