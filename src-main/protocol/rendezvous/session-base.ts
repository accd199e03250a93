// What both session classes share: one send or receive at a time, nothing after cancel, and the poll loop that
// follows the caller's schedule.
import type { Transport } from "./transport";
import { checkPollSchedule, pollIntervalAt, type PollSchedule } from "./timing";

export class OperationGuard {
  private busy = false;
  private cancelled = false;

  /** Runs one send or receive; overlapping them, or using a cancelled session, is our own code's bug. */
  async run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    if (this.cancelled) throw new TypeError(`rendezvous ${what} after cancel()`);
    if (this.busy) throw new TypeError(`rendezvous ${what} while another send or receive is running`);
    this.busy = true;
    try {
      return await operation();
    } finally {
      this.busy = false;
    }
  }

  markCancelled(): void {
    this.cancelled = true;
  }
}

/**
 * Calls `poll` on the schedule until it returns a value. Intervals run from the start of one poll to the start of
 * the next, timed from the first poll; the transport keeps any schedule under 4 requests/s.
 */
export async function pollUntil<T>(
  transport: Transport,
  schedule: PollSchedule,
  signal: AbortSignal,
  poll: () => Promise<T | undefined>,
): Promise<T> {
  checkPollSchedule(schedule);
  let start: number | undefined;
  for (;;) {
    // Timed from when the GET can actually go out, so the rate ceiling never shifts the schedule.
    await transport.readyForRequest(signal);
    const pollStart = transport.now();
    start ??= pollStart;
    const result = await poll();
    if (result !== undefined) return result;
    await transport.sleepUntil(pollStart + pollIntervalAt(schedule, pollStart - start), signal);
  }
}
