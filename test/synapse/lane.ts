// What the Synapse lane's tests talk to: the sandbox Synapse and the devserver playing its MAS, as
// scripts/synapse/lane.mjs started them and described them in MATRIX_QR_SYNAPSE_LANE (JSON). Run the lane with
// `npm run test:synapse`; these tests cannot start a chroot themselves.
import { z } from "zod";
import type { OAuthConnection, OAuthSettings, OAuthTarget } from "../conformance/oauth";

const LaneSchema = z.object({
  /** Synapse's client-server API base URL, no trailing slash. */
  synapseUrl: z.url(),
  /** The devserver in MAS mode, no trailing slash; its issuer is this plus "/". */
  masUrl: z.url(),
  /** The secret Synapse and the devserver share (random per run). */
  masSecret: z.string().min(1),
  /** Synapse's server name (user IDs are @user:serverName). */
  serverName: z.string().min(1),
  settings: z.object({
    masQuirks: z.boolean(),
    slowDown: z.boolean(),
    deviceCodeTtlS: z.number(),
    deviceCodeIntervalS: z.number(),
    accessTokenTtlS: z.number(),
  }),
  users: z.record(z.string(), z.string()),
});

export type SynapseLane = z.infer<typeof LaneSchema>;

export function synapseLane(): SynapseLane {
  const raw = process.env.MATRIX_QR_SYNAPSE_LANE;
  if (raw === undefined || raw === "") {
    throw new Error(
      "MATRIX_QR_SYNAPSE_LANE is not set: run this lane with `npm run test:synapse`, which starts Synapse and the devserver",
    );
  }
  return LaneSchema.parse(JSON.parse(raw));
}

/** Moves the devserver's clock through its test hook (the lane starts it with --test-hooks). */
export async function advanceMasClock(lane: SynapseLane, ms: number): Promise<void> {
  const response = await fetch(`${lane.masUrl}/_devserver/clock`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ advanceMs: ms }),
  });
  if (response.status !== 200) throw new Error(`advancing the devserver clock: HTTP ${response.status}`);
}

/**
 * Synapse with the devserver as its MAS, as a target of the shared OAuth scenarios. There is one such pair per
 * lane, with fixed settings: a scenario that needs other settings is skipped with the reason.
 */
export function synapseOAuthTarget(lane: SynapseLane): OAuthTarget {
  const connection: OAuthConnection = {
    homeserverUrl: lane.synapseUrl,
    issuer: `${lane.masUrl}/`,
    serverName: lane.serverName,
    settings: lane.settings,
    users: lane.users,
    advanceClock: (ms) => advanceMasClock(lane, ms),
  };
  return {
    // Synapse 1.160's /versions stops at v1.12 (docs/synapse.md).
    capabilities: { versionsListOAuth: false },
    connect: (settings: Partial<OAuthSettings> = {}) => {
      const differing = (Object.keys(settings) as (keyof OAuthSettings)[]).filter(
        (key) => settings[key] !== lane.settings[key],
      );
      if (differing.length === 0) return Promise.resolve(connection);
      const wanted = differing.map((key) => `${key} ${String(settings[key])}`).join(", ");
      const has = differing.map((key) => `${key} ${String(lane.settings[key])}`).join(", ");
      return Promise.resolve(`needs ${wanted}; the lane's one devserver runs with ${has}`);
    },
  };
}
