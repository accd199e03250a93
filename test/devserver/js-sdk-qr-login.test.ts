// Sign in with QR (MSC4108 v2024) with matrix-js-sdk's own `MSC4108SignInWithQR` as both devices, through the
// devserver's rendezvous API, OAuth server (device authorization grant) and client-server API. In each scenario
// the harness compares the two check codes (the SDK does not), the user consents through the test hook or on the
// real consent page in Chromium, the new device imports the secrets bundle and cross-signs itself as Element Web
// does, and then a third, fresh device of the same user (unlocked with the recovery key) sees the new device as
// verified by cross-signing, as the Rust crypto reports it.
import type { MatrixClient } from "matrix-js-sdk";
import { decodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/index.js";
import { describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import { useChromium } from "../helpers/chromium";
import { approveInBrowser } from "../helpers/consent";
import {
  bootstrapEncryption,
  cryptoOf,
  exportSecretsBundle,
  SecretStorageKeys,
  useJsSdkClients,
} from "../helpers/js-sdk";
import {
  completeExistingDevice,
  completeNewDevice,
  existingDeviceScans,
  existingDeviceShowsQr,
  newDeviceScans,
  newDeviceShowsQr,
  resolveHomeserver,
  type QrSide,
} from "../helpers/js-sdk-qr-login";
import { answerWithHook } from "./oauth-fixtures";

const clients = useJsSdkClients();
const browser = useChromium();

const PASSWORD = "secret";

interface Account {
  readonly server: Devserver;
  readonly existing: MatrixClient;
  readonly recoveryKey: string;
}

/** A devserver with alice, whose one device has set up cross-signing, secret storage and key backup. */
async function accountWithOneDevice(): Promise<Account> {
  // Device grant polling every second keeps each sign-in within a few seconds.
  const server = await clients.startDevserver({
    users: [`alice:${PASSWORD}`],
    deviceCode: { intervalS: 1 },
  });
  const existing = await clients.signIn(server, "alice");
  await clients.start(existing);
  const recoveryKey = await bootstrapEncryption(existing);
  return { server, existing, recoveryKey: recoveryKey.encodedPrivateKey ?? "" };
}

type Consent = (request: { verificationUri: string; userCode: Promise<string> }) => Promise<void>;

/** Consent as the test hook gives it: approve the user code the new device shows. */
function consentWithHook(server: Devserver): Consent {
  return async ({ userCode }) => {
    await answerWithHook(server, await userCode, true);
  };
}

/** Runs both sides after the QR code went across: check codes, then the rest of each side at once. */
async function signIn(
  account: Account,
  sides: { existing: QrSide; newDevice: QrSide; homeserver: () => Promise<string> },
  consent: Consent,
) {
  const [, newDeviceProtocols] = await Promise.all([
    sides.existing.flow.negotiateProtocols(),
    sides.newDevice.flow.negotiateProtocols(),
  ]);
  // The user compares the two check codes (the SDK shows them, and compares nothing).
  expect(sides.existing.flow.checkCode).toMatch(/^\d{2}$/);
  expect(sides.newDevice.flow.checkCode).toBe(sides.existing.flow.checkCode);

  const baseUrl = await resolveHomeserver(newDeviceProtocols.serverName ?? (await sides.homeserver()));
  expect(baseUrl).toBe(account.server.baseUrl);
  let reportUserCode: (code: string) => void = () => undefined;
  const userCode = new Promise<string>((resolve) => {
    reportUserCode = resolve;
  });
  try {
    const [newDevice, sentSecrets] = await Promise.all([
      completeNewDevice(sides.newDevice, { baseUrl, clients, onUserCode: reportUserCode }),
      completeExistingDevice(sides.existing, (verificationUri) => consent({ verificationUri, userCode })),
    ]);
    expect(newDevice.secrets).toEqual(sentSecrets);
    expect(sides.existing.failures).toEqual([]);
    expect(sides.newDevice.failures).toEqual([]);
    return newDevice;
  } finally {
    await Promise.all([sides.existing.flow.close(), sides.newDevice.flow.close()]);
  }
}

/** The new device ends up as the existing one: same identity and backup key, its own device cross-signed. */
async function expectSignedInAndVerified(
  account: Account,
  newDevice: { client: MatrixClient; deviceId: string },
) {
  const userId = account.existing.getSafeUserId();
  const crypto = cryptoOf(newDevice.client);
  expect(await crypto.isCrossSigningReady()).toBe(true);
  expect(await exportSecretsBundle(newDevice.client)).toEqual(await exportSecretsBundle(account.existing));
  expect((await crypto.getDeviceVerificationStatus(userId, newDevice.deviceId))?.crossSigningVerified).toBe(
    true,
  );

  // A third device, fresh, trusts the identity through the recovery key, then judges the new device by the
  // signatures the server publishes.
  const keys = new SecretStorageKeys();
  const third = await clients.signIn(account.server, "alice", keys);
  await clients.start(third);
  const keyId = await third.secretStorage.getDefaultKeyId();
  if (keyId === null) throw new Error("no default secret storage key");
  keys.add(keyId, decodeRecoveryKey(account.recoveryKey));
  await cryptoOf(third).bootstrapCrossSigning({});
  await cryptoOf(third).getUserDeviceInfo([userId], true);
  const seen = await cryptoOf(third).getDeviceVerificationStatus(userId, newDevice.deviceId);
  expect(seen).toMatchObject({ signedByOwner: true, crossSigningVerified: true });
}

describe("sign in with QR, v2024, matrix-js-sdk on both sides", () => {
  it("existing device shows the QR, new device scans it, consent through the test hook", async () => {
    const account = await accountWithOneDevice();
    const shown = await existingDeviceShowsQr(account.existing);
    const scanned = await newDeviceScans(shown.qr);
    expect(scanned.serverName).toBe(account.existing.getDomain());
    const newDevice = await signIn(
      account,
      { existing: shown, newDevice: scanned, homeserver: () => Promise.resolve(scanned.serverName) },
      consentWithHook(account.server),
    );
    await expectSignedInAndVerified(account, newDevice);
  }, 60_000);

  it("new device shows the QR, existing device scans it, consent through the test hook", async () => {
    const account = await accountWithOneDevice();
    const shown = await newDeviceShowsQr(account.server.baseUrl);
    const scanned = await existingDeviceScans(shown.qr, account.existing);
    // The new device learns the homeserver from m.login.protocols (negotiateProtocols' serverName).
    const newDevice = await signIn(
      account,
      { existing: scanned, newDevice: shown, homeserver: () => Promise.reject(new Error("no server name")) },
      consentWithHook(account.server),
    );
    await expectSignedInAndVerified(account, newDevice);
  }, 60_000);

  it("existing device shows the QR, the user approves on the consent page in Chromium", async (ctx) => {
    const context = await browser.newContext(ctx);
    const account = await accountWithOneDevice();
    const shown = await existingDeviceShowsQr(account.existing);
    const scanned = await newDeviceScans(shown.qr);
    const newDevice = await signIn(
      account,
      { existing: shown, newDevice: scanned, homeserver: () => Promise.resolve(scanned.serverName) },
      async ({ verificationUri, userCode }) => {
        const outcome = await approveInBrowser(context, {
          verificationUri,
          userCode: await userCode,
          user: "alice",
          password: PASSWORD,
          approve: true,
        });
        expect(outcome).toEqual({ kind: "result", result: "approved" });
      },
    );
    await expectSignedInAndVerified(account, newDevice);
  }, 60_000);
});
