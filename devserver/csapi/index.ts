// The client-server API slice end-to-end encryption needs (docs/ARCHITECTURE.md §6), one module per endpoint family:
//   devices.ts        GET /devices, GET|PUT|DELETE /devices/{deviceId}
//   keys.ts           POST /keys/upload, /keys/query, /keys/claim
//   cross-signing.ts  POST /keys/device_signing/upload, /keys/signatures/upload
//   room-keys.ts      /room_keys/version[/{version}], /room_keys/keys[/{roomId}[/{sessionId}]]
//   account-data.ts   GET|PUT /user/{userId}/account_data/{type}
//   filters.ts        POST /user/{userId}/filter, GET /user/{userId}/filter/{filterId}
//   to-device.ts      PUT /sendToDevice/{eventType}/{txnId}
//   sync.ts           GET /sync
//   push-rules.ts     GET /pushrules/
//   capabilities.ts   GET /capabilities
//   profile.ts        GET /profile/{userId}, GET|PUT /profile/{userId}/displayname|avatar_url
//   logout.ts         POST /logout, POST /logout/all
// all under `/_matrix/client/v3` (matrix-js-sdk 43 needs no r0 aliases), every one authenticated through the
// account store (`GET /account/whoami` stays in ../client-api.ts). State lives in memory: a restart starts empty.
// Paths nobody serves fall through to the devserver's 404 `M_UNRECOGNIZED`.
import type { AccountStore } from "../accounts";
import type { Clock } from "../clock";
import type { RequestHandler } from "../http";
import { ACCOUNT_PATH } from "../oauth/provider";
import { createRouter } from "../router";
import { accountDataRoutes } from "./account-data";
import { capabilityRoutes } from "./capabilities";
import { createCsApiContext } from "./context";
import { crossSigningRoutes } from "./cross-signing";
import { deviceRoutes } from "./devices";
import { filterRoutes } from "./filters";
import { keyRoutes } from "./keys";
import { logoutRoutes } from "./logout";
import { profileRoutes } from "./profile";
import { pushRuleRoutes } from "./push-rules";
import { roomKeyRoutes } from "./room-keys";
import { syncRoutes } from "./sync";
import { createCsApiTestHooksHandler } from "./test-hooks";
import { toDeviceRoutes } from "./to-device";

export interface CsApiDependencies {
  readonly accounts: AccountStore;
  readonly clock: Clock;
  /** The homeserver's public base URL, no trailing slash. */
  readonly publicBaseUrl: string;
}

const PREFIX = "/_matrix/client/v3";

export interface CsApi {
  readonly handler: RequestHandler;
  /** `/_devserver/cross-signing-reset` and `/_devserver/sign-out`; mount only with `testHooks`. */
  readonly testHooks: RequestHandler;
}

export function createCsApi({ accounts, clock, publicBaseUrl }: CsApiDependencies): CsApi {
  const ctx = createCsApiContext({
    accounts,
    clock,
    accountManagementUrl: `${publicBaseUrl}${ACCOUNT_PATH}`,
  });
  // A new or removed device changes the user's device list; a removed one takes its keys and messages along.
  accounts.onDeviceAdded((userId) => {
    ctx.deviceLists.markChanged(userId);
  });
  accounts.onDeviceRemoved((userId, deviceId) => {
    ctx.keys.removeDevice(userId, deviceId);
    ctx.toDevice.removeDevice(userId, deviceId);
    ctx.deviceLists.markChanged(userId);
  });
  const handler = createRouter(
    [
      deviceRoutes,
      keyRoutes,
      crossSigningRoutes,
      roomKeyRoutes,
      accountDataRoutes,
      filterRoutes,
      toDeviceRoutes,
      syncRoutes,
      pushRuleRoutes,
      capabilityRoutes,
      profileRoutes,
      logoutRoutes,
    ].flatMap((routes) => routes(ctx, PREFIX)),
  );
  return { handler, testHooks: createCsApiTestHooksHandler(ctx) };
}
