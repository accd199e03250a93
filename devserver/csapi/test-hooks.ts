// The client-server API's `/_devserver/*` test-control paths, mounted only with `testHooks: true`; each plays
// what MAS's account page does on a real deployment:
//   POST /_devserver/cross-signing-reset {user}        the user approved resetting their cross-signing identity:
//                                                       replacing the keys needs no user-interactive auth for 10
//                                                       minutes -> {updatable_without_uia_before_ms}
//   POST /_devserver/sign-out {user, device_id}        the user signed that device out: its access and refresh
//                                                       tokens stop working and the device is deleted -> {}
// `user` is a localpart or a full user ID on this server.
import { MatrixError, readJson, sendJson, type RequestHandler } from "../http";
import { createRouter } from "../router";
import type { CsApiContext } from "./context";

const BODY_LIMIT = 64 * 1024;

/** How long an approved reset lasts (Synapse's `_allow_cross_signing_replacement_without_uia`, as MAS calls it). */
export const CROSS_SIGNING_RESET_WINDOW_MS = 10 * 60 * 1000;

function invalid(message: string): MatrixError {
  return new MatrixError(400, "M_INVALID_PARAM", message);
}

export function createCsApiTestHooksHandler(ctx: CsApiContext): RequestHandler {
  async function readBody(req: Parameters<RequestHandler>[0]): Promise<Record<string, unknown>> {
    const body = await readJson(req, BODY_LIMIT);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw invalid("body must be an object");
    return body as Record<string, unknown>;
  }

  function userIdOf(value: unknown): string {
    const localpart = typeof value === "string" ? ctx.accounts.localpartOf(value) : undefined;
    if (localpart === undefined) throw invalid("user must name a configured user (localpart or user ID)");
    return ctx.accounts.userIdOf(localpart);
  }

  return createRouter([
    {
      method: "POST",
      path: "/_devserver/cross-signing-reset",
      handle: async ({ req, res }) => {
        const userId = userIdOf((await readBody(req)).user);
        const before = ctx.clock.now() + CROSS_SIGNING_RESET_WINDOW_MS;
        ctx.keys.allowReplacementUntil(userId, before);
        sendJson(res, 200, { updatable_without_uia_before_ms: before });
      },
    },
    {
      method: "POST",
      path: "/_devserver/sign-out",
      handle: async ({ req, res }) => {
        const body = await readBody(req);
        const userId = userIdOf(body.user);
        if (typeof body.device_id !== "string") throw invalid("device_id must be a string");
        if (!ctx.accounts.removeDevice(userId, body.device_id)) {
          throw new MatrixError(404, "M_NOT_FOUND", "No such device");
        }
        sendJson(res, 200, {});
      },
    },
  ]);
}
