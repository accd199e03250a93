// The shared life of one side of a secure channel (either wire version) across its typestates: which one-shot
// transitions have been used, whether the channel is closed, and the key material to forget when it closes.
import { ProtocolError } from "../errors";

export class ChannelLifecycle {
  #closed = false;
  readonly #used = new Set<string>();
  readonly #forgetters: (() => void)[] = [];

  get closed(): boolean {
    return this.#closed;
  }

  /** A closed channel refuses everything with `channel_closed`, whatever the caller tries next. */
  assertOpen(): void {
    if (this.#closed) throw new ProtocolError("channel_closed", "the secure channel is closed");
  }

  /**
   * Marks a one-shot transition as taken. Taking it twice is our own code's bug (TypeError); on a closed
   * channel `channel_closed` wins, so callers see one error for "this channel is over".
   */
  enter(transition: string): void {
    this.assertOpen();
    if (this.#used.has(transition)) throw new TypeError(`${transition} may be called only once`);
    this.#used.add(transition);
  }

  /** Registers key material to overwrite or drop on close. */
  onClose(forget: () => void): void {
    if (this.#closed) forget();
    else this.#forgetters.push(forget);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const forget of this.#forgetters.splice(0)) forget();
  }

  /** Runs one step; any failure ends the channel for good before it reaches the caller. */
  async guard<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      this.close();
      throw error;
    }
  }
}
