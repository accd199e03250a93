// The client-server API slice the devserver serves. So far: `GET /_matrix/client/v3/account/whoami`. Every
// authenticated endpoint asks the account store who its token acts for (`requireSession` in http.ts), so tokens
// from the OAuth server and from the test hooks work alike.
import type { AccountStore } from "./accounts";
import { requireSession, sendJson, type RequestHandler } from "./http";
import { createRouter } from "./router";

export interface ClientApiDependencies {
  readonly accounts: AccountStore;
}

export function createClientApiHandler({ accounts }: ClientApiDependencies): RequestHandler {
  return createRouter([
    {
      method: "GET",
      path: "/_matrix/client/v3/account/whoami",
      handle: async ({ req, res, url }) => {
        const session = await requireSession(accounts.authenticate, req, url);
        sendJson(res, 200, { user_id: session.userId, device_id: session.deviceId, is_guest: false });
      },
    },
  ]);
}
