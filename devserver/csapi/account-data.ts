// Global account data: `GET`/`PUT /user/{userId}/account_data/{type}` and what `/sync` reports of it. Secret
// storage (`m.secret_storage.*`, `m.cross_signing.*`, `m.megolm_backup.v1`) lives here.
import { sendJson } from "../http";
import type { Route } from "../router";
import type { CsApiContext } from "./context";
import type { EventStream } from "./event-stream";
import { forbidden, notFound, readJsonObject } from "./request";
import type { JsonObject } from "./signing";

interface StoredAccountData {
  readonly content: JsonObject;
  readonly position: number;
}

export class AccountDataStore {
  /** user → type → content, with the stream position of its last change. */
  private readonly data = new Map<string, Map<string, StoredAccountData>>();

  constructor(private readonly stream: EventStream) {}

  get(userId: string, type: string): JsonObject | undefined {
    return this.data.get(userId)?.get(type)?.content;
  }

  set(userId: string, type: string, content: JsonObject): void {
    const byType = this.data.get(userId) ?? new Map<string, StoredAccountData>();
    this.data.set(userId, byType);
    byType.set(type, { content, position: this.stream.advance([userId]) });
  }

  /** Events for `/sync`: everything on an initial sync (`since` undefined), else what changed after `since`. */
  eventsSince(userId: string, since: number | undefined): { type: string; content: JsonObject }[] {
    return [...(this.data.get(userId)?.entries() ?? [])]
      .filter(([, stored]) => since === undefined || stored.position > since)
      .map(([type, stored]) => ({ type, content: stored.content }));
  }
}

export function accountDataRoutes(ctx: CsApiContext, prefix: string): Route[] {
  const path = `${prefix}/user/{userId}/account_data/{type}`;
  return [
    {
      method: "GET",
      path,
      handle: async ({ req, res, url, params }) => {
        const session = await ctx.authenticate(req, url);
        if (params.userId !== session.userId) throw forbidden("Cannot get account data for other users.");
        const content = ctx.accountData.get(session.userId, params.type ?? "");
        if (content === undefined) throw notFound("Account data not found");
        sendJson(res, 200, content);
      },
    },
    {
      method: "PUT",
      path,
      handle: async ({ req, res, url, params }) => {
        const session = await ctx.authenticate(req, url);
        if (params.userId !== session.userId) throw forbidden("Cannot add account data for other users.");
        const content = await readJsonObject(req);
        ctx.accountData.set(session.userId, params.type ?? "", content);
        sendJson(res, 200, {});
      },
    },
  ];
}
