// The device that scans the QR code (S), up to an established channel: take the scanned bytes, refuse a QR
// code of our own role before any request, join the rendezvous, send LoginInitiate, verify LoginOk and show the
// check code (docs/protocol.md §5: A-S1..A-S3 and B-S1..B-S3).
import {
  acceptScannedQr,
  createScannerChannel,
  decodeBase64,
  joinRendezvous,
  SecureSession,
  type Intent,
  type LoginMessageType,
  type LoginQr,
} from "../protocol";
import type { FlowContext } from "./controller";
import type { Conversation } from "./conversation";
import type { SteppedHost } from "./host";
import { rendezvousTimingOptions, type FlowTimings } from "./options";

export interface ScanInput {
  readonly ctx: FlowContext;
  readonly host: SteppedHost;
  readonly timings: FlowTimings;
  readonly conversation: Conversation;
  /** Our role: a QR code shown by a device in the same role is refused (`wrong_qr`). */
  readonly ourRole: Intent;
  readonly allowInsecureHttp: boolean;
  readonly onSeal?: (type: LoginMessageType) => void;
  /** `A` when the new device scans (the existing one shows), `B` when the existing device scans. */
  readonly direction: "A" | "B";
}

export interface Scanned {
  readonly session: SecureSession;
  readonly qr: LoginQr;
  readonly checkCode: string;
}

/** Waits for a scanned QR code and connects to the device that shows it; the check code is then on screen. */
export async function scanAndConnect(input: ScanInput): Promise<Scanned> {
  const { ctx, host, timings, conversation, direction } = input;
  ctx.show({ phase: "scanning" }, ["submitScannedQr"]);
  const command = await ctx.next(["submitScannedQr"]);
  // S1: the intent check comes before any request (a wrong QR costs the other device nothing).
  host.step(`${direction}-S1`);
  const scanned = acceptScannedQr(decodeBase64(command.bytes, "invalid_qr"), input.ourRole);
  ctx.setVersion(scanned.qr.version);
  ctx.show({ phase: "connecting" });

  // S2: join and send LoginInitiate. A 412/409 here means someone else wrote first: this QR is spent.
  host.step(`${direction}-S2`);
  const rendezvous = await joinRendezvous(scanned, {
    runtime: host,
    signal: ctx.signal,
    allowInsecureHttp: input.allowInsecureHttp,
    ...rendezvousTimingOptions(timings),
  });
  conversation.rendezvous = rendezvous;
  ctx.setExpiresAt(rendezvous.expiresAt);
  const channel = createScannerChannel(scanned, { random: host.random });
  try {
    await rendezvous.send((aad) => channel.sealInitiate(aad), { signal: ctx.signal });

    // S3: LoginOk proves the other side holds the QR's key; then the code the user compares.
    host.step(`${direction}-S3`);
    const ok = await rendezvous.receive({ signal: ctx.signal, schedule: timings.machineReply });
    const unconfirmed = await channel.openOk(ok.data, ok.aad);
    const checkCode = unconfirmed.checkCode;
    const established = unconfirmed.acknowledge();
    ctx.show({ phase: "check_code_display", code: checkCode });
    const session = new SecureSession(rendezvous, established, {
      runtime: host,
      ourTurn: true,
      ...(input.onSeal === undefined ? {} : { onSeal: input.onSeal }),
    });
    conversation.secure = session;
    return { session, qr: scanned.qr, checkCode };
  } catch (error) {
    channel.abort();
    throw error;
  }
}
