// matrix-js-sdk's own MSC4108 v2024 sign-in with QR (`MSC4108SignInWithQR`) as either device, driven the way
// Element Web drives it (docs/protocol.md §5). Both showing sides use the SDK's own entry points
// (`linkNewDeviceByGeneratingQR`, `signInByGeneratingQR`); Element Web never scans, so the scanning sides are
// built from the same SDK parts (`QrCodeData`, `MSC4108RendezvousSession`, `MSC4108SecureChannel`), with the
// intent check every scanner makes. The SDK does not compare check codes: the caller does, after
// `negotiateProtocols()` has run on both sides.
import { initAsync, QrCodeData, QrCodeIntent } from "@matrix-org/matrix-sdk-crypto-wasm";
import { createClient, type MatrixClient } from "matrix-js-sdk";
import { OAuth2 } from "matrix-js-sdk/lib/oauth/index.js";
import { secureRandomString } from "matrix-js-sdk/lib/randomstring.js";
import {
  linkNewDeviceByGeneratingQR,
  MSC4108RendezvousSession,
  MSC4108SecureChannel,
  MSC4108SignInWithQR,
  signInByGeneratingQR,
  type RendezvousFailureReason,
} from "matrix-js-sdk/lib/rendezvous/index.js";
import { cryptoOf, importSecretsBundle, quietLogger, type JsSdkClients, type SecretsBundle } from "./js-sdk";

/** One side of a sign-in: the SDK's flow object, and the failures it reported (`onFailure`). */
export interface QrSide {
  readonly flow: MSC4108SignInWithQR;
  readonly failures: RendezvousFailureReason[];
}

/** A side that showed a QR code: its bytes too. */
export interface ShowingSide extends QrSide {
  readonly qr: Uint8Array;
}

/** The existing device shows a QR code (mode 0x04, "reciprocate"), as Element Web's "link new device". */
export async function existingDeviceShowsQr(client: MatrixClient): Promise<ShowingSide> {
  const failures: RendezvousFailureReason[] = [];
  const flow = await linkNewDeviceByGeneratingQR(
    client,
    (reason) => failures.push(reason),
    new AbortController().signal,
  );
  if (flow.code === undefined) throw new Error("no QR code was generated");
  return { flow, failures, qr: flow.code };
}

/**
 * The new device shows a QR code (mode 0x03, "login"), as Element Web's "sign in with QR": its temporary client
 * only knows the homeserver it will create the rendezvous session on.
 */
export async function newDeviceShowsQr(baseUrl: string): Promise<ShowingSide> {
  const failures: RendezvousFailureReason[] = [];
  const tempClient = createClient({ baseUrl, logger: quietLogger });
  const flow = await signInByGeneratingQR(
    tempClient,
    (reason) => failures.push(reason),
    new AbortController().signal,
  );
  if (flow.code === undefined) throw new Error("no QR code was generated");
  return { flow, failures, qr: flow.code };
}

async function scan(qr: Uint8Array, expected: QrCodeIntent, client?: MatrixClient): Promise<QrSide> {
  await initAsync();
  const data = QrCodeData.fromBytes(qr);
  // A scanner refuses a code of its own kind before touching the network (MSC4108 "Establishment" step 3;
  // docs/protocol.md §1.3).
  if (data.mode !== expected) throw new Error(`the QR code's intent is ${data.mode}, expected ${expected}`);
  const failures: RendezvousFailureReason[] = [];
  const onFailure = (reason: RendezvousFailureReason): void => {
    failures.push(reason);
  };
  const session = new MSC4108RendezvousSession({ url: data.rendezvousUrl ?? "", onFailure });
  const channel = new MSC4108SecureChannel(session, data.publicKey, onFailure);
  return { flow: new MSC4108SignInWithQR(channel, true, client, onFailure), failures };
}

/** The new device scans the existing device's QR code, and has no client yet. */
export async function newDeviceScans(qr: Uint8Array): Promise<QrSide & { serverName: string }> {
  await initAsync();
  const serverName = QrCodeData.fromBytes(qr).serverName;
  if (serverName === undefined) throw new Error("a reciprocate QR code names the homeserver");
  return { ...(await scan(qr, QrCodeIntent.Reciprocate)), serverName };
}

/** The existing device scans the new device's QR code. */
export function existingDeviceScans(qr: Uint8Array, client: MatrixClient): Promise<QrSide> {
  return scan(qr, QrCodeIntent.Login, client);
}

/**
 * Finds the client-server API base URL for what the other device calls the homeserver (js-sdk sends
 * `client.getDomain()`, a server name): `/.well-known/matrix/client` on it, over http because the devserver
 * speaks http, and the base URL taken as given when it already is one (docs/protocol.md §1.1: readers accept both).
 */
export async function resolveHomeserver(serverNameOrUrl: string): Promise<string> {
  if (/^https?:\/\//.test(serverNameOrUrl)) return serverNameOrUrl.replace(/\/+$/, "");
  const response = await fetch(`http://${serverNameOrUrl}/.well-known/matrix/client`);
  const wellKnown = (await response.json()) as { "m.homeserver"?: { base_url?: string } };
  const baseUrl = wellKnown["m.homeserver"]?.base_url;
  if (baseUrl === undefined) throw new Error(`${serverNameOrUrl} names no homeserver base URL`);
  return baseUrl.replace(/\/+$/, "");
}

export interface NewDeviceOptions {
  readonly baseUrl: string;
  readonly clients: JsSdkClients;
  /** Told the user code the new device shows once its device authorization has started. */
  readonly onUserCode: (userCode: string) => void;
}

/** What the new device ends with. */
export interface SignedInDevice {
  readonly client: MatrixClient;
  readonly userId: string;
  readonly deviceId: string;
  readonly secrets: SecretsBundle;
}

/**
 * The new device after `negotiateProtocols()`, as Element Web does it: OAuth discovery, dynamic registration with
 * the SDK's helper (device grant included, as the server offers it), the device authorization grant, the token,
 * whoami, then a client with Rust crypto that imports the secrets bundle and cross-signs its own device.
 */
export async function completeNewDevice(side: QrSide, options: NewDeviceOptions): Promise<SignedInDevice> {
  const { flow } = side;
  const discovery = createClient({ baseUrl: options.baseUrl, logger: quietLogger });
  const metadata = await discovery.getAuthMetadata();
  const clientId = await OAuth2.registerClient(
    metadata,
    {
      client_name: "Element",
      client_uri: "https://app.element.io/",
      application_type: "web",
      redirect_uris: ["https://app.element.io/"],
    },
    quietLogger,
  );
  const deviceId = secureRandomString(10);
  const { userCode } = await flow.deviceAuthorizationGrant({ metadata, clientId, deviceId });
  if (userCode === undefined) throw new Error("the device authorization response has no user code");
  options.onUserCode(userCode);
  const tokens = await flow.completeLoginOnNewDevice({ clientId });
  if (tokens === undefined) throw new Error("no tokens");

  const whoami = await createClient({
    baseUrl: options.baseUrl,
    accessToken: tokens.access_token,
    logger: quietLogger,
  }).whoami();
  if (whoami.device_id !== deviceId) throw new Error(`signed in as device ${whoami.device_id ?? "none"}`);

  const { secrets } = await flow.shareSecrets();
  if (secrets === undefined) throw new Error("no secrets bundle arrived");
  const client = await options.clients.create({
    baseUrl: options.baseUrl,
    userId: whoami.user_id,
    deviceId,
    accessToken: tokens.access_token,
  });
  await options.clients.start(client);
  // What arrived is the whole `m.login.secrets` message; Element Web imports it as it is.
  const { type: _type, ...bundle } = secrets as unknown as SecretsBundle & { type: string };
  await importSecretsBundle(client, secrets as unknown as SecretsBundle);
  await waitForOwnDeviceKeys(client);
  await cryptoOf(client).crossSignDevice(deviceId);
  return { client, userId: whoami.user_id, deviceId, secrets: bundle };
}

/**
 * Resolves once the server publishes the client's own device keys, which its crypto uploads in the background
 * after the first sync: signing the device before that would sign keys the server does not have yet.
 */
async function waitForOwnDeviceKeys(client: MatrixClient): Promise<void> {
  const userId = client.getSafeUserId();
  const deviceId = client.getDeviceId() ?? "";
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const devices = await cryptoOf(client).getUserDeviceInfo([userId], true);
    if (devices.get(userId)?.has(deviceId) === true) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the device's keys did not reach the server within 5 s");
}

/**
 * The existing device after `negotiateProtocols()`: it receives `m.login.protocol` (and checks that the device
 * does not exist yet), has the user consent at the verification URI while it sends `m.login.protocol_accepted`,
 * waits for `m.login.success`, and sends the secrets once the new device exists.
 */
export async function completeExistingDevice(
  side: QrSide,
  consent: (verificationUri: string) => Promise<void>,
): Promise<SecretsBundle> {
  const { verificationUri } = await side.flow.deviceAuthorizationGrant();
  if (verificationUri === undefined) throw new Error("m.login.protocol named no verification URI");
  const [, { secrets }] = await Promise.all([consent(verificationUri), side.flow.shareSecrets()]);
  if (secrets === undefined) throw new Error("no secrets were sent");
  return secrets as unknown as SecretsBundle;
}
