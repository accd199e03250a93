// The device that shows the QR code (G), up to an established channel: create the rendezvous, show the QR,
// replace it while nobody scans, answer the scanner's LoginInitiate with LoginOk, and have the user type the
// check code shown on the other device (docs/protocol.md §5: A-G1..A-G4 and B-G1..B-G4).
//
// Before the check code matches, G neither opens nor sends anything after LoginOk: it keeps one slow poll
// running only to notice the session ending, and a message it polls up meanwhile is kept as ciphertext and
// opened only after the code matched, never dropped.
import { encodeBase64 } from "../protocol";
import {
  createGeneratorChannel,
  createRendezvous,
  encodeLoginQr,
  isRendezvousError,
  loginQrForSession,
  SecureSession,
  type GeneratorPendingOk,
  type GeneratorUnconfirmed,
  type Intent,
  type LoginMessageType,
  type ReceivedMessage,
  type V2024RendezvousSession,
  type V2025RendezvousSession,
  type WireVersion,
} from "../protocol";
import type { FlowContext } from "./controller";
import { childSignal, type Conversation } from "./conversation";
import type { SteppedHost } from "./host";
import { rendezvousTimingOptions, type FlowTimings } from "./options";

export interface ShowQrInput {
  readonly ctx: FlowContext;
  readonly host: SteppedHost;
  readonly timings: FlowTimings;
  readonly conversation: Conversation;
  /** Our role, which the QR code states as its intent. */
  readonly intent: Intent;
  /** The homeserver whose rendezvous API hosts the session (client-server API base URL). */
  readonly baseUrl: string;
  /** v2024, existing device only: the homeserver URL the QR names for the scanner. */
  readonly homeserverUrl?: string;
  /** The version to show first, and the ones the user may switch to while the QR is shown. */
  readonly version: WireVersion;
  readonly versions: readonly WireVersion[];
  readonly accessToken?: (signal: AbortSignal) => Promise<string>;
  readonly allowInsecureHttp: boolean;
  readonly onSeal?: (type: LoginMessageType) => void;
  /** The step IDs of this direction: `A` when the existing device shows, `B` when the new one does. */
  readonly direction: "A" | "B";
}

/** Shows QR codes until one is scanned and its check code confirmed; returns the established conversation. */
export async function showQrUntilConfirmed(input: ShowQrInput): Promise<SecureSession> {
  const { ctx, host, timings, conversation, direction } = input;
  let version = input.version;
  let serial = 0;
  for (;;) {
    serial += 1;
    ctx.setVersion(version);
    ctx.show({ phase: "preparing" });
    // G1: a fresh rendezvous and a fresh key pair for every QR code.
    host.step(`${direction}-G1`);
    const rendezvous = await createRendezvous(version, {
      runtime: host,
      signal: ctx.signal,
      baseUrl: input.baseUrl,
      allowInsecureHttp: input.allowInsecureHttp,
      ...rendezvousTimingOptions(timings),
      ...(version === "v2025" && input.accessToken !== undefined
        ? { accessToken: await input.accessToken(ctx.signal) }
        : {}),
    });
    conversation.rendezvous = rendezvous;
    const channel = createGeneratorChannel(version, { random: host.random });
    const qr = loginQrForSession(
      rendezvous,
      channel,
      input.intent,
      input.homeserverUrl === undefined ? {} : { homeserverUrl: input.homeserverUrl },
    );
    ctx.setExpiresAt(rendezvous.expiresAt);
    const switchable = input.versions.length > 1 ? (["switchVersion"] as const) : [];
    ctx.show({ phase: "showing_qr", qr: encodeBase64(encodeLoginQr(qr)), serial }, switchable);

    // G2: wait for a scanner's LoginInitiate, the QR's end, or the user switching version.
    const waiting = childSignal(ctx.signal);
    const outcome = await Promise.race([
      rendezvous.receive({ signal: waiting.signal, schedule: timings.personActing }).then(
        (message) => ({ kind: "initiate" as const, message }),
        (error: unknown) => {
          // The server forgot it before anyone scanned it (an expiry we did not foresee): show a fresh one.
          if (isRendezvousError(error, "expired")) return { kind: "replace" as const };
          throw error;
        },
      ),
      host
        .sleep(Math.max(0, rendezvous.expiresAt - timings.qrReplaceMarginMs - host.now()), waiting.signal)
        .then(() => ({ kind: "replace" as const })),
      ctx
        .next(["switchVersion"], waiting.signal)
        .then((command) => ({ kind: "switch" as const, version: command.version })),
    ]).finally(() => {
      waiting.abort();
    });

    if (outcome.kind !== "initiate") {
      // Nobody scanned this one: delete it (the scanner of a photo of it meets an expired session) and start over.
      channel.abort();
      conversation.rendezvous = undefined;
      await rendezvous.cancel().catch(() => undefined);
      if (outcome.kind === "switch") version = outcome.version;
      continue;
    }

    ctx.show({ phase: "connecting" });
    host.step(`${direction}-G2`);
    let pendingOk: GeneratorPendingOk;
    try {
      pendingOk = await channel.openInitiate(outcome.message.data, outcome.message.aad);
    } catch (error) {
      channel.abort();
      throw error;
    }
    // G3: LoginOk at once; the check code exists from here on, but only as something to compare with.
    host.step(`${direction}-G3`);
    let unconfirmed: GeneratorUnconfirmed | undefined;
    await rendezvous.send(
      async (aad) => {
        const sealed = await pendingOk.sealOk(aad);
        unconfirmed = sealed.unconfirmed;
        return sealed.okMessage;
      },
      { signal: ctx.signal },
    );
    if (unconfirmed === undefined) throw new TypeError("LoginOk was sent without a channel to confirm");
    return confirmCheckCode(input, rendezvous, unconfirmed);
  }
}

/**
 * G4: the user types the code the scanner shows. Meanwhile one poll on the watch schedule watches the session:
 * it notices the session ending, and keeps (unopened) what the scanner sends before the code is typed.
 */
async function confirmCheckCode(
  input: ShowQrInput,
  rendezvous: V2024RendezvousSession | V2025RendezvousSession,
  unconfirmed: GeneratorUnconfirmed,
): Promise<SecureSession> {
  const { ctx, host, timings } = input;
  const watching = childSignal(ctx.signal);
  // Everything the scanner writes meanwhile, unopened, in order; the poll goes on after a message so that the
  // session vanishing (the scanner cancelled, or it expired) is noticed too.
  const held: ReceivedMessage[] = [];
  const watch = (async (): Promise<never> => {
    for (;;) held.push(await rendezvous.receive({ signal: watching.signal, schedule: timings.watching }));
  })();
  watch.catch(() => undefined);

  input.host.step(`${input.direction}-G4`);
  let mismatch = false;
  try {
    for (;;) {
      ctx.show({ phase: "check_code_entry", attemptsLeft: unconfirmed.attemptsLeft, mismatch }, [
        "submitCheckCode",
      ]);
      const command = await Promise.race([ctx.next(["submitCheckCode"], watching.signal), watch]);
      // A second mismatch throws `check_code_mismatch` and closes the channel: nothing more is sent over it.
      const result = unconfirmed.confirm(command.code);
      if (!result.ok) {
        mismatch = true;
        continue;
      }
      watching.abort();
      // A poll that finished as we stopped it still delivered its message: keep it.
      await watch.catch(() => undefined);
      return new SecureSession(rendezvous, result.channel, {
        runtime: host,
        ourTurn: false,
        pending: held,
        ...(input.onSeal === undefined ? {} : { onSeal: input.onSeal }),
      });
    }
  } finally {
    watching.abort();
  }
}
