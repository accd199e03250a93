// Which of the account's Matrix calls belong in a sign-in flow's transcript. The transcript is the flow's protocol
// transcript (docs/protocol.md §5): the rendezvous, the messages, OAuth, and the Matrix calls the flow makes on its
// own behalf. Those are few and named here: whoami (A-S10 / B-G11: the new device exists from then on), the
// existing device's `GET /devices/{id}` (A-G7 / B-S6 must be 404, A-G11 / B-S10 until 200), and the new device's
// publishing of itself (its device keys and name as it starts, the self-signing of A-S11 / B-G12).
//
// Everything else a running matrix-js-sdk client does (the sync loop, key queries and claims, to-device messages,
// the backup's checks, push rules, capabilities, filters, `/versions`) is its own housekeeping, whatever step is
// current when it happens, and is no transcript entry at all. The calls are told apart by endpoint, not by who
// started them: the Rust crypto sends its requests from one queue, started by whichever caller came first.
import type { TranscriptEntry } from "../../src-shared/transcript";

const CLIENT_API = /^\/_matrix\/client\/(?:v\d+|r0|unstable)\//;

/** The flow's own endpoints, after the client API's prefix. Not `devices` alone: listing devices is no step. */
const FLOW_ENDPOINTS: readonly RegExp[] = [
  /^account\/whoami$/,
  /^devices\/[^/]+$/,
  /^keys\/upload$/,
  /^keys\/device_signing\/upload$/,
  /^keys\/signatures\/upload$/,
];

/** Whether a Matrix device's transcript entry is one of the calls a flow makes on its own behalf. */
export function isFlowMatrixCall(entry: TranscriptEntry): boolean {
  if (entry.kind !== "http" || entry.layer !== "matrix" || !CLIENT_API.test(entry.path)) return false;
  const endpoint = entry.path.replace(CLIENT_API, "");
  return FLOW_ENDPOINTS.some((pattern) => pattern.test(endpoint));
}
