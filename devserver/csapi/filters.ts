// Filters: `POST /user/{userId}/filter` and `GET /user/{userId}/filter/{filterId}`. The devserver has no rooms, so
// a filter changes nothing `/sync` returns; it is kept so that clients find what they stored.
import { sendJson } from "../http";
import type { Route } from "../router";
import type { CsApiContext } from "./context";
import { forbidden, invalidParam, notFound, readJsonObject } from "./request";
import type { JsonObject } from "./signing";

export function filterRoutes(ctx: CsApiContext, prefix: string): Route[] {
  /** user → filters; a filter's ID is its index, as Synapse numbers them per user. */
  const filters = new Map<string, JsonObject[]>();
  return [
    {
      method: "POST",
      path: `${prefix}/user/{userId}/filter`,
      handle: async ({ req, res, url, params }) => {
        const { userId } = await ctx.authenticate(req, url);
        if (params.userId !== userId) throw forbidden("Cannot create filters for other users");
        const filter = await readJsonObject(req);
        const stored = filters.get(userId) ?? [];
        filters.set(userId, [...stored, filter]);
        sendJson(res, 200, { filter_id: String(stored.length) });
      },
    },
    {
      method: "GET",
      path: `${prefix}/user/{userId}/filter/{filterId}`,
      handle: async ({ req, res, url, params }) => {
        const { userId } = await ctx.authenticate(req, url);
        if (params.userId !== userId) throw forbidden("Cannot get filters for other users");
        const filterId = params.filterId ?? "";
        if (!/^\d{1,15}$/.test(filterId)) throw invalidParam("Invalid filter_id");
        const filter = filters.get(userId)?.[Number(filterId)];
        if (filter === undefined) throw notFound("No such filter");
        sendJson(res, 200, filter);
      },
    },
  ];
}
