// Holding requests, for tests that must act at the exact moment a client's request reaches the server (kill the
// client there, look at its files while the request waits): the next `count` requests whose method and path
// match a hold wait, unanswered and not yet applied, until the test releases them; then they are served as usual
// (a client that died meanwhile never reads the answer). `arrived` tells the test a request is being held.
// The `/_devserver/` paths are never held.
import { MatrixError, type RequestHandler } from "./http";

export interface HoldSpec {
  /** HTTP method to match (case-insensitive), or `*` for any. */
  readonly method: string;
  /** A regular expression (source text) tested against the URL path, without the query. */
  readonly pathPattern: string;
  /** How many matching requests to hold (default 1). */
  readonly count?: number;
}

export interface HeldRequest {
  readonly method: string;
  readonly path: string;
}

export interface Hold {
  readonly id: string;
  /** Resolves with the first request this hold caught. */
  readonly arrived: Promise<HeldRequest>;
  /** Lets every request this hold caught (and will catch) go on. */
  release(): void;
}

export interface HoldStatus extends HoldSpec {
  readonly id: string;
  /** Requests still to be caught. */
  readonly remaining: number;
  /** Requests waiting now. */
  readonly held: readonly HeldRequest[];
}

interface ActiveHold {
  readonly id: string;
  readonly spec: HoldSpec;
  readonly pattern: RegExp;
  remaining: number;
  released: boolean;
  readonly held: HeldRequest[];
  readonly waiters: (() => void)[];
  readonly onArrival: (request: HeldRequest) => void;
}

function invalid(message: string): MatrixError {
  return new MatrixError(400, "M_INVALID_PARAM", message);
}

/** Checks an untrusted hold description (from JSON) and returns it typed. */
export function parseHoldSpec(value: unknown): HoldSpec {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid("hold must be an object");
  const { method, pathPattern, count } = value as Record<string, unknown>;
  if (typeof method !== "string" || method === "") throw invalid("method must be a non-empty string");
  if (typeof pathPattern !== "string") throw invalid("pathPattern must be a string");
  try {
    new RegExp(pathPattern);
  } catch {
    throw invalid("pathPattern is not a valid regular expression");
  }
  if (count !== undefined && (typeof count !== "number" || !Number.isSafeInteger(count) || count < 1)) {
    throw invalid("count must be a positive integer");
  }
  return { method, pathPattern, ...(typeof count === "number" ? { count } : {}) };
}

export class RequestHolds {
  private readonly holds: ActiveHold[] = [];
  private nextId = 1;

  add(spec: HoldSpec): Hold {
    let resolve: (request: HeldRequest) => void = () => undefined;
    const arrived = new Promise<HeldRequest>((done) => {
      resolve = done;
    });
    const hold: ActiveHold = {
      id: String(this.nextId++),
      spec,
      pattern: new RegExp(spec.pathPattern),
      remaining: spec.count ?? 1,
      released: false,
      held: [],
      waiters: [],
      onArrival: resolve,
    };
    this.holds.push(hold);
    return {
      id: hold.id,
      arrived,
      release: () => {
        this.release(hold.id);
      },
    };
  }

  /** Releases one hold's requests (and stops it catching more); false when there is no such hold. */
  release(id: string): boolean {
    const index = this.holds.findIndex((hold) => hold.id === id);
    const hold = this.holds[index];
    if (hold === undefined) return false;
    this.holds.splice(index, 1);
    hold.released = true;
    for (const waiter of hold.waiters.splice(0)) waiter();
    return true;
  }

  releaseAll(): void {
    for (const hold of [...this.holds]) this.release(hold.id);
  }

  list(): HoldStatus[] {
    return this.holds.map((hold) => ({
      ...hold.spec,
      id: hold.id,
      remaining: hold.remaining,
      held: [...hold.held],
    }));
  }

  /** A handler-chain observer: waits while a hold has the request, then lets the chain go on. */
  readonly handler: RequestHandler = async (req, _res, url) => {
    if (url.pathname.startsWith("/_devserver/")) return false;
    const method = (req.method ?? "GET").toUpperCase();
    const hold = this.holds.find(
      (candidate) =>
        candidate.remaining > 0 &&
        (candidate.spec.method === "*" || candidate.spec.method.toUpperCase() === method) &&
        candidate.pattern.test(url.pathname),
    );
    if (hold === undefined) return false;
    hold.remaining -= 1;
    const request = { method, path: url.pathname };
    hold.held.push(request);
    const released = new Promise<void>((resolve) => hold.waiters.push(resolve));
    hold.onArrival(request);
    await released;
    hold.held.splice(hold.held.indexOf(request), 1);
    return false;
  };
}
