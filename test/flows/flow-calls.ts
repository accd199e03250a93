// What a whole live run's transcript must show of the accounts' Matrix calls (docs/protocol.md §5): each call a
// flow makes on its own behalf carries the step it belongs to, and the Matrix client's housekeeping (sync, key
// queries and claims, to-device messages, the backup's checks, push rules, capabilities, filters) is no entry
// at all. The engine's test and every success row of the scenario suites read their transcripts with it.
import { expect } from "vitest";
import type { HttpTranscriptEntry, TranscriptEntry } from "../../src-shared/transcript";

const CLIENT_API = /^\/_matrix\/client\/(?:v\d+|r0|unstable)\//;

const HOUSEKEEPING = [
  /^sync$/,
  /^keys\/(?:query|claim|changes)$/,
  /^room_keys\//,
  /^sendToDevice\//,
  /^pushrules/,
  /^capabilities$/,
  /^user\/[^/]+\/filter/,
];

function endpoint(entry: HttpTranscriptEntry): string {
  return entry.path.replace(CLIENT_API, "");
}

function matrixCalls(entries: readonly TranscriptEntry[]): HttpTranscriptEntry[] {
  return entries.filter(
    (entry): entry is HttpTranscriptEntry => entry.kind === "http" && entry.layer === "matrix",
  );
}

/** `GET 200 A-G11` for each of the calls to `pattern`, in order. */
function callsTo(entries: readonly TranscriptEntry[], method: string, pattern: RegExp): string[] {
  return matrixCalls(entries)
    .filter((entry) => entry.method === method && pattern.test(endpoint(entry)))
    .map((entry) => `${entry.status ?? entry.error ?? "?"} ${entry.step ?? "no step"}`);
}

/**
 * Checks one device's transcript of a successful run in `direction` (A: the existing device shows the QR): from
 * the flow's first step on, every call carries its step, the preflight's too (`/versions`, the rendezvous
 * discovery: they belong to the first step). An engine's transcript also has what its account did before the
 * flow began (resuming a session), which no step covers.
 */
export function expectStepsOnFlowCalls(
  entries: readonly TranscriptEntry[],
  device: "existing" | "new",
  direction: "A" | "B",
): void {
  const what = `${device} device, direction ${direction}`;
  const first = entries.findIndex((entry) => entry.kind === "step" && entry.layer === "flow");
  // Only a flow asks which versions a server speaks or calls a rendezvous: those carry a step wherever they are.
  const flowOnly = (entry: TranscriptEntry): boolean =>
    entry.kind === "http" &&
    (entry.layer === "rendezvous" || /\/_matrix\/client\/versions$/.test(entry.path));
  const unstepped = entries
    .filter((entry, index) => index >= first || flowOnly(entry))
    .filter((entry) => entry.kind === "http" && entry.step === undefined);
  expect(
    unstepped.map((entry) => (entry.kind === "http" ? `${entry.layer} ${entry.method} ${entry.path}` : "")),
    `${what}: calls without a step`,
  ).toEqual([]);
  const housekeeping = matrixCalls(entries).filter((entry) =>
    HOUSEKEEPING.some((pattern) => pattern.test(endpoint(entry))),
  );
  expect(
    housekeeping.map((entry) => `${entry.method} ${entry.path} ${entry.step ?? ""}`),
    `${what}: the Matrix client's housekeeping in the transcript`,
  ).toEqual([]);

  const [absent, appeared] = direction === "A" ? ["A-G7", "A-G11"] : ["B-S6", "B-S10"];
  const [signedIn, imported] = direction === "A" ? ["A-S10", "A-S11"] : ["B-G11", "B-G12"];
  if (device === "existing") {
    const checks = callsTo(entries, "GET", /^devices\/[^/]+$/);
    expect(checks[0], `${what}: the device check`).toBe(`404 ${absent}`);
    expect(checks.at(-1), `${what}: the wait for the device`).toBe(`200 ${appeared}`);
    expect(
      checks.slice(1).every((check) => check.endsWith(appeared)),
      what,
    ).toBe(true);
  } else {
    expect(callsTo(entries, "GET", /^account\/whoami$/), `${what}: whoami`).toEqual([`200 ${signedIn}`]);
    // The device starts while the flow tells the other device and waits for the secrets: either step.
    const started = [`200 ${signedIn}`, `200 ${imported}`];
    const uploads = callsTo(entries, "POST", /^keys\/upload$/);
    expect(uploads.length, `${what}: the device keys`).toBeGreaterThan(0);
    for (const upload of uploads) expect(started, `${what}: keys/upload`).toContain(upload);
    expect(callsTo(entries, "POST", /^keys\/signatures\/upload$/), `${what}: the self-signing`).toEqual([
      `200 ${imported}`,
    ]);
  }
}
