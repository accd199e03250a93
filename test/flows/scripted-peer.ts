// A scripted peer: the other device of a sign-in, built from the protocol core alone (the rendezvous clients, the
// secure channels, the login message codec) so that a test decides every byte it writes. It speaks the protocol
// correctly when asked to, and misbehaves when asked to: a message out of order or of the wrong type, a replay of
// an earlier ciphertext, the same message twice, a tampered ciphertext, or silence.
import {
  acceptScannedQr,
  createGeneratorChannel,
  createRendezvous,
  createScannerChannel,
  encodeLoginQr,
  joinRendezvous,
  loginQrForSession,
  parseLoginMessage,
  serializeLoginMessage,
  type EstablishedChannel,
  type GeneratorUnconfirmed,
  type Intent,
  type LoginMessage,
  type PollSchedule,
  type RendezvousAad,
  type RequestRateLimit,
  type RendezvousSession,
  type Runtime,
  type WireVersion,
} from "../../src-main/protocol/testing";

/** How quickly a scripted peer looks for the real device's next message. */
export const PEER_POLL: PollSchedule = [{ everyMs: 50 }];

/** A peer with an established channel: what it sends and receives is up to the test. */
export class ScriptedPeer {
  /** Every wire string this peer wrote, in order (for replays). */
  readonly written: string[] = [];
  /** Every message it opened, in order. */
  readonly received: LoginMessage[] = [];

  constructor(
    readonly rendezvous: RendezvousSession,
    readonly channel: EstablishedChannel,
    readonly version: WireVersion,
  ) {}

  /** Seals and writes `message` (any shape: the peer may send what the protocol does not allow). */
  async send(message: LoginMessage | Record<string, unknown>, signal: AbortSignal): Promise<void> {
    const text = serializeLoginMessage(message as LoginMessage, this.version);
    await this.write((aad) => this.channel.seal(text, aad), signal);
  }

  /** Writes raw JSON text through the channel (a message no serializer would produce). */
  async sendText(text: string, signal: AbortSignal): Promise<void> {
    await this.write((aad) => this.channel.seal(text, aad), signal);
  }

  /** Seals `message`, then changes one character of the ciphertext. */
  async sendTampered(message: LoginMessage, signal: AbortSignal): Promise<void> {
    const text = serializeLoginMessage(message, this.version);
    await this.write(async (aad) => {
      const sealed = await this.channel.seal(text, aad);
      const at = Math.floor(sealed.length / 2);
      const swapped = sealed[at] === "A" ? "B" : "A";
      return `${sealed.slice(0, at)}${swapped}${sealed.slice(at + 1)}`;
    }, signal);
  }

  /** Writes again a ciphertext this peer wrote before. */
  async replay(index: number, signal: AbortSignal): Promise<void> {
    const old = this.written[index];
    if (old === undefined) throw new TypeError(`nothing written at ${index} to replay`);
    await this.write(() => Promise.resolve(old), signal);
  }

  /** Waits for the real device's next message and opens it. */
  async receive(signal: AbortSignal, schedule: PollSchedule = PEER_POLL): Promise<LoginMessage> {
    const { data, aad } = await this.rendezvous.receive({ signal, schedule });
    const message = parseLoginMessage(await this.channel.open(data, aad), this.version);
    this.received.push(message);
    return message;
  }

  private async write(seal: (aad: RendezvousAad | undefined) => Promise<string>, signal: AbortSignal) {
    await this.rendezvous.send(
      async (aad) => {
        const data = await seal(aad);
        this.written.push(data);
        return data;
      },
      { signal },
    );
  }
}

/** Scans `qr` as a device of `ourRole`: joins, sends LoginInitiate, verifies LoginOk. */
export async function scanAsPeer(
  qr: Uint8Array,
  ourRole: Intent,
  options: {
    readonly runtime: Runtime;
    readonly signal: AbortSignal;
    readonly schedule?: PollSchedule;
    /** The rendezvous client's rate ceiling, if not the default (FlowTimings.rendezvousRateLimit). */
    readonly rateLimit?: RequestRateLimit;
  },
): Promise<{ readonly peer: ScriptedPeer; readonly checkCode: string }> {
  const scanned = acceptScannedQr(qr, ourRole);
  const rendezvous = await joinRendezvous(scanned, {
    runtime: options.runtime,
    signal: options.signal,
    allowInsecureHttp: true,
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
  });
  const channel = createScannerChannel(scanned);
  await rendezvous.send((aad) => channel.sealInitiate(aad), { signal: options.signal });
  const ok = await rendezvous.receive({ signal: options.signal, schedule: options.schedule ?? PEER_POLL });
  const unconfirmed = await channel.openOk(ok.data, ok.aad);
  return {
    peer: new ScriptedPeer(rendezvous, unconfirmed.acknowledge(), scanned.qr.version),
    checkCode: unconfirmed.checkCode,
  };
}

/** A QR code shown by a scripted peer, and the handshake behind it. */
export interface ShownByPeer {
  readonly qr: Uint8Array;
  readonly rendezvous: RendezvousSession;
  /** Waits for a scanner's LoginInitiate and answers LoginOk; then `confirm` with the code the scanner shows. */
  answer(signal: AbortSignal): Promise<GeneratorUnconfirmed>;
  confirm(unconfirmed: GeneratorUnconfirmed, code: string): ScriptedPeer;
}

/** Creates a rendezvous on `baseUrl` and the QR code for it, as a device of `intent`. */
export async function showAsPeer(
  version: WireVersion,
  intent: Intent,
  options: {
    readonly runtime: Runtime;
    readonly signal: AbortSignal;
    readonly baseUrl: string;
    readonly homeserverUrl?: string;
    readonly schedule?: PollSchedule;
    readonly rateLimit?: RequestRateLimit;
  },
): Promise<ShownByPeer> {
  const rendezvous = await createRendezvous(version, {
    runtime: options.runtime,
    signal: options.signal,
    baseUrl: options.baseUrl,
    allowInsecureHttp: true,
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
  });
  const channel = createGeneratorChannel(version);
  const qr = encodeLoginQr(
    loginQrForSession(
      rendezvous,
      channel,
      intent,
      options.homeserverUrl === undefined ? {} : { homeserverUrl: options.homeserverUrl },
    ),
  );
  return {
    qr,
    rendezvous,
    answer: async (signal) => {
      const initiate = await rendezvous.receive({ signal, schedule: options.schedule ?? PEER_POLL });
      const pending = await channel.openInitiate(initiate.data, initiate.aad);
      let unconfirmed: GeneratorUnconfirmed | undefined;
      await rendezvous.send(
        async (aad) => {
          const sealed = await pending.sealOk(aad);
          unconfirmed = sealed.unconfirmed;
          return sealed.okMessage;
        },
        { signal },
      );
      if (unconfirmed === undefined) throw new TypeError("LoginOk went out without a channel");
      return unconfirmed;
    },
    confirm: (unconfirmed, code) => {
      const result = unconfirmed.confirm(code);
      if (!result.ok) throw new Error(`the scripted peer's check code ${code} did not match`);
      return new ScriptedPeer(rendezvous, result.channel, version);
    },
  };
}

/** Reads a wire string's message type without a channel: for logs only. */
export function typeOf(message: LoginMessage | undefined): string {
  return message?.type ?? "nothing";
}
