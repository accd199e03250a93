// Fuzz targets of the rendezvous clients (docs/protocol.md §2): each drives a whole session (create or join,
// receive, send, receive, cancel; or v2025 discovery) against a hostile server whose every answer is generated
// from what that API's server plausibly says, then damaged. Every failure must be a RendezvousError, and every
// state the session exposes must stay usable (a finite expiry, a token that fits the AAD).
import fc from "fast-check";
import {
  createV2024Rendezvous,
  createV2025Rendezvous,
  discoverV2025Rendezvous,
  joinV2024Rendezvous,
  joinV2025Rendezvous,
  MACHINE_REPLY_DUE,
  RendezvousError,
  type RendezvousSession,
} from "../../../src-main/protocol/testing";
import { defineTarget, NETWORK_BOUND_MS, type AnyTarget } from "../harness";
import {
  answerScript,
  NEVER_ABORTS,
  outcomeOnNetwork,
  type AnswerSeed,
  type AnswerSpec,
  type FuzzRuntime,
  type Progress,
} from "../network";
import { invariant } from "../oracle";

const RENDEZVOUS_ERRORS = [RendezvousError];
const HOMESERVER = "https://hs.example";
const V2024_SESSION = `${HOMESERVER}/_matrix/client/unstable/org.matrix.msc4108/rendezvous/abc`;
const DATE = "Fri, 27 Nov 2026 12:00:00 GMT";
const LATER = "Fri, 27 Nov 2026 12:01:00 GMT";
const TIMES = { date: DATE, expires: LATER };

const V2024 = {
  create: [
    { status: 201, headers: { etag: '"1"', ...TIMES }, body: { url: V2024_SESSION } },
    { status: 201, headers: { "content-type": "application/json" }, body: { url: "rendezvous/relative" } },
    {
      status: 307,
      headers: { location: "https://other.example/_matrix/client/unstable/org.matrix.msc4108/rendezvous" },
    },
  ],
  read: [
    { status: 200, headers: { etag: '"1"', "content-type": "text/plain", ...TIMES }, text: "" },
    {
      status: 200,
      headers: { etag: '"2"', "content-type": "text/plain", ...TIMES },
      text: "cGVlcidzIG1lc3NhZ2U",
    },
  ],
  poll: [
    {
      status: 200,
      headers: { etag: '"2"', "content-type": "text/plain", ...TIMES },
      text: "cGVlcidzIG1lc3NhZ2U",
    },
    {
      status: 200,
      headers: { etag: '"3"', "content-type": "text/plain", ...TIMES },
      text: "YW5vdGhlciBvbmU",
    },
    { status: 304, headers: { etag: '"1"', ...TIMES } },
  ],
  write: [
    { status: 202, headers: { etag: '"4"', ...TIMES } },
    {
      status: 412,
      headers: { etag: '"5"' },
      body: { errcode: "M_CONCURRENT_WRITE", error: "ETag mismatch" },
    },
  ],
  delete: [{ status: 204 }, { status: 404, body: { errcode: "M_NOT_FOUND", error: "gone" } }],
  trouble: [
    {
      status: 429,
      headers: { "retry-after": "1" },
      body: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 500 },
    },
    { status: 502, headers: { "content-type": "text/html" }, text: "<html>Bad Gateway</html>" },
  ],
} satisfies Record<string, readonly AnswerSeed[]>;

const V2025 = {
  discover: [
    { status: 200, body: { create_available: true } },
    { status: 404, body: { errcode: "M_UNRECOGNIZED" } },
  ],
  create: [
    { status: 200, body: { id: "01HX9K00Q1H6KPD47EG4G1T3XG", sequence_token: "t1", expires_in_ms: 120_000 } },
    {
      status: 200,
      headers: { date: DATE },
      body: { id: "abc", sequence_token: "t1", expires_ts: Date.parse(LATER) },
    },
  ],
  read: [{ status: 200, body: { data: "", sequence_token: "t1", expires_in_ms: 120_000 } }],
  poll: [
    { status: 200, body: { data: "cGVlcidzIG1lc3NhZ2U", sequence_token: "t2", expires_in_ms: 110_000 } },
    { status: 200, body: { data: "YW5vdGhlciBvbmU", sequence_token: "t3", expires_in_ms: 100_000 } },
    { status: 200, body: { data: "", sequence_token: "t1", expires_in_ms: 120_000 } },
  ],
  write: [
    { status: 200, body: { sequence_token: "t4" } },
    { status: 409, body: { errcode: "IO_ELEMENT_MSC4388_CONCURRENT_WRITE", error: "token mismatch" } },
    { status: 404, body: { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" } },
    { status: 405 },
  ],
  delete: [
    { status: 200, body: [] },
    { status: 404, body: { errcode: "M_NOT_FOUND", error: "gone" } },
  ],
  trouble: [{ status: 429, body: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 2_000 } }, { status: 503 }],
} satisfies Record<string, readonly AnswerSeed[]>;

/** The state a session shows must stay usable whatever the server said. */
function checkSession(session: RendezvousSession): void {
  invariant(Number.isFinite(session.expiresAt), `the session's expiry is ${session.expiresAt}`);
  if (session.version === "v2025") {
    const token = (session as { sequenceToken?: unknown }).sequenceToken;
    invariant(typeof token === "string", "the sequence token is not a string");
  }
}

/** receive, send, receive, cancel on an open session; returns when the server ends it or the script runs out. */
async function converse(session: RendezvousSession, progress: Progress): Promise<void> {
  checkSession(session);
  let sealed = 0;
  for (const step of ["receive", "send", "receive"] as const) {
    progress.step = step;
    if (step === "send") {
      await session.send(
        (aad) => {
          if (session.version === "v2025") {
            invariant(aad !== undefined, "a v2025 send sealed without AAD");
            invariant(
              new TextEncoder().encode(aad.sequenceToken).length <= 255,
              "a sequence token longer than the AAD takes",
            );
          }
          sealed += 1;
          return `sealed-message-${sealed}`;
        },
        { signal: NEVER_ABORTS },
      );
    } else {
      const message = await session.receive({ signal: NEVER_ABORTS, schedule: MACHINE_REPLY_DUE });
      invariant(typeof message.data === "string", "a received message is not text");
    }
    checkSession(session);
  }
  progress.step = "cancel";
  await session.cancel();
}

function outcomeOf(
  script: readonly AnswerSpec[],
  run: (runtime: FuzzRuntime, progress: Progress) => Promise<void>,
): Promise<string> {
  return outcomeOnNetwork(script, RENDEZVOUS_ERRORS, async (runtime, progress) => {
    progress.step = "open";
    await run(runtime, progress);
  });
}

const v2024Create = defineTarget({
  name: "rendezvous.v2024.create",
  area: "rendezvous",
  weight: 4,
  boundMs: NETWORK_BOUND_MS,
  input: answerScript([V2024.create, V2024.poll, V2024.write, V2024.poll, V2024.delete, V2024.trouble]),
  run: (script) =>
    outcomeOf(script, async (runtime, progress) => {
      await converse(
        await createV2024Rendezvous({ runtime, signal: NEVER_ABORTS, homeserverUrl: HOMESERVER }),
        progress,
      );
    }),
});

const v2024Join = defineTarget({
  name: "rendezvous.v2024.join",
  area: "rendezvous",
  weight: 6,
  boundMs: NETWORK_BOUND_MS,
  input: answerScript([V2024.read, V2024.poll, V2024.write, V2024.poll, V2024.delete, V2024.trouble]),
  run: (script) =>
    outcomeOf(script, async (runtime, progress) => {
      await converse(
        await joinV2024Rendezvous({ runtime, signal: NEVER_ABORTS, url: V2024_SESSION }),
        progress,
      );
    }),
});

const v2025Discover = defineTarget({
  name: "rendezvous.v2025.discover",
  area: "rendezvous",
  weight: 2,
  boundMs: NETWORK_BOUND_MS,
  input: fc.tuple(answerScript([V2025.discover, V2025.trouble]), fc.boolean()),
  run: ([script, signedIn]) =>
    outcomeOf(script, async (runtime) => {
      const found = await discoverV2025Rendezvous({
        runtime,
        signal: NEVER_ABORTS,
        baseUrl: HOMESERVER,
        ...(signedIn ? { accessToken: "token" } : {}),
      });
      invariant(
        !found.served || typeof found.createAvailable === "boolean",
        "create_available is not a boolean",
      );
    }),
});

const v2025Create = defineTarget({
  name: "rendezvous.v2025.create",
  area: "rendezvous",
  weight: 6,
  boundMs: NETWORK_BOUND_MS,
  input: fc.tuple(
    answerScript([V2025.create, V2025.poll, V2025.write, V2025.poll, V2025.delete, V2025.trouble]),
    fc.constantFrom("unstable" as const, "stable" as const),
  ),
  run: ([script, api]) =>
    outcomeOf(script, async (runtime, progress) => {
      await converse(
        await createV2025Rendezvous({ runtime, signal: NEVER_ABORTS, baseUrl: HOMESERVER, api }),
        progress,
      );
    }),
});

const v2025Join = defineTarget({
  name: "rendezvous.v2025.join",
  area: "rendezvous",
  weight: 6,
  boundMs: NETWORK_BOUND_MS,
  input: answerScript([V2025.read, V2025.poll, V2025.write, V2025.poll, V2025.delete, V2025.trouble]),
  run: (script) =>
    outcomeOf(script, async (runtime, progress) => {
      await converse(
        await joinV2025Rendezvous({
          runtime,
          signal: NEVER_ABORTS,
          baseUrl: `${HOMESERVER}/prefix/`,
          id: "01HX9K00Q1H6KPD47EG4G1T3XG",
        }),
        progress,
      );
    }),
});

export const RENDEZVOUS_TARGETS: readonly AnyTarget[] = [
  v2024Create,
  v2024Join,
  v2025Discover,
  v2025Create,
  v2025Join,
];
