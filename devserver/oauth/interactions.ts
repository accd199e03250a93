// The login and consent steps oidc-provider hands over to us (`interactions.url`), for both the authorization code
// flow and the device flow:
//   GET  /interaction/{uid}          the login form or the consent page, whichever prompt is pending
//   POST /interaction/{uid}/login    username + password
//   POST /interaction/{uid}/consent  decision=approve|deny
// The interaction cookie (SameSite=Lax, scoped to this path) ties a POST to the browser that started the flow, so a
// cross-site form cannot answer for the user. Deny ends the flow with `access_denied`: a redirect for the
// authorization code flow, the device code's error (and the "denied" page) for the device flow.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { InteractionDetails } from "oidc-provider";
import type Provider from "oidc-provider";
import type { AccountStore } from "../accounts";
import { MatrixError, readBody, type RequestHandler } from "../http";
import { createRouter } from "../router";
import { checkMatrixScopes } from "./matrix-scopes";
import { consentPage, errorPage, loginPage, sendPage } from "./pages";
import { INTERACTION_PATH } from "./provider";

const FORM_LIMIT = 16 * 1024;

export interface InteractionDependencies {
  readonly provider: Provider;
  readonly accounts: AccountStore;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new MatrixError(415, "M_UNRECOGNIZED", "Expected a form submission");
  }
  return new URLSearchParams(Buffer.from(await readBody(req, FORM_LIMIT)).toString("utf8"));
}

const EXPIRED_INTERACTION =
  "This sign-in page has expired or was opened in a different browser. Start signing in again from your device.";

export function createInteractionHandler({ provider, accounts }: InteractionDependencies): RequestHandler {
  /** The pending interaction for this browser, or undefined after answering with an error page. */
  async function interaction(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
  ): Promise<InteractionDetails | undefined> {
    let details: InteractionDetails;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      sendPage(res, 400, errorPage("Sign-in expired", EXPIRED_INTERACTION));
      return undefined;
    }
    if (details.uid !== uid) {
      sendPage(res, 400, errorPage("Sign-in expired", EXPIRED_INTERACTION));
      return undefined;
    }
    return details;
  }

  async function clientLabel(
    details: InteractionDetails,
  ): Promise<{ name: string; uri: string | undefined }> {
    const clientId = details.params.client_id;
    const client = typeof clientId === "string" ? await provider.Client.find(clientId) : undefined;
    const uri = client?.clientUri;
    const name =
      client?.clientName ?? (uri === undefined ? undefined : URL.parse(uri)?.host) ?? "An application";
    return { name, uri };
  }

  async function renderLogin(
    res: ServerResponse,
    details: InteractionDetails,
    status: number,
    form: { username?: string; error?: string } = {},
  ): Promise<void> {
    const { name } = await clientLabel(details);
    sendPage(
      res,
      status,
      loginPage({ action: `${INTERACTION_PATH}/${details.uid}/login`, clientName: name, ...form }),
    );
  }

  async function renderConsent(res: ServerResponse, details: InteractionDetails): Promise<void> {
    const accountId = details.session?.accountId;
    const scopes = checkMatrixScopes(
      typeof details.params.scope === "string" ? details.params.scope : undefined,
    );
    if (accountId === undefined || !scopes.ok) {
      sendPage(res, 400, errorPage("Cannot continue", "This sign-in request is not valid."));
      return;
    }
    const code =
      details.deviceCode === undefined
        ? undefined
        : await provider.DeviceCode.find(details.deviceCode, {
            ignoreExpiration: true,
            ignoreSessionBinding: true,
          });
    const client = await clientLabel(details);
    sendPage(
      res,
      200,
      consentPage({
        action: `${INTERACTION_PATH}/${details.uid}/consent`,
        clientName: client.name,
        clientUri: client.uri,
        userId: accounts.userIdOf(accountId),
        deviceId: scopes.deviceId,
        userCode: code?.userCode,
        scopes: scopes.matrixScopes,
      }),
    );
  }

  async function approve(
    req: IncomingMessage,
    res: ServerResponse,
    details: InteractionDetails,
  ): Promise<void> {
    const accountId = details.session?.accountId;
    const clientId = details.params.client_id;
    if (accountId === undefined || typeof clientId !== "string") {
      sendPage(res, 400, errorPage("Cannot continue", "This sign-in request is not valid."));
      return;
    }
    const existing = details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId);
    const grant = existing ?? new provider.Grant({ accountId, clientId });
    const { missingOIDCScope, missingResourceScopes } = details.prompt.details;
    if (missingOIDCScope !== undefined) grant.addOIDCScope(missingOIDCScope.join(" "));
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { consent: existing === undefined ? { grantId } : {} },
      { mergeWithLastSubmission: true },
    );
  }

  return createRouter([
    {
      method: "GET",
      path: `${INTERACTION_PATH}/{uid}`,
      handle: async ({ req, res, params }) => {
        const details = await interaction(req, res, params.uid ?? "");
        if (details === undefined) return;
        if (details.prompt.name === "login") await renderLogin(res, details, 200);
        else if (details.prompt.name === "consent") await renderConsent(res, details);
        else sendPage(res, 400, errorPage("Cannot continue", "This sign-in step is not supported."));
      },
    },
    {
      method: "POST",
      path: `${INTERACTION_PATH}/{uid}/login`,
      handle: async ({ req, res, params }) => {
        const form = await readForm(req);
        const details = await interaction(req, res, params.uid ?? "");
        if (details === undefined) return;
        if (details.prompt.name !== "login") {
          sendPage(res, 400, errorPage("Cannot continue", "You are already signed in for this request."));
          return;
        }
        const username = form.get("username") ?? "";
        const localpart = accounts.checkPassword(username, form.get("password") ?? "");
        if (localpart === undefined) {
          await renderLogin(res, details, 200, { username, error: "Wrong username or password. Try again." });
          return;
        }
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: localpart } },
          { mergeWithLastSubmission: false },
        );
      },
    },
    {
      method: "POST",
      path: `${INTERACTION_PATH}/{uid}/consent`,
      handle: async ({ req, res, params }) => {
        const form = await readForm(req);
        const details = await interaction(req, res, params.uid ?? "");
        if (details === undefined) return;
        if (details.prompt.name !== "consent") {
          sendPage(res, 400, errorPage("Cannot continue", "This request is not waiting for your approval."));
          return;
        }
        const decision = form.get("decision");
        if (decision === "approve") {
          await approve(req, res, details);
        } else if (decision === "deny") {
          await provider.interactionFinished(
            req,
            res,
            { error: "access_denied", error_description: "The user denied the request" },
            { mergeWithLastSubmission: false },
          );
        } else {
          await renderConsent(res, details);
        }
      },
    },
  ]);
}
