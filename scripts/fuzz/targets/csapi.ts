// Fuzz targets of our own readers of the homeserver's client-server API answers (src-main/matrix/): `/keys/query`
// (what the server publishes of our account, the signature checks on it, the check of a secrets bundle against
// it), `/room_keys/version`, `/devices` and `/devices/{id}`, the account page from `auth_metadata`, and `whoami`.
// They run through the device's own HTTP layer (`createMatrixFetch`, `requestJson`) on a hostile server, each
// endpoint answered from its own script. Every failure must be a MatrixError; matrix-js-sdk's own requests are
// not ours to fuzz.
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import fc from "fast-check";
import { readWhoamiAnswer } from "../../../src-main/matrix/whoami";
import {
  SecretStorageKeyCache,
  DEFAULT_DEVICE_TIMINGS,
  type DeviceContext,
} from "../../../src-main/matrix/context";
import {
  accountManagementUri,
  accountPageUrl,
  deviceExists,
  listDevices,
} from "../../../src-main/matrix/devices";
import { MatrixError } from "../../../src-main/matrix/errors";
import { createMatrixFetch, fixedAccessToken, requestJson } from "../../../src-main/matrix/http";
import { canonicalJson, encodeUnpaddedBase64 } from "../../../src-main/matrix/keys";
import { checkSecretsBundle } from "../../../src-main/matrix/secrets-bundle";
import {
  deviceKeysOnServer,
  isCrossSignedOnServer,
  queryOwnKeys,
  waitForOwnDeviceKeys,
} from "../../../src-main/matrix/server-keys";
import { serverView } from "../../../src-main/matrix/server-view";
import { MEGOLM_BACKUP_V1 } from "../../../src-main/protocol/testing";
import { defineTarget, NETWORK_BOUND_MS, PARSER_BOUND_MS, type AnyTarget } from "../harness";
import { hostileValueLike } from "../hostile";
import {
  answerScript,
  fuzzRuntime,
  isUserCancel,
  routedNetwork,
  userGivesUpAfter,
  type AnswerSeed,
  type AnswerSpec,
  type FuzzRuntime,
  type Progress,
} from "../network";
import { invariant, typedOutcome } from "../oracle";

const MATRIX_ERRORS = [MatrixError];
const HOMESERVER = "https://hs.example";
const USER = "@alice:hs.example";
const DEVICE = "ABCDEFGHIJ";

// --- an account whose published keys really are signed: the checks have something true to find -----------------

const seed = (n: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (n * 17 + i) & 0xff);
const MASTER = seed(1);
const SELF_SIGNING = seed(2);
const USER_SIGNING = seed(3);
const DEVICE_KEY = seed(4);
const BACKUP_KEY = seed(5);
const pub = (key: Uint8Array): string => encodeUnpaddedBase64(ed25519.getPublicKey(key));

function signed(object: Record<string, unknown>, by: Uint8Array, keyId: string): Record<string, unknown> {
  const signature = encodeUnpaddedBase64(ed25519.sign(new TextEncoder().encode(canonicalJson(object)), by));
  return { ...object, signatures: { [USER]: { [keyId]: signature } } };
}

const crossSigningKey = (usage: string, key: Uint8Array, by: Uint8Array, byId: string) =>
  signed({ user_id: USER, usage: [usage], keys: { [`ed25519:${pub(key)}`]: pub(key) } }, by, byId);

const masterId = `ed25519:${pub(MASTER)}`;
const selfSigningId = `ed25519:${pub(SELF_SIGNING)}`;
const DEVICE_KEYS = signed(
  {
    user_id: USER,
    device_id: DEVICE,
    algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
    keys: {
      [`ed25519:${DEVICE}`]: pub(DEVICE_KEY),
      [`curve25519:${DEVICE}`]: encodeUnpaddedBase64(x25519.getPublicKey(DEVICE_KEY)),
    },
  },
  SELF_SIGNING,
  selfSigningId,
);
const KEYS_QUERY = {
  device_keys: {
    [USER]: { [DEVICE]: DEVICE_KEYS, OTHERDEVICE: { ...DEVICE_KEYS, device_id: "OTHERDEVICE" } },
  },
  master_keys: { [USER]: crossSigningKey("master", MASTER, MASTER, masterId) },
  self_signing_keys: { [USER]: crossSigningKey("self_signing", SELF_SIGNING, MASTER, masterId) },
  user_signing_keys: { [USER]: crossSigningKey("user_signing", USER_SIGNING, MASTER, masterId) },
  failures: {},
};
const BACKUP_VERSION = {
  version: "1",
  algorithm: MEGOLM_BACKUP_V1,
  auth_data: { public_key: encodeUnpaddedBase64(x25519.getPublicKey(BACKUP_KEY)), signatures: {} },
  count: 3,
  etag: "7",
};
const BUNDLE = {
  cross_signing: {
    master_key: encodeUnpaddedBase64(MASTER),
    self_signing_key: encodeUnpaddedBase64(SELF_SIGNING),
    user_signing_key: encodeUnpaddedBase64(USER_SIGNING),
  },
  backup: { algorithm: MEGOLM_BACKUP_V1, key: encodeUnpaddedBase64(BACKUP_KEY), backup_version: "1" },
} as const;

const TROUBLE: readonly AnswerSeed[] = [
  { status: 429, body: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 100 } },
  { status: 502, headers: { "content-type": "text/html" }, text: "<html>Bad Gateway</html>" },
  { status: 401, body: { errcode: "M_UNKNOWN_TOKEN", error: "Invalid access token" } },
];
const notFound = (errcode = "M_NOT_FOUND"): AnswerSeed => ({
  status: 404,
  body: { errcode, error: "not here" },
});

/** A device context on a hostile homeserver: our HTTP layer, a fixed token, no matrix-js-sdk behind it. */
function contextOn(runtime: FuzzRuntime, backupKey: Uint8Array | null): DeviceContext {
  const fetch = createMatrixFetch({
    runtime,
    baseUrl: HOMESERVER,
    tokens: fixedAccessToken("syt_token"),
    beforePublish: () => Promise.resolve(),
    onSignedOut: () => undefined,
    isStopped: () => false,
  });
  const timings = { ...DEFAULT_DEVICE_TIMINGS, deviceKeysTimeoutMs: 2_000, pollIntervalMs: 250 };
  return {
    client: undefined as never,
    crypto: {
      getSessionBackupPrivateKey: () => Promise.resolve(backupKey),
      getActiveSessionBackupVersion: () => Promise.resolve("1"),
    } as never,
    runtime,
    profile: { oauthClient: undefined } as never,
    account: { homeserver: HOMESERVER, userId: USER, deviceId: DEVICE },
    timings,
    secretStorageKeys: new SecretStorageKeyCache(),
    request: (method, path, signal, body) =>
      requestJson(fetch, runtime, HOMESERVER, {
        method,
        path,
        signal,
        retry: timings.retry,
        ...(body === undefined ? {} : { body }),
      }),
    assertRunning: () => undefined,
  };
}

/** Runs `run` on a context whose every endpoint answers from its own script; names the outcome. */
async function outcomeOf(
  routes: readonly (readonly [string, readonly AnswerSpec[]])[],
  run: (ctx: DeviceContext, signal: AbortSignal, progress: Progress) => Promise<void>,
  backupKey: Uint8Array | null = BACKUP_KEY,
): Promise<string> {
  const runtime = fuzzRuntime(routedNetwork(routes));
  const progress: Progress = { step: "start" };
  try {
    await run(contextOn(runtime, backupKey), userGivesUpAfter(runtime, 3_600_000), progress);
  } catch (error) {
    runtime.checkRun();
    if (isUserCancel(error)) return `cancelled@${progress.step}`;
    return `${typedOutcome(error, MATRIX_ERRORS)}@${progress.step}`;
  }
  runtime.checkRun();
  return "ok";
}

const keysAnswers = answerScript([
  [{ status: 200, body: KEYS_QUERY }],
  [{ status: 200, body: KEYS_QUERY }],
  TROUBLE,
]);
const backupAnswers = answerScript([
  [{ status: 200, body: BACKUP_VERSION }, notFound()],
  [{ status: 200, body: BACKUP_VERSION }],
  TROUBLE,
]);

const keys = defineTarget({
  name: "csapi.keys",
  area: "CS-API",
  weight: 1,
  boundMs: NETWORK_BOUND_MS,
  input: fc.tuple(keysAnswers, backupAnswers, fc.boolean()),
  run: ([keysScript, backupScript, holdsBackupKey]) =>
    outcomeOf(
      [
        ["/keys/query", keysScript],
        ["/room_keys/version", backupScript],
      ],
      async (ctx, signal, progress) => {
        progress.step = "serverView";
        const view = await serverView(ctx, DEVICE, signal);
        invariant(
          typeof view.verified === "boolean" && typeof view.backup === "boolean",
          "a view that is not two booleans",
        );
        progress.step = "queryOwnKeys";
        const published = await queryOwnKeys(ctx, signal);
        for (const deviceId of [DEVICE, "OTHERDEVICE", "__proto__", "constructor"]) {
          isCrossSignedOnServer(published, USER, deviceId);
          const own = deviceKeysOnServer(published, deviceId);
          invariant(
            own === undefined || (typeof own.ed25519 === "string" && typeof own.curve25519 === "string"),
            "device keys that are not text",
          );
        }
        progress.step = "waitForOwnDeviceKeys";
        await waitForOwnDeviceKeys(ctx, signal);
      },
      holdsBackupKey ? BACKUP_KEY : null,
    ),
});

/** A bundle as the peer sent it (already read by the message schema): the account's, or keys swapped or foreign. */
const bundles = fc.oneof(
  { weight: 4, arbitrary: fc.constant<typeof BUNDLE | Omit<typeof BUNDLE, "backup">>(BUNDLE) },
  { weight: 1, arbitrary: fc.constant({ cross_signing: BUNDLE.cross_signing }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      {
        ...BUNDLE,
        cross_signing: { ...BUNDLE.cross_signing, master_key: BUNDLE.cross_signing.user_signing_key },
      },
      { ...BUNDLE, backup: { ...BUNDLE.backup, key: encodeUnpaddedBase64(seed(9)) } },
      { ...BUNDLE, backup: { ...BUNDLE.backup, backup_version: "999" } },
    ),
  },
);

const secretsCheck = defineTarget({
  name: "csapi.checkSecretsBundle",
  area: "CS-API",
  weight: 2,
  boundMs: NETWORK_BOUND_MS,
  input: fc.tuple(keysAnswers, backupAnswers, bundles),
  run: ([keysScript, backupScript, bundle]) =>
    outcomeOf(
      [
        ["/keys/query", keysScript],
        ["/room_keys/version", backupScript],
      ],
      async (ctx, signal, progress) => {
        progress.step = "check";
        const checked = await checkSecretsBundle(ctx, bundle, signal);
        // What passes is exactly the account's keys: a foreign key must never get through.
        invariant(
          checked.cross_signing.master_key === BUNDLE.cross_signing.master_key &&
            checked.cross_signing.self_signing_key === BUNDLE.cross_signing.self_signing_key &&
            checked.cross_signing.user_signing_key === BUNDLE.cross_signing.user_signing_key,
          "a bundle with a key the server does not publish passed the check",
        );
        invariant(
          checked.backup === undefined || checked.backup.key === BUNDLE.backup.key,
          "a foreign backup key passed",
        );
      },
    ),
});

const devices = defineTarget({
  name: "csapi.devices",
  area: "CS-API",
  weight: 5,
  boundMs: NETWORK_BOUND_MS,
  input: fc.tuple(
    answerScript([
      [
        {
          status: 200,
          body: {
            devices: [
              {
                device_id: DEVICE,
                display_name: "Matrix QR Login on host",
                last_seen_ts: 1_795_780_800_000,
                last_seen_ip: "::1",
              },
              { device_id: "OTHERDEVICE" },
            ],
          },
        },
      ],
      TROUBLE,
    ]),
    answerScript([[{ status: 200, body: DEVICE_KEYS }, notFound()], TROUBLE]),
    answerScript([
      [
        {
          status: 200,
          body: { issuer: "https://auth.example/", account_management_uri: "https://auth.example/account/" },
        },
        notFound("M_UNRECOGNIZED"),
      ],
      TROUBLE,
    ]),
  ),
  run: ([listScript, deviceScript, metadataScript]) =>
    outcomeOf(
      [
        ["/devices/", deviceScript],
        ["/devices", listScript],
        ["/auth_metadata", metadataScript],
      ],
      async (ctx, signal, progress) => {
        progress.step = "listDevices";
        for (const device of await listDevices(ctx, signal)) {
          invariant(typeof device.deviceId === "string", "a device without an ID");
          invariant(
            device.lastSeenTs === undefined || Number.isFinite(device.lastSeenTs),
            "a last-seen time that is not a time",
          );
        }
        progress.step = "deviceExists";
        await deviceExists(ctx, "Ab+/cd..EF:@1", signal);
        progress.step = "accountPage";
        const url = accountPageUrl(await accountManagementUri(ctx, signal), "org.matrix.session_end", DEVICE);
        invariant(/^https:\/\//.test(url), `the account page ${url.slice(0, 40)} is not https`);
      },
    ),
});

// --- whoami: read from a bounded answer, so a parser of the status and body ---------------------------------

const whoami = defineTarget({
  name: "csapi.whoami",
  area: "CS-API",
  weight: 5,
  boundMs: PARSER_BOUND_MS,
  input: fc.tuple(
    fc.constantFrom(200, 200, 200, 401, 403, 404, 500),
    hostileValueLike([
      { user_id: USER, device_id: DEVICE, is_guest: false },
      { user_id: USER },
      { user_id: "@bob:other.example", device_id: "OTHERDEVICE" },
    ]),
  ),
  run: ([status, body]) => {
    let userId: string;
    try {
      userId = readWhoamiAnswer(status, body, DEVICE);
    } catch (error) {
      return typedOutcome(error, MATRIX_ERRORS);
    }
    invariant(
      /^@[^:]+:.+$/.test(userId) && userId.length <= 255,
      `whoami gave the user ID ${JSON.stringify(userId.slice(0, 80))}`,
    );
    return "ok";
  },
});

export const CSAPI_TARGETS: readonly AnyTarget[] = [keys, secretsCheck, devices, whoami];
