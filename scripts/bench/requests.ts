// Which device made each rendezvous request, for pairs whose code we do not own (matrix-js-sdk calls the global
// `fetch`, through its own rendezvous session or its client). The benchmark runs each device's code inside
// `asDevice()`; Node carries that label through every promise and timer the code starts, and the wrapped global
// `fetch` writes it down with the time of each request to a rendezvous URL.
import { AsyncLocalStorage } from "node:async_hooks";

export type DeviceLabel = "existing" | "new";

export interface RendezvousRequest {
  readonly device: DeviceLabel | "unknown";
  readonly method: string;
  /** `Date.now()` when the request started (the clock the flows' transcript uses). */
  readonly at: number;
}

const current = new AsyncLocalStorage<DeviceLabel>();
const log: RendezvousRequest[] = [];
let installed = false;

/** Both MSCs put "rendezvous" in the path (`…/org.matrix.msc4108/rendezvous`, `…/io.element.msc4388/rendezvous`). */
function isRendezvous(url: string): boolean {
  try {
    return new URL(url).pathname.includes("/rendezvous");
  } catch {
    return false;
  }
}

/** Wraps the global `fetch` once; every later request to a rendezvous URL is logged. */
export function countRendezvousRequests(): void {
  if (installed) return;
  installed = true;
  const next = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (isRendezvous(url)) {
      const method = init?.method ?? (input instanceof Request ? input.method : "GET");
      log.push({ device: current.getStore() ?? "unknown", method: method.toUpperCase(), at: Date.now() });
    }
    return next(input, init);
  };
}

/** Runs `work` (and everything it starts) as `device`. */
export function asDevice<T>(device: DeviceLabel, work: () => T): T {
  return current.run(device, work);
}

/** The requests logged from `since` (a `Date.now()` time) on. */
export function requestsSince(since: number): RendezvousRequest[] {
  return log.filter((request) => request.at >= since);
}

/** Forgets what was logged (between runs). */
export function clearRequests(): void {
  log.length = 0;
}
