// Device management: `GET /devices`, `GET`/`PUT`/`DELETE /devices/{deviceId}`.
//
// Deleting. With OAuth delegated to MAS, Synapse serves no way to delete a device over the client-server API:
// `DELETE /devices/{deviceId}` authenticates and then answers 404 `M_UNRECOGNIZED` (user-interactive auth is
// impossible there), and `POST /delete_devices` is not mounted at all (404 `M_UNRECOGNIZED`, as matrix.org
// answers). Devices end where their OAuth session ends: the account page or token revocation at the OAuth server
// (which removes the device from the account store), or `POST /logout` here. The devserver does the same.
import type { Device } from "../accounts";
import { MatrixError, sendJson, unrecognized } from "../http";
import type { Route } from "../router";
import type { CsApiContext } from "./context";
import { badJson, notFound, readJsonObject } from "./request";

/** Synapse's `MAX_DEVICE_DISPLAY_NAME_LEN`. */
const MAX_DISPLAY_NAME_LENGTH = 100;

function describe(ctx: CsApiContext, device: Device): Record<string, unknown> {
  const seen = ctx.lastSeen(device.userId, device.deviceId);
  return {
    user_id: device.userId,
    device_id: device.deviceId,
    display_name: device.displayName ?? null,
    last_seen_ip: seen?.ip ?? null,
    last_seen_ts: seen?.ts ?? null,
  };
}

export function deviceRoutes(ctx: CsApiContext, prefix: string): Route[] {
  const one = `${prefix}/devices/{deviceId}`;
  return [
    {
      method: "GET",
      path: `${prefix}/devices`,
      handle: async ({ req, res, url }) => {
        const session = await ctx.authenticate(req, url);
        const devices = ctx.accounts.listDevices(session.userId).map((device) => describe(ctx, device));
        sendJson(res, 200, { devices });
      },
    },
    {
      method: "GET",
      path: one,
      handle: async ({ req, res, url, params }) => {
        const session = await ctx.authenticate(req, url);
        const device = ctx.accounts.getDevice(session.userId, params.deviceId ?? "");
        if (device === undefined) throw notFound("No device found");
        sendJson(res, 200, describe(ctx, device));
      },
    },
    {
      method: "PUT",
      path: one,
      handle: async ({ req, res, url, params }) => {
        const session = await ctx.authenticate(req, url);
        const body = await readJsonObject(req);
        const displayName = body.display_name;
        if (displayName !== undefined && displayName !== null && typeof displayName !== "string") {
          throw badJson("display_name must be a string");
        }
        if (typeof displayName === "string" && displayName.length > MAX_DISPLAY_NAME_LENGTH) {
          throw new MatrixError(
            400,
            "M_TOO_LARGE",
            `Device display name is too long (max ${MAX_DISPLAY_NAME_LENGTH})`,
          );
        }
        const deviceId = params.deviceId ?? "";
        const device = ctx.accounts.getDevice(session.userId, deviceId);
        if (device === undefined) throw notFound("Not found");
        // Synapse leaves the name as it is when the body has none (or null).
        if (typeof displayName === "string") {
          ctx.accounts.setDeviceDisplayName(session.userId, deviceId, displayName);
          // The name is part of what `/keys/query` reports (`unsigned.device_display_name`).
          ctx.deviceLists.markChanged(session.userId);
        }
        sendJson(res, 200, {});
      },
    },
    {
      method: "DELETE",
      path: one,
      handle: async ({ req, url }) => {
        await ctx.authenticate(req, url);
        throw unrecognized(404);
      },
    },
  ];
}
