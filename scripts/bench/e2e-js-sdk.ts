// The matrix-js-sdk pair end to end (parts 2 and 3 of the flow benchmark): `MSC4108SignInWithQR` on both
// devices, as test/flows/js-sdk-peer.test.ts uses it (test/helpers/js-sdk-qr-login.ts: Element Web's own entry
// points where it shows the QR code, the same SDK parts where it scans). The SDK compares no check code: the
// device that shows the QR code holds its next step while the person compares, the other goes on at once.
import type { MatrixClient } from "matrix-js-sdk";
import type { Devserver } from "../../devserver/index";
import { mintDeviceToken } from "../../test/helpers/csapi";
import {
  bootstrapEncryption,
  createJsSdkClient,
  startJsSdkClient,
  type JsSdkClients,
} from "../../test/helpers/js-sdk";
import {
  completeExistingDevice,
  completeNewDevice,
  existingDeviceScans,
  existingDeviceShowsQr,
  newDeviceScans,
  newDeviceShowsQr,
  resolveHomeserver,
  type QrSide,
} from "../../test/helpers/js-sdk-qr-login";
import {
  countRequests,
  postHook,
  userCodeOf,
  wait,
  type Direction,
  type E2eRun,
  type Hold,
  type Person,
} from "./e2e-run";
import { asDevice } from "./requests";

export interface JsSdkWorld {
  readonly server: Devserver;
  readonly user: string;
  readonly existing: MatrixClient;
  /** Every client made, stopped at close. */
  readonly clients: MatrixClient[];
  close(): Promise<void>;
}

/** What completeNewDevice needs to make the new device's client; the rest is the test lanes'. */
function benchClients(made: MatrixClient[]): JsSdkClients {
  const notHere = (): never => {
    throw new TypeError("the benchmark makes no devserver or signed-in client through JsSdkClients");
  };
  return {
    create: (options) => createJsSdkClient(options, (client) => made.push(client)),
    start: startJsSdkClient,
    startDevserver: notHere,
    signIn: notHere,
  };
}

/** `user`'s existing device: matrix-js-sdk with cross-signing, secret storage and a backup. */
export async function jsSdkWorld(server: Devserver, user: string): Promise<JsSdkWorld> {
  const clients: MatrixClient[] = [];
  const token = await mintDeviceToken(server, user);
  const existing = await createJsSdkClient(
    {
      baseUrl: server.baseUrl,
      userId: token.user_id,
      deviceId: token.device_id,
      accessToken: token.access_token,
    },
    (client) => clients.push(client),
  );
  await startJsSdkClient(existing);
  await bootstrapEncryption(existing);
  return {
    server,
    user,
    existing,
    clients,
    close: () => {
      for (const client of clients.splice(0)) client.stopClient();
      return Promise.resolve();
    },
  };
}

/** One sign-in of a new device, from the QR code shown to the new device verified (its own device cross-signed). */
export async function runJsSdkPair(world: JsSdkWorld, direction: Direction, person: Person): Promise<E2eRun> {
  const clients = benchClients(world.clients);
  const holds: Hold[] = [];
  const existingShows = direction === "existing_shows";

  // The QR code, then the scan at once.
  let shown: QrSide & { qr: Uint8Array };
  let scanned: QrSide;
  let serverName: string | undefined;
  let t0: number;
  if (existingShows) {
    shown = await asDevice("existing", () => existingDeviceShowsQr(world.existing));
    t0 = Date.now();
    const side = await asDevice("new", () => newDeviceScans(shown.qr));
    scanned = side;
    serverName = side.serverName;
  } else {
    shown = await asDevice("new", () => newDeviceShowsQr(world.server.baseUrl));
    t0 = Date.now();
    scanned = await asDevice("existing", () => existingDeviceScans(shown.qr, world.existing));
  }
  const existingSide = existingShows ? shown : scanned;
  const newSide = existingShows ? scanned : shown;

  // The person compares the codes once both show them; the showing device waits for that.
  let bothShowCodes: () => void = () => undefined;
  const codesShown = new Promise<void>((resolve) => (bothShowCodes = resolve));
  const codeCompared = codesShown.then(async () => {
    const start = Date.now();
    await wait(person.checkCodeMs);
    if (person.checkCodeMs > 0) holds.push({ what: "check code", start, end: Date.now() });
    if (shown.flow.checkCode !== scanned.flow.checkCode) throw new Error("the check codes differ");
  });
  let negotiated = 0;
  const negotiate = async (side: QrSide): Promise<{ serverName?: string }> => {
    const protocols = await side.flow.negotiateProtocols();
    negotiated += 1;
    if (negotiated === 2) bothShowCodes();
    if (side === shown) await codeCompared;
    return protocols;
  };

  const consent = async (verificationUri: string): Promise<void> => {
    const start = Date.now();
    await wait(person.consentMs);
    if (person.consentMs > 0) holds.push({ what: "consent", start, end: Date.now() });
    await postHook(world.server.baseUrl, "/_devserver/approve", {
      user_code: userCodeOf(verificationUri),
      user: world.user,
      approve: true,
    });
  };

  let doneAt = 0;
  const newDevice = asDevice("new", async () => {
    // The new device that shows the QR code learns the homeserver from m.login.protocols.
    const protocols = await negotiate(newSide);
    const baseUrl = await resolveHomeserver(serverName ?? protocols.serverName ?? "");
    const signedIn = await completeNewDevice(newSide, { baseUrl, clients, onUserCode: () => undefined });
    doneAt = Date.now();
    return signedIn;
  });
  const existingDevice = asDevice("existing", async () => {
    await negotiate(existingSide);
    await completeExistingDevice(existingSide, consent);
  });
  try {
    const [signedIn] = await Promise.all([newDevice, existingDevice]);
    signedIn.client.stopClient();
    for (const side of [shown, scanned])
      if (side.failures.length > 0) throw new Error(`matrix-js-sdk reported ${side.failures.join(", ")}`);
    return { totalMs: doneAt - t0, ...countRequests(t0, doneAt, holds), marks: [] };
  } finally {
    await Promise.all([shown.flow.close(), scanned.flow.close()]);
  }
}
