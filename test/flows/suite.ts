// One suite of the scenario matrix: every row of src-main/flows/scenarios.ts that runs in `direction` and
// `version`, each as a test named after the row, against one devserver and one existing device. After the
// success row a third client (matrix-js-sdk, unlocked with the recovery key) checks that the new device is
// verified through cross-signing, and the new device's backup key is the server's.
import { x25519 } from "@noble/curves/ed25519.js";
import { decodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scenariosFor, type Direction } from "../../src-main/flows/scenarios";
import type { WireVersion } from "../../src-main/protocol";
import { api } from "../helpers/csapi";
import { cryptoOf, SecretStorageKeys, useJsSdkClients } from "../helpers/js-sdk";
import { expectStepsOnFlowCalls } from "./flow-calls";
import { createFlowWorld, runScenario, type FlowWorld, type RunResult } from "./harness";

function unpadded(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

export function scenarioSuite(direction: Direction, version: WireVersion): void {
  const who =
    direction === "existing_shows" ? "the existing device shows the QR" : "the new device shows the QR";
  describe(`${who}, ${version}`, () => {
    const clients = useJsSdkClients();
    let world: FlowWorld;
    beforeAll(async () => {
      world = await createFlowWorld();
    }, 60_000);
    afterAll(async () => {
      await world.close();
    });

    /** What a third device of the account and the server itself say about the new device. */
    async function expectVerifiedAndBackedUp(result: RunResult): Promise<void> {
      const done = result.new.outcome;
      if (done?.ok !== true) throw new Error("the new device did not finish");
      const { deviceId } = done.snapshot;
      const keys = new SecretStorageKeys();
      const third = await clients.signIn(world.server, "alice", keys);
      await clients.start(third);
      const keyId = await third.secretStorage.getDefaultKeyId();
      if (keyId === null) throw new Error("no default secret storage key");
      keys.add(keyId, decodeRecoveryKey(world.recoveryKey));
      await cryptoOf(third).bootstrapCrossSigning({});
      const userId = third.getSafeUserId();
      await cryptoOf(third).getUserDeviceInfo([userId], true);
      expect(await cryptoOf(third).getDeviceVerificationStatus(userId, deviceId)).toMatchObject({
        signedByOwner: true,
        crossSigningVerified: true,
      });
      // The new device's backup key is the private half of the server's current backup.
      const token = third.getAccessToken() ?? "";
      const { body } = await api(world.server, token)("GET", "/room_keys/version");
      const crypto = result.newAccount.device?.sdkClient.getCrypto();
      expect(await crypto?.getActiveSessionBackupVersion()).toBe(body.version);
      const privateKey = await crypto?.getSessionBackupPrivateKey();
      expect(unpadded(x25519.getPublicKey(privateKey ?? new Uint8Array(32)))).toBe(
        (body.auth_data as { public_key: string }).public_key,
      );
    }

    /** Both transcripts show the accounts' own Matrix calls with their steps, and no housekeeping. */
    async function afterSuccess(result: RunResult): Promise<void> {
      const letter = direction === "existing_shows" ? "A" : "B";
      expectStepsOnFlowCalls(result.existing.host.entries, "existing", letter);
      expectStepsOnFlowCalls(result.new.host.entries, "new", letter);
      await expectVerifiedAndBackedUp(result);
    }

    for (const row of scenariosFor(direction, version)) {
      it(`${row.id}: ${row.title}`, async () => {
        await runScenario(world, row, direction, version, {
          ...(row.id === "success" ? { afterSuccess } : {}),
        });
      });
    }
  });
}
