// The OAuth server's `/_devserver/*` test-control paths, mounted only with `testHooks: true`:
//   POST /_devserver/approve {user_code, user, approve}  answers a device code as the consent page would
//                                                         (approve true: signed in as `user`; false: access_denied)
//   POST /_devserver/token   {user, device_id?}          creates the device and mints an access token for it
//                                                         -> {access_token, user_id, device_id}
//   POST /_devserver/expire-device-code {user_code}       ends a device code's lifetime now: the next poll is
//                                                         `expired_token`, as when nobody consented in time
// `user` is a localpart or a full user ID on this server.
import { randomInt } from "node:crypto";
import type Provider from "oidc-provider";
import type { AccountStore, HomeserverProvisioner } from "../accounts";
import { MatrixError, readJson, sendJson, type RequestHandler } from "../http";
import { createRouter } from "../router";
import { API_SCOPE, checkMatrixScopes, deviceScope } from "./matrix-scopes";

const BODY_LIMIT = 64 * 1024;
const DEVICE_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export interface OAuthTestHookDependencies {
  readonly provider: Provider;
  readonly accounts: AccountStore;
  readonly provisioner: HomeserverProvisioner;
  readonly resource: string;
}

function invalid(message: string): MatrixError {
  return new MatrixError(400, "M_INVALID_PARAM", message);
}

async function readJsonObject(req: Parameters<RequestHandler>[0]): Promise<Record<string, unknown>> {
  const body = await readJson(req, BODY_LIMIT);
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalid("body must be an object");
  return body as Record<string, unknown>;
}

/** oidc-provider's user code normalisation: upper case, separators dropped. */
function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/\W/g, "");
}

/** A Synapse-style device ID: ten upper-case letters. */
function generateDeviceId(): string {
  return Array.from({ length: 10 }, () => DEVICE_ID_ALPHABET[randomInt(DEVICE_ID_ALPHABET.length)]).join("");
}

/**
 * Answers a device code as the consent page would (approve: signed in as `localpart`; deny: access_denied). The
 * HTTP hook and the in-process demo both use it.
 */
export async function answerDeviceCode(
  dependencies: OAuthTestHookDependencies,
  userCode: string,
  localpart: string,
  approve: boolean,
): Promise<void> {
  const { provider, resource } = dependencies;
  const code = await provider.DeviceCode.findByUserCode(normalizeUserCode(userCode), {
    ignoreExpiration: true,
  });
  if (code === undefined) throw new MatrixError(404, "M_NOT_FOUND", "No such user code");
  if (code.isExpired) throw invalid("the user code has expired");
  if (code.error !== undefined || code.accountId !== undefined || code.inFlight === true) {
    throw invalid("the user code has already been used");
  }
  if (!approve) {
    code.error = "access_denied";
    code.errorDescription = "The user denied the request";
    await code.save();
    return;
  }
  const requested = typeof code.params.scope === "string" ? code.params.scope : undefined;
  const scopes = checkMatrixScopes(requested);
  if (!scopes.ok) throw invalid(scopes.reason);
  // What the consent page's Approve does (a grant holding the scopes), then what oidc-provider's device
  // flow records on the code once the user finished (oidc-provider/lib/actions/authorization/device.js).
  const grant = new provider.Grant({ accountId: localpart, clientId: code.clientId });
  if (scopes.openid) grant.addOIDCScope("openid");
  grant.addResourceScope(resource, scopes.matrixScopes.join(" "));
  const grantId = await grant.save();
  Object.assign(code, {
    accountId: localpart,
    authTime: Math.floor(Date.now() / 1000),
    grantId,
    scope: [...(scopes.openid ? ["openid"] : []), ...scopes.matrixScopes].join(" "),
    resource,
  });
  await code.save();
}

export function createOAuthTestHooksHandler(dependencies: OAuthTestHookDependencies): RequestHandler {
  const { provider, accounts, provisioner } = dependencies;

  function knownUser(value: unknown): string {
    const localpart = typeof value === "string" ? accounts.localpartOf(value) : undefined;
    if (localpart === undefined) throw invalid("user must name a configured user (localpart or user ID)");
    return localpart;
  }

  return createRouter([
    {
      method: "POST",
      path: "/_devserver/approve",
      handle: async ({ req, res }) => {
        const body = await readJsonObject(req);
        if (typeof body.user_code !== "string") throw invalid("user_code must be a string");
        if (typeof body.approve !== "boolean") throw invalid("approve must be true or false");
        await answerDeviceCode(dependencies, body.user_code, knownUser(body.user), body.approve);
        sendJson(res, 200, {});
      },
    },
    {
      method: "POST",
      path: "/_devserver/expire-device-code",
      handle: async ({ req, res }) => {
        const body = await readJsonObject(req);
        if (typeof body.user_code !== "string") throw invalid("user_code must be a string");
        const code = await provider.DeviceCode.findByUserCode(normalizeUserCode(body.user_code), {
          ignoreExpiration: true,
        });
        if (code === undefined) throw new MatrixError(404, "M_NOT_FOUND", "No such user code");
        // oidc-provider reads `exp` on every poll (DeviceCode keeps it when saved), so the next poll is expired.
        (code as unknown as { exp: number }).exp = Math.floor(Date.now() / 1000) - 1;
        await code.save();
        sendJson(res, 200, {});
      },
    },
    {
      method: "POST",
      path: "/_devserver/token",
      handle: async ({ req, res }) => {
        const body = await readJsonObject(req);
        const localpart = knownUser(body.user);
        const deviceId = body.device_id ?? generateDeviceId();
        if (typeof deviceId !== "string" || deviceId === "" || /\s/.test(deviceId)) {
          throw invalid("device_id must be a non-empty string without spaces");
        }
        await provisioner.upsertDevice(localpart, deviceId);
        const userId = accounts.userIdOf(localpart);
        const accessToken = accounts.issueAccessToken({
          userId,
          deviceId,
          scopes: [API_SCOPE.stable, deviceScope("stable", deviceId)],
        });
        sendJson(res, 200, { access_token: accessToken, user_id: userId, device_id: deviceId });
      },
    },
  ]);
}
