// MAS mode's options: the homeserver this devserver plays MAS for, and the secret they share.

export interface MasModeOptions {
  /** The homeserver's client-server base URL; Synapse serves `/_synapse/mas/*` there. */
  readonly homeserverUrl: string;
  /**
   * Synapse's `matrix_authentication_service.secret`. Synapse presents it to `/oauth2/introspect` and this server
   * presents it to `/_synapse/mas/*`, both as `Authorization: Bearer <secret>`.
   */
  readonly secret: string;
  /**
   * How long to keep trying to reach the homeserver when starting, in seconds; default 60. Synapse may still be
   * starting (it needs nothing from MAS until a client asks), so either can be started first.
   */
  readonly connectTimeoutS?: number;
}

export interface ResolvedMasModeOptions {
  /** No trailing slash. */
  readonly homeserverUrl: string;
  readonly secret: string;
  readonly connectTimeoutMs: number;
}

const DEFAULT_CONNECT_TIMEOUT_S = 60;

export function resolveMasModeOptions(options: MasModeOptions): ResolvedMasModeOptions {
  const url = URL.parse(options.homeserverUrl);
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError(`the homeserver URL must be an http(s) URL, got "${options.homeserverUrl}"`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw new TypeError(
      `the homeserver URL must not have a query or fragment, got "${options.homeserverUrl}"`,
    );
  }
  if (options.secret === "") throw new TypeError("the shared secret must not be empty");
  const timeoutS = options.connectTimeoutS ?? DEFAULT_CONNECT_TIMEOUT_S;
  if (!Number.isFinite(timeoutS) || timeoutS < 0) {
    throw new TypeError(`connectTimeoutS must be a number of seconds, got ${timeoutS}`);
  }
  return {
    homeserverUrl: url.href.replace(/\/+$/, ""),
    secret: options.secret,
    connectTimeoutMs: timeoutS * 1000,
  };
}
