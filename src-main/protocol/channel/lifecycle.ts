// The shared life of one side of a secure channel (either wire version) across its typestates: which one-shot
// transitions have been used, whether the channel is closed, and the key material to forget when it closes.
import { ProtocolError } from "../errors";

function closedError(cause?: unknown): ProtocolError {
  return new ProtocolError(
    "channel_closed",
    "the secure channel is closed",
    cause === undefined ? {} : { cause },
  );
}

export class ChannelLifecycle {
  #closed = false;
  readonly #used = new Set<string>();
  readonly #forgetters: (() => void)[] = [];

  get closed(): boolean {
    return this.#closed;
  }

  /** A closed channel refuses everything with `channel_closed`, whatever the caller tries next. */
  assertOpen(): void {
    if (this.#closed) throw closedError();
  }

  /**
   * Marks a one-shot transition as taken, after `after` (if given) was. Taking one twice or out of order is our
   * own code's bug (TypeError); on a closed channel `channel_closed` wins, so callers see one error for "this
   * channel is over".
   */
  enter(transition: string, after?: string): void {
    this.assertOpen();
    if (after !== undefined && !this.#used.has(after)) {
      throw new TypeError(`${transition} may be called only after ${after}`);
    }
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

  /**
   * Runs one step; any failure ends the channel for good before it reaches the caller. A step that fails
   * because the channel was closed while it ran (its keys gone) is `channel_closed`, like any later call.
   */
  async guard<T>(step: () => T | Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (this.#closed) throw closedError(error);
      this.close();
      throw error;
    }
  }
}
