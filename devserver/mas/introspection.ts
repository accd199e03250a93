// Token introspection for the homeserver (RFC 7662), as MAS answers Synapse (MAS crates/handlers/src/oauth2/
// introspection.rs; Synapse 1.160 synapse/api/auth/mas.py). Synapse sends every access token it has not cached:
//   POST /oauth2/introspect   Authorization: Bearer <shared secret>   X-MAS-Supports-Device-Id: 1
//   token=<token>&token_type_hint=access_token            (application/x-www-form-urlencoded)
// and reads `active`, `scope` (must hold `urn:matrix:client:api:*` or the unstable name), `username` (the
// localpart), `device_id` (else the one device scope) and `expires_in` (relative seconds; it ignores `exp`).
// Requests without a Bearer token are client introspection and go on to oidc-provider.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type Provider from "oidc-provider";
import type { AccountStore } from "../accounts";
import { readBody, sendJson, type RequestHandler } from "../http";
import { API_SCOPE, deviceScope } from "../oauth/matrix-scopes";
import { OAUTH_ROUTES } from "../oauth/provider";

const FORM_LIMIT = 64 * 1024;
const DEVICE_ID_HEADER = "x-mas-supports-device-id";

export interface IntrospectionDependencies {
  readonly secret: string;
  readonly provider: Provider;
  readonly accounts: AccountStore;
}

const INACTIVE = { active: false } as const;

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function bearerOf(req: IncomingMessage): string | undefined {
  const parts = (req.headers.authorization ?? "").split(" ");
  return parts.length === 2 && parts[0] === "Bearer" ? parts[1] : undefined;
}

/**
 * MAS names every token's scopes in both families, whichever one the client asked for, so that a homeserver that
 * only knows one of them still understands it. Sorted, as MAS keeps scopes in a BTreeSet.
 */
function bothFamilies(deviceId: string): string {
  return [
    API_SCOPE.stable,
    API_SCOPE.unstable,
    deviceScope("stable", deviceId),
    deviceScope("unstable", deviceId),
  ]
    .sort()
    .join(" ");
}

export function createIntrospectionHandler({
  secret,
  provider,
  accounts,
}: IntrospectionDependencies): RequestHandler {
  async function introspect(token: string, withDeviceId: boolean): Promise<Record<string, unknown>> {
    // The account store answers for the OAuth server's tokens and for the test hooks' tokens alike, and only while
    // their device exists (MAS ends a session's tokens when its device is deleted).
    const session = await accounts.authenticate(token);
    const localpart = session === null ? undefined : accounts.localpartOf(session.userId);
    if (session === null || localpart === undefined) return INACTIVE;
    const accessToken = await provider.AccessToken.find(token);
    const exp = accessToken?.exp;
    return {
      active: true,
      scope: bothFamilies(session.deviceId),
      ...(accessToken === undefined ? {} : { client_id: accessToken.clientId }),
      username: localpart,
      sub: localpart,
      token_type: "access_token",
      // Tokens from the test hooks never expire, like MAS's compatibility tokens: no exp and no expires_in.
      ...(exp === undefined ? {} : { exp, expires_in: Math.max(0, exp - Math.floor(Date.now() / 1000)) }),
      ...(withDeviceId ? { device_id: session.deviceId } : {}),
    };
  }

  return async (req, res, url) => {
    if (url.pathname !== OAUTH_ROUTES.introspection || req.method !== "POST") return false;
    const bearer = bearerOf(req);
    if (bearer === undefined) return false;
    const form = new URLSearchParams(Buffer.from(await readBody(req, FORM_LIMIT)).toString("utf8"));
    if (!sameSecret(bearer, secret)) {
      sendJson(res, 401, { error: "access_denied", error_description: "bearer token presented is invalid" });
      return true;
    }
    const token = form.get("token");
    const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/x-www-form-urlencoded" || token === null || token === "") {
      sendJson(res, 400, { error: "invalid_request" });
      return true;
    }
    // MAS answers "inactive" when the hint names another kind of token than the one given.
    const hint = form.get("token_type_hint");
    const answer =
      hint !== null && hint !== "access_token"
        ? INACTIVE
        : await introspect(token, req.headers[DEVICE_ID_HEADER] === "1");
    sendJson(res, 200, answer, { "Cache-Control": "no-store" });
    return true;
  };
}
