// `npm run devserver -- [flags]`: runs the devserver until SIGINT or SIGTERM, then exits 0. Prints exactly one
// line on stdout, `devserver ready at <base URL>`, once it accepts requests. One flag per option (options.ts);
// the two function-valued options (`now`, `authenticate`) exist only in-process; from the command line MSC4388's
// authenticated mode accepts the tokens of the devserver's own OAuth server.
import { parseArgs } from "node:util";
import { startDevserver } from "./index";
import type { MasModeOptions } from "./mas/options";
import type { DevserverOptions, RendezvousOptions } from "./options";

const USAGE = `usage: npm run devserver -- [options]
  --port N                        TCP port (default 0: any free port)
  --host H                        interface (default 127.0.0.1)
  --public-base-url URL           base URL handed out in URLs (default: the listening address)
  --server-name NAME              Matrix server name (default localhost:<port>)
  --test-hooks                    serve /_devserver/* (faults, rendezvous log, clock)
  --rendezvous-ttl-v2024 S        v2024 session lifetime in seconds (default 60)
  --rendezvous-ttl-v2025 S        v2025 session lifetime in seconds (default 120)
  --rendezvous-capacity N         sessions kept per API (default 100; 2N triggers eviction at once)
  --rendezvous-max-bytes N        largest payload in bytes (default 4096)
  --rendezvous-v2025-put SHAPE    plain | txn | both (default plain, as Synapse 1.160)
  --rendezvous-v2025-stable       also serve MSC4388 at /_matrix/client/v1/rendezvous
  --msc4388-mode MODE             open | authenticated | off (default open)
  --no-msc4108                    do not serve the v2024 rendezvous API
  --user NAME:PASSWORD            a user who can sign in on the login page (repeatable), e.g. alice:secret
  --mas-quirks                    device grant as MAS: polling errors with 403, no verification_uri_complete,
                                  no slow_down, device codes 1200 s
  --slow-down                     answer polls sooner than the interval with slow_down, also with --mas-quirks
                                  (MAS once it has added it: with 403)
  --device-code-ttl S             device code lifetime in seconds (default 600, 1200 with --mas-quirks)
  --device-code-interval S        device grant polling interval in seconds (default 5)
  --access-token-ttl S            access token lifetime in seconds (default 300)
  --scope-family F                accept only the stable or the unstable (MSC2967) Matrix scopes (default both)
  --no-auth-metadata              no OAuth API: the auth metadata and auth_issuer paths answer 404
  --device-code-grant-disabled    as MAS with oauth.device_code_grant_enabled false: the device authorization
                                  endpoint answers 400 invalid_request, registration drops the grant
  --refuse-registration           refuse every client registration (400 invalid_client_metadata)
  --mas-for URL                   MAS mode: serve only the OAuth side, as MAS for the homeserver at URL (Synapse
                                  with matrix_authentication_service); needs --mas-secret and at least one --user
  --mas-secret S                  MAS mode: the secret shared with the homeserver
  --mas-connect-timeout S         MAS mode: how long to wait for the homeserver at start (default 60)`;

class UsageError extends Error {}

function number(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`--${flag} needs a number, got "${text}"`);
  return Number(text);
}

function parseOptions(argv: readonly string[]): DevserverOptions | "help" {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: "boolean", short: "h" },
      port: { type: "string" },
      host: { type: "string" },
      "public-base-url": { type: "string" },
      "server-name": { type: "string" },
      "test-hooks": { type: "boolean" },
      "rendezvous-ttl-v2024": { type: "string" },
      "rendezvous-ttl-v2025": { type: "string" },
      "rendezvous-capacity": { type: "string" },
      "rendezvous-max-bytes": { type: "string" },
      "rendezvous-v2025-put": { type: "string" },
      "rendezvous-v2025-stable": { type: "boolean" },
      "msc4388-mode": { type: "string" },
      "no-msc4108": { type: "boolean" },
      user: { type: "string", multiple: true },
      "mas-quirks": { type: "boolean" },
      "slow-down": { type: "boolean" },
      "device-code-ttl": { type: "string" },
      "device-code-interval": { type: "string" },
      "access-token-ttl": { type: "string" },
      "scope-family": { type: "string" },
      "no-auth-metadata": { type: "boolean" },
      "device-code-grant-disabled": { type: "boolean" },
      "refuse-registration": { type: "boolean" },
      "mas-for": { type: "string" },
      "mas-secret": { type: "string" },
      "mas-connect-timeout": { type: "string" },
    },
  });
  if (values.help === true) return "help";
  const rendezvous: RendezvousOptions = {};
  const ttlV2024S = number("rendezvous-ttl-v2024", values["rendezvous-ttl-v2024"]);
  if (ttlV2024S !== undefined) rendezvous.ttlV2024S = ttlV2024S;
  const ttlV2025S = number("rendezvous-ttl-v2025", values["rendezvous-ttl-v2025"]);
  if (ttlV2025S !== undefined) rendezvous.ttlV2025S = ttlV2025S;
  const capacity = number("rendezvous-capacity", values["rendezvous-capacity"]);
  if (capacity !== undefined) rendezvous.capacity = capacity;
  const maxBytes = number("rendezvous-max-bytes", values["rendezvous-max-bytes"]);
  if (maxBytes !== undefined) rendezvous.maxBytes = maxBytes;
  const put = values["rendezvous-v2025-put"];
  if (put !== undefined) {
    if (put !== "plain" && put !== "txn" && put !== "both") {
      throw new UsageError(`--rendezvous-v2025-put must be plain, txn or both, got "${put}"`);
    }
    rendezvous.v2025Put = put;
  }
  if (values["rendezvous-v2025-stable"] === true) rendezvous.v2025Stable = true;
  const mode = values["msc4388-mode"];
  if (mode !== undefined) {
    if (mode !== "open" && mode !== "authenticated" && mode !== "off") {
      throw new UsageError(`--msc4388-mode must be open, authenticated or off, got "${mode}"`);
    }
    rendezvous.msc4388Mode = mode;
  }
  if (values["no-msc4108"] === true) rendezvous.msc4108 = false;

  const options: DevserverOptions = { rendezvous };
  const port = number("port", values.port);
  if (port !== undefined) options.port = port;
  if (values.host !== undefined) options.host = values.host;
  if (values["public-base-url"] !== undefined) options.publicBaseUrl = values["public-base-url"];
  if (values["server-name"] !== undefined) options.serverName = values["server-name"];
  if (values["test-hooks"] === true) options.testHooks = true;
  if (values.user !== undefined) options.users = values.user;
  if (values["mas-quirks"] === true) options.masQuirks = true;
  const deviceCodeTtlS = number("device-code-ttl", values["device-code-ttl"]);
  const deviceCodeIntervalS = number("device-code-interval", values["device-code-interval"]);
  const slowDown = values["slow-down"] === true ? true : undefined;
  if (deviceCodeTtlS !== undefined || deviceCodeIntervalS !== undefined || slowDown !== undefined) {
    options.deviceCode = {
      ...(deviceCodeTtlS === undefined ? {} : { ttlS: deviceCodeTtlS }),
      ...(deviceCodeIntervalS === undefined ? {} : { intervalS: deviceCodeIntervalS }),
      ...(slowDown === undefined ? {} : { slowDown }),
    };
  }
  const accessTokenTtlS = number("access-token-ttl", values["access-token-ttl"]);
  if (accessTokenTtlS !== undefined) options.accessTokenTtlS = accessTokenTtlS;
  const scopeFamily = values["scope-family"];
  if (scopeFamily !== undefined) {
    if (scopeFamily !== "stable" && scopeFamily !== "unstable") {
      throw new UsageError(`--scope-family must be stable or unstable, got "${scopeFamily}"`);
    }
    options.scopeFamily = scopeFamily;
  }
  if (values["no-auth-metadata"] === true) options.authMetadata = false;
  if (values["device-code-grant-disabled"] === true) options.deviceCodeGrantEnabled = false;
  if (values["refuse-registration"] === true) options.refuseRegistration = true;
  const mas = parseMasMode(values);
  if (mas !== undefined) options.mas = mas;
  return options;
}

/** Flags that configure what MAS mode does not serve (the homeserver serves it), or takes from the homeserver. */
const HOMESERVER_FLAGS = [
  "server-name",
  "public-base-url",
  "rendezvous-ttl-v2024",
  "rendezvous-ttl-v2025",
  "rendezvous-capacity",
  "rendezvous-max-bytes",
  "rendezvous-v2025-put",
  "rendezvous-v2025-stable",
  "msc4388-mode",
  "no-msc4108",
] as const;

function parseMasMode(values: Readonly<Record<string, unknown>>): MasModeOptions | undefined {
  const homeserverUrl = values["mas-for"];
  const secret = values["mas-secret"];
  const timeout = values["mas-connect-timeout"];
  if (homeserverUrl === undefined) {
    if (secret !== undefined || timeout !== undefined) throw new UsageError("--mas-secret needs --mas-for");
    return undefined;
  }
  if (typeof homeserverUrl !== "string" || typeof secret !== "string" || secret === "") {
    throw new UsageError("--mas-for needs --mas-secret");
  }
  const clash = HOMESERVER_FLAGS.find((flag) => values[flag] !== undefined);
  if (clash !== undefined)
    throw new UsageError(`--${clash} does not apply with --mas-for (the homeserver decides)`);
  if (values.user === undefined) throw new UsageError("--mas-for needs at least one --user to provision");
  const connectTimeoutS = number("mas-connect-timeout", typeof timeout === "string" ? timeout : undefined);
  return { homeserverUrl, secret, ...(connectTimeoutS === undefined ? {} : { connectTimeoutS }) };
}

async function main(): Promise<void> {
  let options: DevserverOptions | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`devserver: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
  if (options === "help") {
    console.error(USAGE);
    return;
  }
  let devserver;
  try {
    devserver = await startDevserver(options);
  } catch (error) {
    console.error(`devserver: cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const stop = (): void => {
    void devserver.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("devserver: error while closing", error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  if (options.mas !== undefined) {
    console.error(
      `devserver: MAS for ${options.mas.homeserverUrl} (server name ${devserver.serverName}); issuer ${devserver.issuer}`,
    );
  }
  console.log(`devserver ready at ${devserver.baseUrl}`);
}

await main();
