// What oidc-provider's device flow lacks and MAS does differently (RFC 8628; docs/protocol.md §6), added
// around its device authorization and token endpoints:
// - the device authorization response always carries `interval` (oidc-provider omits it);
// - a poll sooner than the interval after the previous poll of the same device code turns `authorization_pending`
//   into `slow_down`, and the interval for that code grows by 5 s (RFC 8628 §3.5). Only pending answers change:
//   an approved code is answered, however early;
// - a client that did not register the device grant gets 401 `unauthorized_client` (MAS), not 400;
// - with masQuirks: no `verification_uri_complete`, no `slow_down` (unless `slowDown` asks for it: MAS once it
//   has added it), and the four polling errors come with HTTP 403, as MAS sends them.
// Polling times are read from `now`, which the OAuth server runs on real time (index.ts): a devserver whose
// rendezvous clock is frozen must still see a client that waits out the interval as polite.
import type { KoaContext, Middleware } from "oidc-provider";
import { DEVICE_CODE_GRANT } from "./client-policy";

/** RFC 8628 §3.5: "the interval MUST be increased by 5 seconds for this and all subsequent requests". */
const SLOW_DOWN_STEP_MS = 5000;

const POLLING_ERRORS: ReadonlySet<string> = new Set([
  "authorization_pending",
  "slow_down",
  "access_denied",
  "expired_token",
]);

interface PollState {
  lastPollAt: number | undefined;
  intervalMs: number;
  readonly forgetAt: number;
}

export interface DevicePollingOptions {
  /** Unix milliseconds; must advance as the client's waits do. */
  readonly now: () => number;
  readonly intervalS: number;
  readonly ttlS: number;
  readonly masQuirks: boolean;
  /** Whether a pending poll sooner than the interval gets `slow_down`. */
  readonly slowDown: boolean;
}

function errorOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || !("error" in body)) return undefined;
  return typeof body.error === "string" ? body.error : undefined;
}

function isObject(body: unknown): body is Record<string, unknown> {
  return typeof body === "object" && body !== null && !Array.isArray(body);
}

export function createDevicePollingMiddleware(options: DevicePollingOptions): Middleware {
  const { now: currentTime, intervalS, ttlS, masQuirks, slowDown } = options;
  // Keyed by the device code value; held only in memory, never logged.
  const polls = new Map<string, PollState>();

  function forgetExpired(now: number): void {
    for (const [code, state] of polls) if (state.forgetAt <= now) polls.delete(code);
  }

  function afterDeviceAuthorization(ctx: KoaContext): void {
    const body = ctx.body;
    if (ctx.status === 200 && isObject(body) && typeof body.device_code === "string") {
      const now = currentTime();
      forgetExpired(now);
      polls.set(body.device_code, {
        lastPollAt: undefined,
        intervalMs: intervalS * 1000,
        forgetAt: now + ttlS * 1000,
      });
      const response: Record<string, unknown> = { ...body, interval: intervalS };
      if (masQuirks) delete response.verification_uri_complete;
      ctx.body = response;
      return;
    }
    const client = ctx.oidc?.client;
    if (ctx.status === 400 && client !== undefined && !client.grantTypeAllowed(DEVICE_CODE_GRANT)) {
      ctx.status = 401;
      ctx.body = {
        error: "unauthorized_client",
        error_description: `this client did not register the ${DEVICE_CODE_GRANT} grant`,
      };
    }
  }

  function afterDevicePoll(ctx: KoaContext, deviceCode: string): void {
    const error = errorOf(ctx.body);
    const state = polls.get(deviceCode);
    if (error !== "authorization_pending") {
      if (error === undefined || error === "access_denied" || error === "expired_token")
        polls.delete(deviceCode);
    } else if (state !== undefined) {
      const now = currentTime();
      const tooSoon = state.lastPollAt !== undefined && now - state.lastPollAt < state.intervalMs;
      state.lastPollAt = now;
      if (tooSoon && slowDown) {
        state.intervalMs += SLOW_DOWN_STEP_MS;
        ctx.body = {
          error: "slow_down",
          error_description: `polling too fast: wait at least ${state.intervalMs / 1000} s between requests`,
        };
      }
    }
    const finalError = errorOf(ctx.body);
    if (masQuirks && finalError !== undefined && POLLING_ERRORS.has(finalError)) ctx.status = 403;
  }

  return async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if (route === "device_authorization") {
      afterDeviceAuthorization(ctx);
      return;
    }
    const params = ctx.oidc?.params;
    if (
      route === "token" &&
      params?.grant_type === DEVICE_CODE_GRANT &&
      typeof params.device_code === "string"
    ) {
      afterDevicePoll(ctx, params.device_code);
    }
  };
}
