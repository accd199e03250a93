// `GET /sync`, reduced to what end-to-end encryption needs (the devserver has no rooms): to-device messages,
// `device_lists.changed`, one-time key counts, unused fallback key types, global account data and
// `next_batch`/`since`. An incremental sync with nothing new waits up to `timeout` ms, and wakes as soon as
// something arrives for the user. Empty sections are left out, as Synapse leaves them out; the key counts are
// always there (Synapse: element-android#3725).
import { sendJson } from "../http";
import type { Route } from "../router";
import type { CsApiContext } from "./context";
import { parseSyncToken, syncToken } from "./event-stream";
import { integerParam, invalidParam } from "./request";

export function syncRoutes(ctx: CsApiContext, prefix: string): Route[] {
  function collect(userId: string, deviceId: string, since: number | undefined) {
    const until = ctx.stream.current();
    return {
      until,
      toDevice: ctx.toDevice.take(userId, deviceId, since, until),
      accountData: ctx.accountData.eventsSince(userId, since),
      // An initial sync reports no device list changes: the client queries what it tracks from scratch.
      changed: since === undefined ? [] : ctx.deviceLists.changedSince(userId, since),
    };
  }

  return [
    {
      method: "GET",
      path: `${prefix}/sync`,
      handle: async ({ req, res, url }) => {
        const { userId, deviceId } = await ctx.authenticate(req, url);
        const sinceToken = url.searchParams.get("since");
        const since = sinceToken === null ? undefined : parseSyncToken(sinceToken);
        if (sinceToken !== null && since === undefined) throw invalidParam("Invalid stream token");
        const timeoutMs = integerParam(url, "timeout", 0);

        let found = collect(userId, deviceId, since);
        if (since !== undefined && timeoutMs > 0) {
          const hungUp = new AbortController();
          res.once("close", () => {
            hungUp.abort();
          });
          const deadline = Date.now() + timeoutMs;
          while (
            found.toDevice.length + found.accountData.length + found.changed.length === 0 &&
            Date.now() < deadline &&
            !hungUp.signal.aborted
          ) {
            await ctx.stream.waitForChange(userId, deadline - Date.now(), hungUp.signal);
            found = collect(userId, deviceId, since);
          }
          if (hungUp.signal.aborted) return;
        }

        const fallbackTypes = ctx.keys.unusedFallbackKeyTypes(userId, deviceId);
        sendJson(res, 200, {
          next_batch: syncToken(found.until),
          ...(found.accountData.length > 0 ? { account_data: { events: found.accountData } } : {}),
          ...(found.toDevice.length > 0 ? { to_device: { events: found.toDevice } } : {}),
          ...(found.changed.length > 0 ? { device_lists: { changed: found.changed } } : {}),
          device_one_time_keys_count: ctx.keys.oneTimeKeyCounts(userId, deviceId),
          "org.matrix.msc2732.device_unused_fallback_key_types": fallbackTypes,
          device_unused_fallback_key_types: fallbackTypes,
        });
      },
    },
  ];
}
