// The account's devices as the homeserver lists them: listing, "does this device exist?" (the existing device's
// checks before and after the new device signs in, MSC4108 steps A-G7/A-G11, B-S6/B-S10), this device's display
// name, and the account page where the user signs out another device (with MAS, only the account page can).
import { hostname } from "node:os";
import type { DeviceContext } from "./context";
import { MatrixError } from "./errors";
import { pathSegment } from "./http";

const CLIENT_V3 = "/_matrix/client/v3";

export interface AccountDevice {
  readonly deviceId: string;
  readonly displayName?: string;
  /** Milliseconds since the epoch. */
  readonly lastSeenTs?: number;
}

function unexpected(what: string, status: number): MatrixError {
  return new MatrixError("server_error", `${what}: unexpected HTTP ${status}`, { reason: String(status) });
}

export async function listDevices(ctx: DeviceContext, signal: AbortSignal): Promise<AccountDevice[]> {
  ctx.assertRunning();
  const { status, body } = await ctx.request("GET", `${CLIENT_V3}/devices`, signal);
  const devices = (body as { devices?: unknown } | undefined)?.devices;
  if (status !== 200 || !Array.isArray(devices)) throw unexpected("GET /devices", status);
  return devices.flatMap((device: unknown): AccountDevice[] => {
    if (typeof device !== "object" || device === null) return [];
    const { device_id, display_name, last_seen_ts } = device as Record<string, unknown>;
    if (typeof device_id !== "string") return [];
    return [
      {
        deviceId: device_id,
        ...(typeof display_name === "string" ? { displayName: display_name } : {}),
        ...(typeof last_seen_ts === "number" ? { lastSeenTs: last_seen_ts } : {}),
      },
    ];
  });
}

/**
 * Whether the account has a device with this ID: 200 yes, 404 no. Anything else (after the retries for network
 * failures, 429 and 5xx) is a typed error, never read as an answer: a 5xx must not pass for "no such device".
 */
export async function deviceExists(
  ctx: DeviceContext,
  deviceId: string,
  signal: AbortSignal,
): Promise<boolean> {
  ctx.assertRunning();
  const { status } = await ctx.request("GET", `${CLIENT_V3}/devices/${pathSegment(deviceId)}`, signal);
  if (status === 200) return true;
  if (status === 404) return false;
  throw unexpected("GET /devices/{deviceId}", status);
}

/** What this app calls its device on the account's device list. */
export function defaultDeviceDisplayName(host: string = hostname()): string {
  return `Matrix QR Login on ${host}`;
}

export async function setDisplayName(
  ctx: DeviceContext,
  displayName: string,
  signal: AbortSignal,
): Promise<void> {
  ctx.assertRunning();
  const { status } = await ctx.request(
    "PUT",
    `${CLIENT_V3}/devices/${pathSegment(ctx.account.deviceId)}`,
    signal,
    { display_name: displayName },
  );
  if (status !== 200) throw unexpected("PUT /devices/{deviceId}", status);
}

/** MSC4191 account-management actions this app links to. */
export type AccountPageAction =
  "org.matrix.session_end" | "org.matrix.sessions_list" | "org.matrix.cross_signing_reset";

/** The account page URL for an action (MSC4191: `action` and, for a session, `device_id` query parameters). */
export function accountPageUrl(
  accountManagementUri: string,
  action: AccountPageAction,
  deviceId?: string,
): string {
  const url = new URL(accountManagementUri);
  url.searchParams.set("action", action);
  if (deviceId !== undefined) url.searchParams.set("device_id", deviceId);
  return url.href;
}

/** The account page (`account_management_uri`): from the profile's OAuth client, else the auth metadata. */
export async function accountManagementUri(ctx: DeviceContext, signal: AbortSignal): Promise<string> {
  const stored = ctx.profile.oauthClient?.accountManagementUri;
  if (stored !== undefined) return stored;
  const { status, body } = await ctx.request("GET", "/_matrix/client/v1/auth_metadata", signal);
  const uri = (body as { account_management_uri?: unknown } | undefined)?.account_management_uri;
  if (status !== 200 || typeof uri !== "string") {
    throw new MatrixError("server_error", "the homeserver names no account page (account_management_uri)", {
      reason: "no_account_management_uri",
    });
  }
  // It becomes a link (accountPageUrl): a text that is no absolute URL is the server's error, not a TypeError.
  if (!URL.canParse(uri)) {
    throw new MatrixError(
      "server_error",
      "the homeserver's account page (account_management_uri) is no URL",
      {
        reason: "invalid_account_management_uri",
      },
    );
  }
  return uri;
}
