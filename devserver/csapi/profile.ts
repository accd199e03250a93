// Profiles: `GET /profile/{userId}`, `GET`/`PUT /profile/{userId}/displayname|avatar_url`. A user's display name
// starts as their localpart, as on Synapse. The token is required here too (Synapse's
// `require_auth_for_profile_requests`), so that every call of the slice is authenticated.
import { MatrixError, sendJson } from "../http";
import type { Route } from "../router";
import type { CsApiContext } from "./context";
import { forbidden, invalidParam, missingParam, notFound, readJsonObject, serverNameOf } from "./request";

type ProfileField = "displayname" | "avatar_url";

/** Synapse's `MAX_DISPLAYNAME_LEN` and `MAX_AVATAR_URL_LEN`. */
const MAX_LENGTH: Readonly<Record<ProfileField, number>> = { displayname: 256, avatar_url: 1000 };

export function profileRoutes(ctx: CsApiContext, prefix: string): Route[] {
  /** user → fields that differ from the default (a `null` clears one). */
  const profiles = new Map<string, Partial<Record<ProfileField, string | null>>>();

  function profileOf(userId: string): Partial<Record<ProfileField, string>> {
    if (serverNameOf(userId) === undefined) throw invalidParam("Invalid user id");
    const localpart = ctx.accounts.localpartOf(userId);
    if (localpart === undefined) throw notFound("Profile was not found");
    const stored = { displayname: localpart, ...profiles.get(userId) };
    return Object.fromEntries(Object.entries(stored).filter(([, value]) => typeof value === "string"));
  }

  const fieldRoutes = (field: ProfileField): Route[] => [
    {
      method: "GET",
      path: `${prefix}/profile/{userId}/${field}`,
      handle: async ({ req, res, url, params }) => {
        await ctx.authenticate(req, url);
        const value = profileOf(params.userId ?? "")[field];
        if (value === undefined) throw notFound("The requested profile key does not exist.");
        sendJson(res, 200, { [field]: value });
      },
    },
    {
      method: "PUT",
      path: `${prefix}/profile/{userId}/${field}`,
      handle: async ({ req, res, url, params }) => {
        const { userId } = await ctx.authenticate(req, url);
        const body = await readJsonObject(req);
        if (params.userId !== userId) throw forbidden(`Cannot set another user's ${field}`);
        if (!(field in body)) throw missingParam(`Missing key '${field}'`);
        const value = body[field];
        if (value !== null && typeof value !== "string") throw invalidParam(`'${field}' must be a string`);
        if (typeof value === "string" && value.length > MAX_LENGTH[field]) {
          throw new MatrixError(400, "M_INVALID_PARAM", `${field} is too long (max ${MAX_LENGTH[field]})`);
        }
        profiles.set(userId, { ...profiles.get(userId), [field]: value });
        sendJson(res, 200, {});
      },
    },
  ];

  return [
    {
      method: "GET",
      path: `${prefix}/profile/{userId}`,
      handle: async ({ req, res, url, params }) => {
        await ctx.authenticate(req, url);
        sendJson(res, 200, profileOf(params.userId ?? ""));
      },
    },
    ...fieldRoutes("displayname"),
    ...fieldRoutes("avatar_url"),
  ];
}
