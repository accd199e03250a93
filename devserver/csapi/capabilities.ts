// `GET /capabilities`: what Synapse 1.160 advertises with MAS in charge of accounts (no password or 3PID changes
// through the client-server API; those happen in MAS).
import { sendJson } from "../http";
import type { Route } from "../router";
import type { CsApiContext } from "./context";

const ROOM_VERSIONS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

export function capabilityRoutes(ctx: CsApiContext, prefix: string): Route[] {
  return [
    {
      method: "GET",
      path: `${prefix}/capabilities`,
      handle: async ({ req, res, url }) => {
        await ctx.authenticate(req, url);
        sendJson(res, 200, {
          capabilities: {
            "m.room_versions": {
              default: "10",
              available: Object.fromEntries(ROOM_VERSIONS.map((version) => [version, "stable"])),
            },
            "m.change_password": { enabled: false },
            "m.set_displayname": { enabled: true },
            "m.set_avatar_url": { enabled: true },
            "m.3pid_changes": { enabled: false },
            "m.get_login_token": { enabled: false },
          },
        });
      },
    },
  ];
}
