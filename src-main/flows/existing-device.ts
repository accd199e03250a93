// The existing device: it approves a new device and gives it the account's secrets (MSC4108, docs/protocol.md §5:
// direction A when it shows the QR code, A-G1..A-G12; direction B when it scans, B-S1..B-S11).
//
// The secrets go out only when all three hold: the channel is established (the check code matched on the
// device that shows the QR), `m.login.success` has arrived, and the homeserver answers 200 for the very device
// ID that `m.login.protocol` named (MSC4108 "device ID confusion": it answered 404 before we accepted).
import { FlowFailure, flowError } from "../../src-shared/errors";
import type { FlowPhase, WireVersion } from "../../src-shared/flow";
import type { ProtocolStep } from "../../src-shared/protocol-steps";
import {
  checkVerificationUri,
  DEVICE_AUTHORIZATION_GRANT,
  type LoginMessageType,
  type SecureSession,
} from "../protocol";
import type { FlowContext } from "./controller";
import { endConversation, type Conversation } from "./conversation";
import { expectMessage, failWith } from "./exchange";
import { showQrUntilConfirmed } from "./generator";
import type { SteppedHost } from "./host";
import type { FlowTimings } from "./options";
import type { ExistingDeviceAccount } from "./ports";
import { chooseVersion } from "./preflight";
import { scanAndConnect } from "./scanner";

export interface ExistingDeviceOptions {
  readonly host: SteppedHost;
  readonly timings: FlowTimings;
  readonly account: ExistingDeviceAccount;
  readonly side: "generator" | "scanner";
  /** The version to show (the QR decides when scanning); the server's offer may override it. */
  readonly version: WireVersion;
  readonly allowInsecureHttp: boolean;
  /** For tests: told each message type this device seals. */
  readonly onSeal?: (type: LoginMessageType) => void;
}

type Done = Extract<FlowPhase, { phase: "done" }>;

export async function runExistingDevice(ctx: FlowContext, options: ExistingDeviceOptions): Promise<Done> {
  const conversation: Conversation = {};
  try {
    return await approveNewDevice(ctx, options, conversation);
  } catch (error) {
    // Ours to tell only when the user cancelled; a failure the flow already sent cleared `secure`.
    const cancelled = ctx.signal.aborted;
    await endConversation(
      conversation,
      cancelled ? "user_cancelled" : undefined,
      options.host,
      options.timings,
    );
    throw error;
  }
}

async function approveNewDevice(
  ctx: FlowContext,
  options: ExistingDeviceOptions,
  conversation: Conversation,
): Promise<Done> {
  const { host, timings, account } = options;
  const signal = ctx.signal;

  // Preflight: this device must hold the keys it is about to give (MSC4108 2025 "Discoverability"). Its calls,
  // and the choice of wire version, are part of the first step (A-G1 or B-S1).
  host.step(options.side === "generator" ? "A-G1" : "B-S1");
  ctx.show({
    phase: "preflight",
    checks: [{ id: "cross_signing_keys", status: "pending" }],
  });
  const missing = await account.missingSecrets(signal);
  if (missing.length > 0) {
    throw new FlowFailure(
      flowError("missing_secrets", `this device lacks ${missing.join(", ")}`, missing.join(",")),
    );
  }
  const authServer = await account.authServer(signal);

  let session: SecureSession;
  let direction: "A" | "B";
  if (options.side === "generator") {
    direction = "A";
    const choice = await chooseVersion(host, {
      baseUrl: account.homeserverUrl,
      preferred: options.version,
      accessToken: (s) => account.accessToken(s),
      signal,
      allowInsecureHttp: options.allowInsecureHttp,
    });
    session = await showQrUntilConfirmed({
      ctx,
      host,
      timings,
      conversation,
      intent: "existing_device",
      baseUrl: account.homeserverUrl,
      homeserverUrl: account.homeserverUrl,
      version: choice.version,
      versions: choice.available,
      accessToken: (s) => account.accessToken(s),
      allowInsecureHttp: options.allowInsecureHttp,
      ...(options.onSeal === undefined ? {} : { onSeal: options.onSeal }),
      direction,
    });
    conversation.secure = session;
    // Its user typed the check code: the channel is confirmed on both sides.
    conversation.peerReads = true;
  } else {
    direction = "B";
    ({ session } = await scanAndConnect({
      ctx,
      host,
      timings,
      conversation,
      ourRole: "existing_device",
      allowInsecureHttp: options.allowInsecureHttp,
      ...(options.onSeal === undefined ? {} : { onSeal: options.onSeal }),
      direction,
    }));
    // B-S4: at once, before the check code is typed on the new device; it waits in the cell until read.
    host.step("B-S4");
    await session.sendMessage(
      {
        type: "m.login.protocols",
        protocols: [DEVICE_AUTHORIZATION_GRANT],
        homeserver: account.homeserverUrl,
      },
      { signal },
    );
  }
  // The scanner's list has no separate "unsupported protocol" step, so after B-S5 its numbers run one behind.
  const step = (n: number): ProtocolStep =>
    (direction === "A" ? `A-G${n}` : `B-S${n <= 6 ? 5 : n - 1}`) as ProtocolStep;

  // A-G5 / B-S5: which protocol, and which device.
  host.step(step(5));
  const protocol = await expectMessage(conversation, session, ["m.login.protocol"], {
    signal,
    // As the showing device the user is still looking at the check code; as the scanner, typing it elsewhere.
    schedule: direction === "A" ? timings.machineReply : timings.personActing,
    step: step(5),
  });
  if (typeof protocol.protocol !== "string") {
    host.step(step(6));
    return failWith(
      conversation,
      session,
      "unsupported_protocol",
      flowError(
        "protocol_error",
        "the new device asked for a protocol we do not offer",
        "unsupported_protocol",
      ),
      signal,
    );
  }
  const deviceId = protocol.device_id;
  ctx.show({ phase: "negotiating" });

  // A-G7 / B-S6: the device must not exist yet, or a peer could get the secrets for a device it does not own.
  host.step(step(7));
  if (await account.deviceExists(deviceId, signal)) {
    return failWith(
      conversation,
      session,
      "device_already_exists",
      flowError("device_already_exists", `device ${deviceId} already exists`),
      signal,
    );
  }

  ctx.show({ phase: "approve_device", userId: account.userId, deviceId }, ["approveDevice"]);
  const approval = await ctx.next(["approveDevice"]);
  if (!approval.approve) {
    return failWith(
      conversation,
      session,
      "user_cancelled",
      flowError("cancelled_here", "the new device was not approved here", "not_approved"),
      signal,
    );
  }

  // A-G8 / B-S7: the consent page, only if it is the account's own OAuth server.
  host.step(step(8));
  const grant = protocol.device_authorization_grant;
  const uri = grant.verification_uri_complete ?? grant.verification_uri;
  const checked = checkVerificationUri(uri, {
    issuer: authServer.issuer,
    deviceAuthorizationEndpoint: authServer.deviceAuthorizationEndpoint,
    allowInsecureLoopback: options.allowInsecureHttp,
  });
  if (!checked.ok) {
    return failWith(
      conversation,
      session,
      session.version === "v2025" ? "unable_to_open_verification_uri" : "user_cancelled",
      flowError(
        "protocol_error",
        "the new device sent a consent page we must not open",
        `verification_uri_${checked.reason}`,
      ),
      signal,
    );
  }
  const consentUrl = checked.url;
  const consent = {
    phase: "consent" as const,
    verificationUri: consentUrl,
    host: new URL(consentUrl).host,
    deviceId,
  };
  let opened: boolean;
  try {
    opened = (await host.openUrl(consentUrl)) === "opened";
  } catch {
    opened = false;
  }
  if (!opened) {
    // The host could not open it (or needs the user's click): the screen shows the link until the user has.
    ctx.show(consent, ["consentOpened", "openConsentAgain"]);
    await waitForConsentOpened(ctx, host, consentUrl);
  }

  // A-G9 / B-S8
  host.step(step(9));
  await session.sendMessage({ type: "m.login.protocol_accepted" }, { signal });
  ctx.show(consent, ["openConsentAgain"]);

  // A-G10 / B-S9: the user consents in the browser meanwhile.
  host.step(step(10));
  const outcome = await withReopen(ctx, host, consentUrl, () =>
    expectMessage(conversation, session, ["m.login.success", "m.login.declined"], {
      signal,
      schedule: timings.personActing,
      step: step(10),
    }),
  );
  if (outcome.type === "m.login.declined") {
    conversation.secure = undefined;
    session.close();
    throw new FlowFailure(flowError("declined", "the sign-in was declined on the consent page"));
  }

  // A-G11 / B-S10: the device must now exist, the one named in m.login.protocol.
  ctx.show({ phase: "syncing_secrets" });
  host.step(step(11));
  if (!(await waitForDevice(options, deviceId, signal))) {
    return failWith(
      conversation,
      session,
      "device_not_found",
      flowError("device_not_found", `device ${deviceId} did not appear within ${timings.deviceWaitMs} ms`),
      signal,
    );
  }

  // A-G12 / B-S11: the secrets, and nothing after them.
  host.step(step(12));
  const bundle = await account.exportSecretsBundle(signal);
  await session.sendMessage({ type: "m.login.secrets", ...bundle }, { signal });
  conversation.secure = undefined;
  conversation.rendezvous = undefined;
  session.close();
  const verified = await waitForVerified(options, deviceId, signal);
  return { phase: "done", userId: account.userId, deviceId, verified, backup: bundle.backup !== undefined };
}

/** Waits for the user's "I opened it", opening the page again whenever asked. */
async function waitForConsentOpened(ctx: FlowContext, host: SteppedHost, url: string): Promise<void> {
  for (;;) {
    const command = await ctx.next(["consentOpened", "openConsentAgain"]);
    if (command.type === "consentOpened") return;
    await host.openUrl(url).catch(() => undefined);
  }
}

/** Runs `wait` while answering `openConsentAgain` by opening the consent page again. */
async function withReopen<T>(
  ctx: FlowContext,
  host: SteppedHost,
  url: string,
  wait: () => Promise<T>,
): Promise<T> {
  const done = new AbortController();
  const reopen = (async () => {
    for (;;) {
      await ctx.next(["openConsentAgain"], done.signal);
      await host.openUrl(url).catch(() => undefined);
    }
  })();
  reopen.catch(() => undefined);
  try {
    return await wait();
  } finally {
    done.abort();
  }
}

/** Polls `GET /devices/{id}` until it answers 200, for up to `deviceWaitMs`. */
async function waitForDevice(
  options: ExistingDeviceOptions,
  deviceId: string,
  signal: AbortSignal,
): Promise<boolean> {
  const { host, timings, account } = options;
  const deadline = host.now() + timings.deviceWaitMs;
  for (;;) {
    if (await account.deviceExists(deviceId, signal)) return true;
    if (host.now() + timings.devicePollMs > deadline) return false;
    await host.sleep(timings.devicePollMs, signal);
  }
}

/** Watches, for up to `verifyWaitMs`, for the homeserver to show the new device cross-signed. */
async function waitForVerified(
  options: ExistingDeviceOptions,
  deviceId: string,
  signal: AbortSignal,
): Promise<boolean> {
  const { host, timings, account } = options;
  const deadline = host.now() + timings.verifyWaitMs;
  for (;;) {
    try {
      if (await account.isDeviceVerified(deviceId, signal)) return true;
    } catch {
      // The secrets are delivered; whether we see the result is only for the done screen.
      return false;
    }
    if (host.now() + timings.devicePollMs > deadline) return false;
    await host.sleep(timings.devicePollMs, signal);
  }
}
