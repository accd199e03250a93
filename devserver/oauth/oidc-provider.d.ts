// Types for the part of oidc-provider 9.13 that the devserver's OAuth server uses. The package ships no types and
// `@types/oidc-provider` is not a dependency; these declarations follow the library's source
// (oidc-provider/lib/provider.js, lib/models/*, oidc-provider/lib/helpers/defaults.js) and cover only what
// devserver/oauth/ calls. Extend them when you use more of the library.
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  /** The Koa context oidc-provider hands to its middleware and configuration functions. */
  export interface KoaContext {
    readonly method: string;
    readonly path: string;
    readonly query: Readonly<Record<string, string | string[] | undefined>>;
    querystring: string;
    status: number;
    body: unknown;
    type: string;
    readonly req: IncomingMessage;
    readonly res: ServerResponse;
    /** Per-request scratch space shared by middleware. */
    readonly state: Record<string, unknown>;
    set(field: string, value: string): void;
    get(field: string): string;
    /** Defined once oidc-provider's router matched one of its routes; undefined before and for unknown paths. */
    readonly oidc: OIDCContext | undefined;
  }

  export type Next = () => Promise<void>;
  export type Middleware = (ctx: KoaContext, next: Next) => Promise<void>;

  export interface OIDCContext {
    /** The route name, e.g. `token`, `device_authorization`, `code_verification`, `discovery`. */
    readonly route: string;
    /** The recognised request parameters (an object of strings; unset ones are undefined). */
    readonly params: Readonly<Record<string, unknown>> | undefined;
    /** The parsed request body (registration: the JSON document). */
    readonly body: Readonly<Record<string, unknown>> | undefined;
    readonly client: Client | undefined;
    readonly session: { readonly accountId?: string; state?: { secret?: string } } | undefined;
    readonly entities: Readonly<{
      AccessToken?: AccessToken;
      RefreshToken?: RefreshToken;
      DeviceCode?: DeviceCode;
      AuthorizationCode?: AuthorizationCode;
      Account?: { readonly accountId: string };
    }>;
    readonly deviceCode: DeviceCode | undefined;
    urlFor(name: string, options?: Readonly<Record<string, unknown>>): string;
  }

  export interface Client {
    readonly clientId: string;
    readonly clientName?: string;
    readonly clientUri?: string;
    readonly applicationType: "web" | "native";
    readonly grantTypes: readonly string[];
    readonly redirectUris: readonly string[];
    grantTypeAllowed(grantType: string): boolean;
  }

  export interface ClientStatic {
    find(clientId: string): Promise<Client | undefined>;
  }

  /** Fields every stored token shares (oidc-provider/lib/models/base_token.js). */
  export interface BaseToken {
    /** For opaque tokens, also the token value. */
    readonly jti: string;
    readonly clientId: string;
    readonly isExpired: boolean;
    readonly scopes: ReadonlySet<string>;
    accountId?: string;
    grantId?: string;
    scope?: string;
    resource?: string | string[];
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface AccessToken extends BaseToken {
    readonly exp?: number;
  }

  export type RefreshToken = BaseToken;
  export type AuthorizationCode = BaseToken;

  export interface DeviceCode extends BaseToken {
    /** Normalised: upper case, no separators. */
    readonly userCode: string;
    readonly params: Readonly<Record<string, unknown>>;
    error?: string;
    errorDescription?: string;
    authTime?: number;
    inFlight?: boolean;
  }

  export interface FindOptions {
    ignoreExpiration?: boolean;
    ignoreSessionBinding?: boolean;
  }

  export interface TokenStatic<T> {
    find(value: string, options?: FindOptions): Promise<T | undefined>;
    /** Removes every token of this model issued under the grant (the adapter's `revokeByGrantId`). */
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface DeviceCodeStatic extends TokenStatic<DeviceCode> {
    findByUserCode(userCode: string, options?: FindOptions): Promise<DeviceCode | undefined>;
  }

  export interface Grant {
    readonly jti: string;
    readonly accountId: string;
    readonly clientId: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface GrantStatic {
    new (properties: { accountId: string; clientId: string }): Grant;
    find(grantId: string): Promise<Grant | undefined>;
  }

  export interface InteractionDetails {
    readonly uid: string;
    readonly prompt: {
      readonly name: string;
      readonly reasons: readonly string[];
      readonly details: Readonly<{
        missingOIDCScope?: readonly string[];
        missingResourceScopes?: Readonly<Record<string, readonly string[]>>;
      }>;
    };
    readonly params: Readonly<Record<string, unknown>>;
    readonly session?: { readonly accountId: string };
    readonly grantId?: string;
    /** The device code's `jti` when the interaction belongs to the device flow. */
    readonly deviceCode?: string;
  }

  export type InteractionResults =
    | { login: { accountId: string } }
    | { consent: { grantId?: string } }
    | { error: string; error_description?: string };

  export interface Account {
    readonly accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>>;
  }

  /** A stored model as the adapter sees it. */
  export type AdapterPayload = Readonly<Record<string, unknown>> & {
    readonly grantId?: string;
    readonly userCode?: string;
    readonly uid?: string;
    consumed?: number;
  };

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: "opaque" | "jwt";
  }

  /** The configuration keys the devserver sets (oidc-provider/lib/helpers/defaults.js documents all of them). */
  export interface Configuration {
    adapter?: (modelName: string) => Adapter;
    clientAuthMethods?: readonly string[];
    clientBasedCORS?: (ctx: KoaContext, origin: string, client: Client) => boolean;
    clientDefaults?: Readonly<Record<string, unknown>>;
    cookies?: { keys?: string[] };
    discovery?: Readonly<Record<string, unknown>>;
    enabledJWA?: Readonly<Record<string, readonly string[]>>;
    expiresWithSession?: (ctx: KoaContext, token: BaseToken) => Promise<boolean>;
    extraClientMetadata?: {
      properties: readonly string[];
      validator: (
        ctx: KoaContext | undefined,
        key: string,
        value: unknown,
        metadata: Record<string, unknown>,
      ) => void;
    };
    features?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
    findAccount?: (ctx: KoaContext | undefined, sub: string) => Promise<Account | undefined>;
    interactions?: {
      policy?: readonly Prompt[];
      url?: (ctx: KoaContext, interaction: { readonly uid: string }) => string | Promise<string>;
    };
    issueRefreshToken?: (ctx: KoaContext, client: Client, token: BaseToken) => Promise<boolean>;
    jwks?: { keys: readonly Readonly<Record<string, unknown>>[] };
    pkce?: { required?: (ctx: KoaContext, client: Client) => boolean };
    renderError?: (ctx: KoaContext, out: Readonly<Record<string, string>>, error: Error) => Promise<void>;
    responseTypes?: readonly string[];
    rotateRefreshToken?: boolean;
    routes?: Readonly<Record<string, string>>;
    scopes?: readonly string[];
    ttl?: Readonly<Record<string, number | ((ctx: KoaContext | undefined, ...rest: unknown[]) => number)>>;
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    /** Trust `X-Forwarded-*` (Koa's `app.proxy`). */
    proxy: boolean;
    readonly Client: ClientStatic;
    readonly Grant: GrantStatic;
    readonly AccessToken: TokenStatic<AccessToken>;
    readonly RefreshToken: TokenStatic<RefreshToken>;
    readonly DeviceCode: DeviceCodeStatic;
    /** Middleware runs around the router; it must be added before `callback()` is taken. */
    use(middleware: Middleware): this;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  class OIDCProviderError extends Error {
    readonly error: string;
    readonly error_description?: string;
    readonly status: number;
  }

  export const errors: {
    OIDCProviderError: typeof OIDCProviderError;
    InvalidScope: new (description: string, scope?: string) => OIDCProviderError;
    InvalidTarget: new (description?: string) => OIDCProviderError;
    /** A description starting with `redirect_uris` turns the error code into `invalid_redirect_uri`. */
    InvalidClientMetadata: new (description: string) => OIDCProviderError;
    SessionNotFound: new (description?: string) => OIDCProviderError;
  };

  export interface Check {
    readonly reason: string;
  }

  export interface CheckConstructor {
    new (
      reason: string,
      description: string,
      error: string,
      check: (ctx: KoaContext & { oidc: OIDCContext & { result?: Record<string, unknown> } }) => boolean,
    ): Check;
    readonly REQUEST_PROMPT: true;
    readonly NO_NEED_TO_PROMPT: false;
  }

  export interface Prompt {
    readonly name: string;
    readonly checks: Check[] & { add(check: Check, index?: number): void };
  }

  export const interactionPolicy: {
    Check: CheckConstructor;
    base(): Prompt[] & { get(name: string): Prompt | undefined };
  };
}
