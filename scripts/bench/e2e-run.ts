// What one end-to-end run of a pair reports (parts 2 and 3 of the flow benchmark), and the person the harness
// plays: every human step answered at once, or the check code and the consent held for a while.
import type { DeviceLabel } from "./requests";
import { requestsSince } from "./requests";

export type Direction = "existing_shows" | "new_shows";

/** How long the person takes: 0 answers at once. */
export interface Person {
  /** From the check code shown on the scanning device to the code typed (or confirmed) on the showing one. */
  readonly checkCodeMs: number;
  /** From the consent page opened to the sign-in approved there. */
  readonly consentMs: number;
}

export const AT_ONCE: Person = { checkCodeMs: 0, consentMs: 0 };

/** A stretch of time the person spent acting, on the `Date.now()` clock. */
export interface Hold {
  readonly what: "check code" | "consent";
  readonly start: number;
  readonly end: number;
}

/** A mark on one device's timeline, in ms since the QR code was shown. */
export interface Mark {
  readonly device: DeviceLabel;
  readonly name: string;
  readonly atMs: number;
}

export interface E2eRun {
  /** From the QR code shown to the new device verified. */
  readonly totalMs: number;
  /** Rendezvous requests of each device over that time. */
  readonly requests: Readonly<Record<DeviceLabel, number>>;
  /** Requests made while the person acted, by device and hold. */
  readonly held: readonly { hold: Hold; requests: Readonly<Record<DeviceLabel, number>> }[];
  /** Ours only: the flow's numbered steps and its messages, from the transcript. */
  readonly marks: readonly Mark[];
}

/** Waits for `condition`, checking every 5 ms (the benchmark's own reaction time to a screen). */
export async function until(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function wait(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

/** Counts each device's rendezvous requests in `[from, to)` and in each hold. */
export function countRequests(
  from: number,
  to: number,
  holds: readonly Hold[],
): Pick<E2eRun, "requests" | "held"> {
  const logged = requestsSince(from).filter((request) => request.at < to);
  const count = (start: number, end: number): Record<DeviceLabel, number> => {
    const inside = logged.filter((request) => request.at >= start && request.at < end);
    return {
      existing: inside.filter((request) => request.device === "existing").length,
      new: inside.filter((request) => request.device === "new").length,
    };
  };
  return {
    requests: count(from, to),
    held: holds.map((hold) => ({ hold, requests: count(hold.start, hold.end) })),
  };
}

/** The user code in a consent URL (`verification_uri_complete`, `?user_code=`). */
export function userCodeOf(url: string): string {
  const code = new URL(url).searchParams.get("user_code");
  if (code === null) throw new Error("the consent URL carries no user code (verification_uri_complete)");
  return code;
}

/** POSTs JSON to a devserver test hook. */
export async function postHook(baseUrl: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
}
