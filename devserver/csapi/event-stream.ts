// One position counter for everything `/sync` reports (to-device messages, account data, device list changes),
// and the wake-ups that end a long poll early. `/sync`'s `next_batch` is this position; a change for a user moves
// it forward and wakes that user's waiting syncs.

export class EventStream {
  private position = 0;
  private readonly waiters = new Map<string, Set<() => void>>();

  current(): number {
    return this.position;
  }

  /** Moves the stream forward for a change that concerns `userIds`, wakes their syncs, and returns the position. */
  advance(userIds: Iterable<string>): number {
    this.position += 1;
    for (const userId of new Set(userIds)) {
      const waiting = this.waiters.get(userId);
      if (waiting === undefined) continue;
      this.waiters.delete(userId);
      for (const wake of waiting) wake();
    }
    return this.position;
  }

  /**
   * Resolves when a change for `userId` arrives, after `timeoutMs`, or when `signal` aborts (the client hung up),
   * whichever is first. Never rejects.
   */
  waitForChange(userId: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiting = this.waiters.get(userId) ?? new Set<() => void>();
      this.waiters.set(userId, waiting);
      const finish = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", finish);
        waiting.delete(finish);
        if (waiting.size === 0 && this.waiters.get(userId) === waiting) this.waiters.delete(userId);
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, timeoutMs));
      waiting.add(finish);
      if (signal.aborted) finish();
      else signal.addEventListener("abort", finish, { once: true });
    });
  }
}

export function syncToken(position: number): string {
  return `s${position}`;
}

/** The position in a `since` token, or undefined when it is not one of ours. */
export function parseSyncToken(token: string): number | undefined {
  const match = /^s(\d{1,15})$/.exec(token);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
