// `POST /logout` and `POST /logout/all`, as the spec describes them: the access token's device is deleted (and
// with it every token acting for it, its keys and its OAuth session), or every device of the user.
//
// Synapse with OAuth delegated to MAS does not serve these (404 `M_UNRECOGNIZED`): clients there revoke their
// token at the OAuth server, and MAS then deletes the device. The devserver serves both ways.
import { sendJson } from "../http";
import type { Route } from "../router";
import type { CsApiContext } from "./context";

export function logoutRoutes(ctx: CsApiContext, prefix: string): Route[] {
  return [
    {
      method: "POST",
      path: `${prefix}/logout`,
      handle: async ({ req, res, url }) => {
        const { userId, deviceId } = await ctx.authenticate(req, url);
        ctx.accounts.removeDevice(userId, deviceId);
        sendJson(res, 200, {});
      },
    },
    {
      method: "POST",
      path: `${prefix}/logout/all`,
      handle: async ({ req, res, url }) => {
        const { userId } = await ctx.authenticate(req, url);
        for (const device of ctx.accounts.listDevices(userId))
          ctx.accounts.removeDevice(userId, device.deviceId);
        sendJson(res, 200, {});
      },
    },
  ];
}
