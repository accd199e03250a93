// The client-server API slice the devserver serves. So far: `GET /_matrix/client/v3/account/whoami`. Every
// authenticated endpoint reads its token the way Synapse does (`accessTokenOf`) and asks the account store who it
// acts for (`requireSession`), so tokens from the OAuth server and from the test hooks work alike.
import type { IncomingMessage } from "node:http";
import type { AccessSession, AccountStore } from "./accounts";
import { MatrixError, accessTokenOf, sendJson, type RequestHandler } from "./http";
import { createRouter } from "./router";

export interface ClientApiDependencies {
  readonly accounts: AccountStore;
}

/**
 * The session behind the request's access token, or the 401 Synapse answers with MAS in charge of tokens:
 * `M_MISSING_TOKEN`, or `M_UNKNOWN_TOKEN` "Token is not active" (what it says when MAS's introspection says so).
 */
export async function requireSession(
  accounts: AccountStore,
  req: IncomingMessage,
  url: URL,
): Promise<AccessSession> {
  const token = accessTokenOf(req, url);
  if (token === undefined) throw new MatrixError(401, "M_MISSING_TOKEN", "Missing access token");
  const session = await accounts.authenticate(token);
  if (session === null) {
    throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Token is not active", { soft_logout: false });
  }
  return session;
}

export function createClientApiHandler({ accounts }: ClientApiDependencies): RequestHandler {
  return createRouter([
    {
      method: "GET",
      path: "/_matrix/client/v3/account/whoami",
      handle: async ({ req, res, url }) => {
        const session = await requireSession(accounts, req, url);
        sendJson(res, 200, { user_id: session.userId, device_id: session.deviceId, is_guest: false });
      },
    },
  ]);
}
