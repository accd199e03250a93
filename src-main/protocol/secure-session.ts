// The conversation the flows hold once the check code is confirmed: a rendezvous session, the established
// secure channel over it, the login messages' reading and writing for the wire version, and one transcript
// entry per message (its type and field names, never a value). With it no flow writes
// `session.send((aad) => channel.seal(serializeLoginMessage(m, v), aad))` itself, and none can get the AAD or
// the version's message shape wrong.
//
// It also knows whose turn it is. The rendezvous is one cell the devices take turns writing (strict ping-pong,
// docs/protocol.md §5), and both channels number messages implicitly, so a message written over one the peer has
// not read yet is lost and breaks the channel on the peer's side: the flows ask `ourTurn` before they send
// anything unplanned, such as a cancel.
import { messageEntry } from "../../src-shared/transcript";
import type { EstablishedChannel } from "./channel/types";
import { describeLoginMessage, parseLoginMessage, serializeLoginMessage } from "./messages";
import type { LoginMessage, LoginMessageType } from "./messages";
import type { RendezvousSession, ReceivedMessage } from "./rendezvous/types";
import type { PollSchedule } from "./rendezvous/timing";
import type { Runtime } from "./runtime";
import type { WireVersion } from "./types";

export interface SecureSessionOptions {
  readonly runtime: Runtime;
  /**
   * Messages the peer wrote before the channel was confirmed: the showing device polls them up while its user
   * types the check code, keeps them as ciphertext, and opens them only now (docs/protocol.md §5, "before the
   * check code"). The first `receiveMessage` calls return them, in order.
   */
  readonly pending?: readonly ReceivedMessage[];
  /** Whether the peer wrote last (we have read its message and not answered): true for the scanner after LoginOk. */
  readonly ourTurn: boolean;
  /** For tests: told the type of every message this side seals, before it is sealed. */
  readonly onSeal?: (type: LoginMessageType) => void;
}

export interface MessageOptions {
  readonly signal: AbortSignal;
  /** The numbered step of docs/protocol.md this message belongs to, for the transcript. */
  readonly step?: string;
}

export interface ReceiveMessageOptions extends MessageOptions {
  readonly schedule: PollSchedule;
}

export class SecureSession {
  readonly #rendezvous: RendezvousSession;
  readonly #channel: EstablishedChannel;
  readonly #runtime: Runtime;
  readonly #onSeal: ((type: LoginMessageType) => void) | undefined;
  #pending: ReceivedMessage[];
  #ourTurn: boolean;

  constructor(rendezvous: RendezvousSession, channel: EstablishedChannel, options: SecureSessionOptions) {
    if (rendezvous.version !== channel.version) {
      throw new TypeError(`a ${rendezvous.version} rendezvous cannot carry a ${channel.version} channel`);
    }
    this.#rendezvous = rendezvous;
    this.#channel = channel;
    this.#runtime = options.runtime;
    this.#pending = [...(options.pending ?? [])];
    this.#ourTurn = options.ourTurn && this.#pending.length === 0;
    this.#onSeal = options.onSeal;
  }

  get version(): WireVersion {
    return this.#rendezvous.version;
  }

  /** When the server forgets the rendezvous, on the runtime's clock. */
  get expiresAt(): number {
    return this.#rendezvous.expiresAt;
  }

  /**
   * Whether the peer has answered our last message (or we have never written): only then may we write without
   * overwriting a message the peer has not read.
   */
  get ourTurn(): boolean {
    return this.#ourTurn && this.#pending.length === 0;
  }

  /** Seals and writes one message. Sending out of turn is our own bug: TypeError. */
  async sendMessage(message: LoginMessage, options: MessageOptions): Promise<void> {
    if (!this.ourTurn) throw new TypeError(`${message.type} sent while the peer's answer is due`);
    const text = serializeLoginMessage(message, this.version);
    this.#onSeal?.(message.type);
    // From the moment the write starts it may land, whatever happens to its answer: the turn is the peer's.
    this.#ourTurn = false;
    await this.#rendezvous.send((aad) => this.#channel.seal(text, aad), { signal: options.signal });
    this.#record("sent", message, options.step);
  }

  /** Waits for the peer's next message, opens and reads it. Any failure to open it closes the channel. */
  async receiveMessage(options: ReceiveMessageOptions): Promise<LoginMessage> {
    const received =
      this.#pending.shift() ??
      (await this.#rendezvous.receive({ signal: options.signal, schedule: options.schedule }));
    const text = await this.#channel.open(received.data, received.aad);
    this.#ourTurn = true;
    const message = parseLoginMessage(text, this.version);
    this.#record("received", message, options.step);
    return message;
  }

  /** Deletes the rendezvous (best effort, under its own timeout) and forgets the channel's keys. */
  async cancel(): Promise<void> {
    this.#channel.close();
    await this.#rendezvous.cancel();
  }

  /** Forgets the channel's keys; the rendezvous is left to expire (the peer may still read our last message). */
  close(): void {
    this.#channel.close();
  }

  #record(direction: "sent" | "received", message: LoginMessage, step: string | undefined): void {
    const { type, fields } = describeLoginMessage(message);
    this.#runtime.transcript(
      messageEntry({
        direction,
        messageType: type,
        fields,
        time: this.#runtime.now(),
        ...(step === undefined ? {} : { step }),
      }),
    );
  }
}
