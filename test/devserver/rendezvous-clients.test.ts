// Both rendezvous clients, both roles, talking to each other through the devserver (which serves both APIs as
// Synapse 1.160 does): the happy path with the real secure channels, no-change polls, conflicts, expiry, a lost
// write, a write a gateway failed after it committed, rate limits and server failures, proxies that rewrite
// validators, cancel, the poll schedules, the MSC4388 send shapes and API paths, and discovery in each mode.
//
// No test waits on a real timer: each device runs on its own virtual clock (test/helpers/virtual-clock.ts), which
// stands still while the device's requests are under way and otherwise moves at once to the next sleep's end
// (letting the other device's requests run meanwhile). The devserver's clock is frozen, except where a test
// moves it (expiry) or lets it follow one device's clock (to read the poll times off the rendezvous log).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startDevserver,
  type Devserver,
  type DevserverOptions,
  type RendezvousLogEntry,
} from "../../devserver/index";
import {
  MACHINE_REPLY_DUE,
  PERSON_ACTING,
  V2025_STABLE_PATH,
  V2025_UNSTABLE_PATH,
  acceptScannedQr,
  createGeneratorChannel,
  createRendezvous,
  createRuntime,
  createScannerChannel,
  createV2024Rendezvous,
  createV2025Rendezvous,
  discoverV2025Rendezvous,
  encodeLoginQr,
  isRendezvousError,
  joinRendezvous,
  joinV2024Rendezvous,
  joinV2025Rendezvous,
  loginQrForSession,
  type EstablishedChannel,
  type GeneratorChannel,
  type GeneratorUnconfirmed,
  type LoginQr,
  type PollSchedule,
  type RendezvousApi,
  type RendezvousClientOptions,
  type RendezvousAad,
  type RendezvousError,
  type RendezvousSession,
  type V2024RendezvousSession,
  type V2025RendezvousSession,
  type WireVersion,
} from "../../src-main/protocol/testing";
import type { TranscriptEntry } from "../../src-shared/transcript";
import { VirtualClock } from "../helpers/virtual-clock";

const FROZEN_NOW = Date.parse("2026-11-27T12:00:00Z");
const VERSIONS: readonly WireVersion[] = ["v2024", "v2025"];
const VALID_TOKEN = "syt_rendezvous_clients_test";

// ---------------------------------------------------------------------------------------------------------------
// Virtual time and devices

interface Device {
  readonly time: VirtualClock;
  readonly transcript: TranscriptEntry[];
  readonly options: RendezvousClientOptions & { readonly signal: AbortSignal };
  /** Runs `action` before this device's next request goes out, with its clock standing still meanwhile. */
  beforeNextRequest(action: () => Promise<void>): void;
}

function device(onEntry?: (entry: TranscriptEntry) => void): Device {
  const time = new VirtualClock({ start: FROZEN_NOW });
  const transcript: TranscriptEntry[] = [];
  const beforeNext: (() => Promise<void>)[] = [];
  return {
    time,
    transcript,
    beforeNextRequest: (action) => {
      beforeNext.push(action);
    },
    options: {
      runtime: createRuntime({
        fetch: time.holding(async (url, init) => {
          for (const action of beforeNext.splice(0)) await action();
          return fetch(url, init);
        }),
        now: time.now,
        sleep: time.sleep,
        transcript: (entry) => {
          transcript.push(entry);
          onEntry?.(entry);
        },
      }),
      // The devserver listens on http://127.0.0.1: the one place plain http is allowed.
      allowInsecureHttp: true,
      signal: new AbortController().signal,
    },
  };
}

type AnySession = V2024RendezvousSession | V2025RendezvousSession;

interface Pair<Session extends AnySession = AnySession> {
  readonly g: Session;
  readonly s: Session;
  readonly gDevice: Device;
  readonly sDevice: Device;
}

interface PairOptions {
  readonly api?: RendezvousApi;
  readonly gDevice?: Device;
  readonly sDevice?: Device;
}

/** G creates a session; S joins it from the URL G's QR code would carry. */
async function openV2024Pair(
  server: Devserver,
  options: PairOptions = {},
): Promise<Pair<V2024RendezvousSession>> {
  const gDevice = options.gDevice ?? device();
  const sDevice = options.sDevice ?? device();
  const g = await createV2024Rendezvous({ ...gDevice.options, homeserverUrl: server.baseUrl });
  const s = await joinV2024Rendezvous({ ...sDevice.options, url: g.url });
  return { g, s, gDevice, sDevice };
}

/** G creates a session; S joins it from the base URL and ID G's QR code would carry. */
async function openV2025Pair(
  server: Devserver,
  options: PairOptions = {},
): Promise<Pair<V2025RendezvousSession>> {
  const gDevice = options.gDevice ?? device();
  const sDevice = options.sDevice ?? device();
  const api = options.api ?? "unstable";
  const g = await createV2025Rendezvous({ ...gDevice.options, baseUrl: server.baseUrl, api });
  const s = await joinV2025Rendezvous({ ...sDevice.options, baseUrl: g.baseUrl, id: g.id, api });
  return { g, s, gDevice, sDevice };
}

function openPair(version: WireVersion, server: Devserver, options: PairOptions = {}): Promise<Pair> {
  return version === "v2024" ? openV2024Pair(server, options) : openV2025Pair(server, options);
}

/** Another device joining the session G created. */
function joinAgain(g: AnySession, server: Devserver, joiner: Device): Promise<AnySession> {
  return g.version === "v2024"
    ? joinV2024Rendezvous({ ...joiner.options, url: g.url })
    : joinV2025Rendezvous({ ...joiner.options, baseUrl: server.baseUrl, id: g.id, api: g.api });
}

function send(session: RendezvousSession, data: string, device: Device): Promise<void> {
  return session.send(() => data, { signal: device.options.signal });
}

async function receive(
  session: RendezvousSession,
  device: Device,
  schedule = MACHINE_REPLY_DUE,
): Promise<string> {
  return (await session.receive({ signal: device.options.signal, schedule })).data;
}

async function rendezvousError(promise: Promise<unknown>): Promise<RendezvousError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isRendezvousError(error)) throw new Error(`expected a RendezvousError, got ${String(error)}`);
  return error;
}

// ---------------------------------------------------------------------------------------------------------------
// Devservers

function useDevserver(options: DevserverOptions = {}): () => Devserver {
  let server: Devserver | undefined;
  beforeAll(async () => {
    server = await startDevserver({ testHooks: true, now: () => FROZEN_NOW, ...options });
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server?.hooks.clearRendezvousLog();
  });
  afterEach(() => {
    server?.hooks.clearFaults();
  });
  return () => {
    if (server === undefined) throw new Error("devserver not started");
    return server;
  };
}

/** Runs `body` against a devserver of its own (settings no other test shares), closed however `body` ends. */
async function withDevserver(
  options: DevserverOptions,
  body: (server: Devserver) => Promise<void>,
): Promise<void> {
  const server = await startDevserver({ now: () => FROZEN_NOW, ...options });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

const SESSION_PATH = /\/(_synapse\/client\/rendezvous|rendezvous)\/[^/]+(\/[^/]+)?$/;

function sessionRequests(server: Devserver, method?: string): RendezvousLogEntry[] {
  return server.hooks
    .rendezvousLog()
    .filter((entry) => SESSION_PATH.test(entry.path) && (method === undefined || entry.method === method));
}

function statuses(entries: readonly RendezvousLogEntry[]): number[] {
  return entries.map((entry) => entry.status);
}

function sessionPathPattern(version: WireVersion): string {
  return version === "v2024" ? "^/_synapse/client/rendezvous/" : `^${V2025_UNSTABLE_PATH}/`;
}

// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// The happy path's two devices, as the flows will drive them

/**
 * What each side bound its messages to (v2025 AADs must pair up exactly; v2024 has none), and every message as
 * it went over the wire (the sealed strings the PUTs carried), in the order they were sealed.
 */
interface AadLog {
  readonly sealed: unknown[];
  readonly opened: unknown[];
  readonly wire: string[];
}

/** Seals with `seal`, recording the AAD and the wire string it produced. */
async function sealLogged(
  aads: AadLog,
  aad: RendezvousAad | undefined,
  seal: () => Promise<string>,
): Promise<string> {
  aads.sealed.push(aad);
  const wire = await seal();
  aads.wire.push(wire);
  return wire;
}

/** The login messages after the handshake, alternating S, G, S, G (strict ping-pong, docs/protocol.md §4). */
const CONVERSATION = [
  "m.login.protocols",
  "m.login.protocol",
  "m.login.protocol_accepted",
  "m.login.success",
];

/** G: a session and the QR code that names it. */
async function showQr(
  version: WireVersion,
  server: Devserver,
  gDevice: Device,
): Promise<{ session: RendezvousSession; channel: GeneratorChannel; qr: LoginQr }> {
  const channel = createGeneratorChannel(version);
  const session = await createRendezvous(version, { ...gDevice.options, baseUrl: server.baseUrl });
  return { session, channel, qr: loginQrForSession(session, channel, "new_device") };
}

/** One side of the conversation; returns the message types it heard. */
async function converse(
  role: "G" | "S",
  session: RendezvousSession,
  channel: EstablishedChannel,
  self: Device,
  aads: AadLog,
): Promise<string[]> {
  const { signal } = self.options;
  const heard: string[] = [];
  for (const [index, type] of CONVERSATION.entries()) {
    if ((index % 2 === 0) === (role === "S")) {
      await session.send((aad) => sealLogged(aads, aad, () => channel.seal(JSON.stringify({ type }), aad)), {
        signal,
      });
    } else {
      const message = await session.receive({ signal, schedule: MACHINE_REPLY_DUE });
      aads.opened.push(message.aad);
      heard.push((JSON.parse(await channel.open(message.data, message.aad)) as { type: string }).type);
    }
  }
  return heard;
}

/** S: scans, joins, sends INITIATE, verifies LoginOk, shows the check code (to `showCode`), then converses. */
async function runScanner(
  qrBytes: Uint8Array,
  sDevice: Device,
  aads: AadLog,
  showCode: (code: string) => void,
): Promise<string[]> {
  const { signal } = sDevice.options;
  // S is the existing device here: G's QR must come from a new device, checked before any request.
  const scanned = acceptScannedQr(qrBytes, "existing_device");
  const channel = createScannerChannel(scanned);
  const session = await joinRendezvous(scanned, sDevice.options);
  await session.send((aad) => sealLogged(aads, aad, () => channel.sealInitiate(aad)), { signal });
  const ok = await session.receive({ signal, schedule: MACHINE_REPLY_DUE });
  aads.opened.push(ok.aad);
  const unconfirmed = await channel.openOk(ok.data, ok.aad);
  showCode(unconfirmed.checkCode);
  return converse("S", session, unconfirmed.acknowledge(), sDevice, aads);
}

/** G: waits for INITIATE, answers LoginOk, takes the code the user typed (`typedCode`), then converses. */
async function runGenerator(
  session: RendezvousSession,
  channel: GeneratorChannel,
  gDevice: Device,
  aads: AadLog,
  typedCode: Promise<string>,
): Promise<string[]> {
  const { signal } = gDevice.options;
  const initiate = await session.receive({ signal, schedule: PERSON_ACTING });
  aads.opened.push(initiate.aad);
  const pending = await channel.openInitiate(initiate.data, initiate.aad);
  let unconfirmed: GeneratorUnconfirmed | undefined;
  await session.send(
    (aad) =>
      sealLogged(aads, aad, async () => {
        const sealed = await pending.sealOk(aad);
        unconfirmed = sealed.unconfirmed;
        return sealed.okMessage;
      }),
    { signal },
  );
  if (unconfirmed === undefined) throw new Error("LoginOk was not sealed");
  const confirmed = unconfirmed.confirm(await typedCode);
  if (!confirmed.ok) throw new Error("the check codes differ");
  return converse("G", session, confirmed.channel, gDevice, aads);
}

describe("the happy path: handshake and login messages through both clients, with the real channels", () => {
  const server = useDevserver();

  it.each(VERSIONS)(
    "%s: G shows the QR code, S scans it, and six messages go back and forth",
    async (version) => {
      const gDevice = device();
      const sDevice = device();
      const aads: AadLog = { sealed: [], opened: [], wire: [] };
      const { session, channel, qr } = await showQr(version, server(), gDevice);
      // The user reads the digits on S and types them on G.
      let showCode: (code: string) => void = () => undefined;
      const typedCode = new Promise<string>((resolve) => {
        showCode = resolve;
      });

      const [heardByS, heardByG] = await Promise.all([
        runScanner(encodeLoginQr(qr), sDevice, aads, showCode),
        runGenerator(session, channel, gDevice, aads, typedCode),
      ]);
      expect(heardByG).toEqual(["m.login.protocols", "m.login.protocol_accepted"]);
      expect(heardByS).toEqual(["m.login.protocol", "m.login.success"]);

      // Each message was opened against exactly what it was sealed against; v2025 binds each to its own token.
      expect(aads.opened).toHaveLength(6);
      const asText = (aad: unknown): string => JSON.stringify(aad ?? null);
      expect(new Set(aads.opened.map(asText))).toEqual(new Set(aads.sealed.map(asText)));
      if (version === "v2024") expect(aads.sealed.every((aad) => aad === undefined)).toBe(true);
      else expect(new Set(aads.sealed.map(asText)).size).toBe(6);

      // One transcript entry per request, each with its ETag or token, and none holding any of the six sealed
      // messages as the PUTs carried them, whole or in part (a 24-character piece of base64 is as good as unique).
      const entries = [...gDevice.transcript, ...sDevice.transcript];
      expect(entries).toHaveLength(server().hooks.rendezvousLog().length);
      expect(aads.wire).toHaveLength(6);
      const transcriptText = JSON.stringify(entries);
      for (const payload of aads.wire) {
        expect(payload.length).toBeGreaterThan(40);
        expect(transcriptText).not.toContain(payload);
        expect(transcriptText).not.toContain(payload.slice(8, 32));
      }
      // The PUT entries do describe those six messages: their body sizes, never their bodies.
      const bodyBytes = aads.wire.map((payload, index) => {
        const aad = aads.sealed[index] as RendezvousAad | undefined;
        const body =
          aad === undefined ? payload : JSON.stringify({ sequence_token: aad.sequenceToken, data: payload });
        return new TextEncoder().encode(body).length;
      });
      const putBytes = entries.flatMap((entry) =>
        entry.kind === "http" && entry.method === "PUT" ? [entry.requestBytes] : [],
      );
      const ascending = (a: number | undefined, b: number | undefined): number => (a ?? 0) - (b ?? 0);
      expect(putBytes.sort(ascending)).toEqual(bodyBytes.sort(ascending));
      for (const entry of entries) {
        expect(
          entry.kind === "http" && (version === "v2024" ? entry.etag : entry.sequenceToken),
        ).toBeTruthy();
      }
    },
  );
});

describe("plain http without allowInsecureHttp", () => {
  const server = useDevserver();

  it.each(VERSIONS)(
    "%s: create and join refuse the devserver's http URL before any request",
    async (version) => {
      const { allowInsecureHttp: _allowed, ...strict } = device().options;
      const refusedCreate =
        version === "v2024"
          ? createV2024Rendezvous({ ...strict, homeserverUrl: server().baseUrl })
          : createV2025Rendezvous({ ...strict, baseUrl: server().baseUrl });
      expect((await rendezvousError(refusedCreate)).code).toBe("insecure_transport");

      const { qr } = await showQr(version, server(), device());
      const scanned = acceptScannedQr(encodeLoginQr(qr), "existing_device");
      expect((await rendezvousError(joinRendezvous(scanned, strict))).code).toBe("insecure_transport");
      // Only the allowed create above reached the server.
      expect(
        server()
          .hooks.rendezvousLog()
          .map((entry) => entry.method),
      ).toEqual(["POST"]);
    },
  );
});

describe("polling, conflicts, expiry and cancel", () => {
  const server = useDevserver({ rendezvous: { ttlV2024S: 60, ttlV2025S: 120 } });

  it.each(VERSIONS)(
    "%s: polls that find nothing new say so (304 / the same token), then the message arrives",
    async (version) => {
      const { g, s, gDevice, sDevice } = await openPair(version, server());
      const before = sessionRequests(server(), "GET").length;
      gDevice.time.after(5_000, () => send(s, "INITIATE", sDevice));

      expect(await receive(g, gDevice, PERSON_ACTING)).toBe("INITIATE");

      const polls = sessionRequests(server(), "GET").slice(before);
      expect(polls.length).toBeGreaterThanOrEqual(3);
      if (version === "v2024") {
        expect(statuses(polls)).toEqual([...Array<number>(polls.length - 1).fill(304), 200]);
      } else {
        expect(statuses(polls).every((status) => status === 200)).toBe(true);
        const tokens = gDevice.transcript.flatMap((entry) =>
          entry.kind === "http" && entry.method === "GET" ? [entry.sequenceToken] : [],
        );
        const unchanged = tokens.slice(0, -1);
        expect(new Set(unchanged).size).toBe(1);
        expect(tokens.at(-1)).not.toBe(unchanged[0]);
      }
    },
  );

  it.each(VERSIONS)(
    "%s: a second writer on a stale version is refused as a concurrent write",
    async (version) => {
      const { g, s, sDevice } = await openPair(version, server());
      const intruderDevice = device();
      const intruder = await joinAgain(g, server(), intruderDevice);
      await send(s, "INITIATE", sDevice);

      const error = await rendezvousError(send(intruder, "ALSO INITIATE", intruderDevice));
      expect(error.code).toBe("concurrent_write");
      expect(statuses(sessionRequests(server(), "PUT"))).toEqual(
        version === "v2024" ? [202, 412] : [200, 409],
      );
    },
  );

  it.each(VERSIONS)(
    "%s: the session expires mid-flow and both sides learn it from the 404",
    async (version) => {
      const { g, s, gDevice, sDevice } = await openPair(version, server());
      await send(s, "INITIATE", sDevice);
      expect(await receive(g, gDevice)).toBe("INITIATE");

      server().hooks.clock.advance((version === "v2024" ? 60 : 120) * 1000);

      expect((await rendezvousError(send(g, "OK", gDevice))).code).toBe("expired");
      expect((await rendezvousError(receive(s, sDevice))).code).toBe("expired");
    },
  );

  it.each(VERSIONS)(
    "%s: cancel deletes the session, even after the flow's signal aborted; the peer then sees it expired; cancelling again is fine",
    async (version) => {
      const flow = new AbortController();
      const gDevice = device();
      const { g, s, sDevice } = await openPair(version, server(), {
        gDevice: { ...gDevice, options: { ...gDevice.options, signal: flow.signal } },
      });
      flow.abort(new Error("the user closed the QR screen"));
      await g.cancel();
      expect(statuses(sessionRequests(server(), "DELETE"))).toEqual([version === "v2024" ? 204 : 200]);

      expect((await rendezvousError(send(s, "INITIATE", sDevice))).code).toBe("expired");
      await s.cancel();
      expect(statuses(sessionRequests(server(), "DELETE")).at(-1)).toBe(404);
    },
  );
});

/**
 * How a write may land without its writer learning so: the server commits it, then the answer never comes
 * (`answer_lost`) or a gateway that gave up answers 502 (`failed_after_commit`).
 */
type UnsureWrite = "answer_lost" | "failed_after_commit";

const UNSURE_WRITE_FAULTS = {
  answer_lost: { dropResponseAfterCommit: true },
  failed_after_commit: { statusAfterCommit: 502 },
} as const;

/** The next PUT on a path matching `pathPattern` lands, but its writer cannot tell. */
function failNextPut(server: Devserver, unsure: UnsureWrite, pathPattern: string): void {
  server.hooks.addFault({ method: "PUT", pathPattern, count: 1, ...UNSURE_WRITE_FAULTS[unsure] });
}

/**
 * G and S, where S, once unsure whether a write of its own landed, lets G read its INITIATE and answer OK before
 * it looks again (its next request: after the back-off of a 5xx, or the read of what became of a lost answer,
 * which the rate ceiling's burst now sends at once).
 * `gSealedAgainst` collects the AAD G sealed its answer against.
 */
async function openPairWhereGAnswersMeanwhile(
  version: WireVersion,
  server: Devserver,
  unsure: UnsureWrite,
): Promise<Pair & { readonly gSealedAgainst: readonly unknown[] }> {
  const gDevice = device();
  const gSealedAgainst: unknown[] = [];
  const sDevice: Device = device((entry) => {
    if (entry.kind !== "http" || entry.method !== "PUT") return;
    const unsureNow =
      unsure === "answer_lost" ? entry.error?.startsWith("network") === true : (entry.status ?? 0) >= 500;
    if (unsureNow) {
      sDevice.beforeNextRequest(async () => {
        expect(await receive(pair.g, gDevice)).toBe("INITIATE");
        await pair.g.send(
          (aad) => {
            gSealedAgainst.push(aad);
            return "OK";
          },
          { signal: gDevice.options.signal },
        );
      });
    }
  });
  const pair = await openPair(version, server, { gDevice, sDevice });
  return { ...pair, gSealedAgainst };
}

/** The MSC4388 write with a transaction ID, `PUT {id}/{txnId}`. */
const V2025_TXN_PUT_PATH = `^${V2025_UNSTABLE_PATH}/[^/]+/[^/]+$`;

describe("a write whose answer is lost", () => {
  const server = useDevserver();

  it.each(VERSIONS)("%s: the write landed and the flow carries on", async (version) => {
    const { g, s, gDevice, sDevice } = await openPair(version, server());
    failNextPut(server(), "answer_lost", sessionPathPattern(version));

    await send(s, "INITIATE", sDevice);
    expect(await receive(g, gDevice)).toBe("INITIATE");
    await send(g, "OK", gDevice);
    expect(await receive(s, sDevice)).toBe("OK");

    const requests = sessionRequests(server());
    const dropped = requests.findIndex((entry) => entry.dropped === true);
    expect(requests[dropped]?.method).toBe("PUT");
    // v2024 asks the session what happened; v2025 resends the identical write, which the server acknowledges.
    expect(requests[dropped + 1]).toMatchObject(
      version === "v2024" ? { method: "GET", status: 200 } : { method: "PUT", status: 200 },
    );
  });

  it("v2024: the peer answered before we looked, so its answer is the next message received", async () => {
    // Before S looks at what became of its write, G reads S's message and answers it.
    const { s, sDevice } = await openPairWhereGAnswersMeanwhile("v2024", server(), "answer_lost");
    failNextPut(server(), "answer_lost", sessionPathPattern("v2024"));

    await send(s, "INITIATE", sDevice);
    const getsBefore = sessionRequests(server(), "GET").length;
    expect(await receive(s, sDevice)).toBe("OK");
    // Already in hand: no further GET was needed.
    expect(sessionRequests(server(), "GET")).toHaveLength(getsBefore);
  });

  it.each([
    ["plain", "network"],
    ["txn", "recovered"],
  ] as const)("v2025 with PUT shape %s: the peer answered before the resend: %s", async (shape, outcome) => {
    await withDevserver({ testHooks: true, rendezvous: { v2025Put: shape } }, async (shaped) => {
      const { s, sDevice, gSealedAgainst } = await openPairWhereGAnswersMeanwhile(
        "v2025",
        shaped,
        "answer_lost",
      );
      // With the txn shape, the first PUT learns the shape (405); drop the one that then commits.
      failNextPut(shaped, "answer_lost", shape === "txn" ? V2025_TXN_PUT_PATH : sessionPathPattern("v2025"));

      if (outcome === "network") {
        // The peer's answer is sealed against the token our lost answer carried: it can never be opened.
        expect((await rendezvousError(send(s, "INITIATE", sDevice))).code).toBe("network");
        return;
      }
      await send(s, "INITIATE", sDevice);
      const reply = await s.receive({ signal: sDevice.options.signal, schedule: MACHINE_REPLY_DUE });
      expect(reply.data).toBe("OK");
      expect(reply.aad).toEqual(gSealedAgainst[0]);
    });
  });
});

describe("a write answered with a 5xx after it committed (a gateway gave up while the server wrote)", () => {
  const server = useDevserver();

  it.each(VERSIONS)(
    "%s: nobody wrote meanwhile, so the client finds its own write and carries on",
    async (version) => {
      const { g, s, gDevice, sDevice } = await openPair(version, server());
      failNextPut(server(), "failed_after_commit", sessionPathPattern(version));

      await send(s, "INITIATE", sDevice);
      expect(await receive(g, gDevice)).toBe("INITIATE");
      await send(g, "OK", gDevice);
      expect(await receive(s, sDevice)).toBe("OK");

      // v2024 resends on the old ETag, is refused, and finds its own content; v2025's identical resend is
      // acknowledged with the current token (the server's safe-retry rule). Then G's write, as usual.
      expect(statuses(sessionRequests(server(), "PUT"))).toEqual(
        version === "v2024" ? [502, 412, 202] : [502, 200, 200],
      );
      // One back-off before the resend, on S's clock.
      expect(sDevice.time.sleeps).toContain(500);
    },
  );

  it("v2024: the peer answered during the back-off, so its answer is the next message received", async () => {
    const { s, sDevice } = await openPairWhereGAnswersMeanwhile("v2024", server(), "failed_after_commit");
    failNextPut(server(), "failed_after_commit", sessionPathPattern("v2024"));

    await send(s, "INITIATE", sDevice);
    const getsBefore = sessionRequests(server(), "GET").length;
    expect(await receive(s, sDevice)).toBe("OK");
    // Already in hand from the read after the 412: no further GET was needed.
    expect(sessionRequests(server(), "GET")).toHaveLength(getsBefore);
    expect(statuses(sessionRequests(server(), "PUT"))).toEqual([502, 202, 412]);
  });

  it.each([
    ["plain", "network"],
    ["txn", "recovered"],
  ] as const)(
    "v2025 with PUT shape %s: the peer answered during the back-off: %s",
    async (shape, outcome) => {
      await withDevserver({ testHooks: true, rendezvous: { v2025Put: shape } }, async (shaped) => {
        const { s, sDevice, gSealedAgainst } = await openPairWhereGAnswersMeanwhile(
          "v2025",
          shaped,
          "failed_after_commit",
        );
        // With the txn shape, the first PUT learns the shape (405); the gateway fails the one that then commits.
        failNextPut(
          shaped,
          "failed_after_commit",
          shape === "txn" ? V2025_TXN_PUT_PATH : sessionPathPattern("v2025"),
        );

        if (outcome === "network") {
          // The resend is no longer the write just before the current one (the peer's is), so the server refuses
          // it; the peer's answer is sealed against the token the 502 hid, and can never be opened.
          const error = await rendezvousError(send(s, "INITIATE", sDevice));
          expect(error).toMatchObject({ code: "network", reason: "write_answer_lost" });
          expect(statuses(sessionRequests(shaped, "PUT"))).toEqual([502, 200, 409]);
          return;
        }
        // The transaction record answers the resend with the token the 502 hid, so the peer's answer opens.
        await send(s, "INITIATE", sDevice);
        const reply = await s.receive({ signal: sDevice.options.signal, schedule: MACHINE_REPLY_DUE });
        expect(reply.data).toBe("OK");
        expect(reply.aad).toEqual(gSealedAgainst[0]);
        // S learns the shape and its write fails at the gateway; G learns the shape and answers; S's resend is
        // acknowledged.
        expect(statuses(sessionRequests(shaped, "PUT"))).toEqual([405, 502, 405, 200, 200]);
      });
    },
  );
});

describe("rate limits and server failures, retried until the session's deadline", () => {
  const server = useDevserver({ rendezvous: { ttlV2024S: 30, ttlV2025S: 30 } });

  it.each(VERSIONS)("%s: a 429 is retried after exactly the retry_after_ms it asks for", async (version) => {
    const { g, s, gDevice, sDevice } = await openPair(version, server());
    await send(s, "INITIATE", sDevice);
    server().hooks.addFault({
      method: "GET",
      pathPattern: sessionPathPattern(version),
      count: 1,
      status: 429,
      retryAfterMs: 1700,
    });

    expect(await receive(g, gDevice)).toBe("INITIATE");
    expect(statuses(sessionRequests(server(), "GET")).slice(-2)).toEqual([429, 200]);
    // retry_after_ms wins over the coarser Retry-After header (2 s) the server sends with it.
    expect(gDevice.time.sleeps.at(-1)).toBe(1700);
  });

  it.each(VERSIONS)("%s: a burst of 503s on a write backs off and then succeeds", async (version) => {
    const { g, s, gDevice, sDevice } = await openPair(version, server());
    server().hooks.addFault({
      method: "PUT",
      pathPattern: sessionPathPattern(version),
      count: 3,
      status: 503,
    });

    await send(s, "INITIATE", sDevice);
    expect(await receive(g, gDevice)).toBe("INITIATE");
    expect(statuses(sessionRequests(server(), "PUT"))).toEqual([
      503,
      503,
      503,
      version === "v2024" ? 202 : 200,
    ]);
    expect(sDevice.time.sleeps.filter((ms) => ms >= 500)).toEqual([500, 1000, 2000]);
  });

  it.each(VERSIONS)("%s: 5xx until the session would have expired ends in server_error", async (version) => {
    const { g, gDevice } = await openPair(version, server());
    server().hooks.addFault({
      method: "GET",
      pathPattern: sessionPathPattern(version),
      count: 1000,
      status: 502,
    });

    const error = await rendezvousError(receive(g, gDevice));
    expect(error.code).toBe("server_error");
    expect(gDevice.time.now()).toBeLessThan(g.expiresAt);
    // The first try, then retries after 0.5, 1, 2, 4, 5, 5, 5, 5 s (27.5 s in all): the next 5 s would pass 30 s.
    expect(statuses(sessionRequests(server(), "GET")).filter((status) => status === 502)).toHaveLength(9);
  });
});

describe("proxies that rewrite validators", () => {
  const server = useDevserver();

  it("v2024: a weakened ETag (nginx gzip) is named at once", async () => {
    const gDevice = device();
    const g = await createV2024Rendezvous({ ...gDevice.options, homeserverUrl: server().baseUrl });
    server().hooks.addFault({
      method: "GET",
      pathPattern: sessionPathPattern("v2024"),
      count: 1,
      rewriteEtag: "weak",
    });
    const error = await rendezvousError(joinV2024Rendezvous({ ...device().options, url: g.url }));
    expect(error).toMatchObject({ code: "proxy_interference", reason: "weak_etag" });
  });

  it("v2024: a suffixed ETag (Apache mod_deflate) ends in a 412 the client explains instead of looping", async () => {
    const gDevice = device();
    const sDevice = device();
    const g = await createV2024Rendezvous({ ...gDevice.options, homeserverUrl: server().baseUrl });
    server().hooks.addFault({
      method: "GET",
      pathPattern: sessionPathPattern("v2024"),
      count: 1,
      rewriteEtag: "suffix",
    });
    const s = await joinV2024Rendezvous({ ...sDevice.options, url: g.url });
    expect(s.etag).toMatch(/-gzip"$/);

    const error = await rendezvousError(send(s, "INITIATE", sDevice));
    expect(error).toMatchObject({ code: "proxy_interference", reason: "etag_rewritten" });
    expect(statuses(sessionRequests(server(), "PUT"))).toEqual([412]);
  });

  it("v2024: a proxy that rewrites every response turns the 412 into a named loop", async () => {
    const gDevice = device();
    const sDevice = device();
    const g = await createV2024Rendezvous({ ...gDevice.options, homeserverUrl: server().baseUrl });
    server().hooks.addFault({
      method: "*",
      pathPattern: sessionPathPattern("v2024"),
      count: 100,
      rewriteEtag: "suffix",
    });
    const s = await joinV2024Rendezvous({ ...sDevice.options, url: g.url });

    const error = await rendezvousError(send(s, "INITIATE", sDevice));
    expect(error).toMatchObject({ code: "proxy_interference", reason: "precondition_loop" });
  });

  it("v2025: a token rewritten on the write's answer shows up as a token change without a write", async () => {
    const { s, sDevice } = await openV2025Pair(server());
    server().hooks.addFault({
      method: "PUT",
      pathPattern: sessionPathPattern("v2025"),
      count: 1,
      rewriteEtag: "suffix",
    });
    await send(s, "INITIATE", sDevice);
    expect(s.sequenceToken).toMatch(/-gzip$/);

    const error = await rendezvousError(receive(s, sDevice));
    expect(error).toMatchObject({ code: "proxy_interference", reason: "token_changed_without_write" });
  });

  it("v2025: a token rewritten on the join turns the 409 into a named rewrite", async () => {
    const gDevice = device();
    const sDevice = device();
    const g = await createV2025Rendezvous({ ...gDevice.options, baseUrl: server().baseUrl });
    server().hooks.addFault({
      method: "GET",
      pathPattern: sessionPathPattern("v2025"),
      count: 1,
      rewriteEtag: "weak",
    });
    const s = await joinV2025Rendezvous({ ...sDevice.options, baseUrl: g.baseUrl, id: g.id });
    expect(s.sequenceToken.startsWith("W/")).toBe(true);

    const error = await rendezvousError(send(s, "INITIATE", sDevice));
    expect(error).toMatchObject({ code: "proxy_interference", reason: "token_rewritten" });
    expect(statuses(sessionRequests(server(), "PUT"))).toEqual([409]);
  });
});

describe("the poll schedule, read off the devserver's log on the polling device's clock", () => {
  // The devserver's clock follows G's virtual clock, so the log's times are the moments G sent each GET.
  let follow: () => number = () => FROZEN_NOW;
  const server = useDevserver({ now: () => follow() });
  afterEach(() => {
    follow = () => FROZEN_NOW;
  });

  /**
   * When G's GETs went out during one receive, counted from G's last turn (its create), the peer writing
   * `writeAfterMs` into it.
   */
  async function pollTimes(
    version: WireVersion,
    schedule: PollSchedule,
    writeAfterMs: number,
  ): Promise<number[]> {
    const gDevice = device();
    follow = gDevice.time.now;
    const { g, s, sDevice } = await openPair(version, server(), { gDevice });
    const start = gDevice.time.now();
    gDevice.time.after(writeAfterMs, () => send(s, "INITIATE", sDevice));
    server().hooks.clearRendezvousLog();

    expect(await receive(g, gDevice, schedule)).toBe("INITIATE");

    const gets = sessionRequests(server(), "GET").filter((entry) => entry.time >= start);
    const last = gets.at(-1);
    // The message is picked up by the first poll after it was written.
    expect(last === undefined ? Number.NaN : last.time - start).toBeGreaterThanOrEqual(writeAfterMs);
    return gets.map((entry) => entry.time - start);
  }

  // Replaces "every 250 ms for 10 s, then every second" (gaps of 250 ms from a GET at once): the schedule before
  // the rate ceiling allowed a burst.
  it.each(VERSIONS)(
    "%s, machine reply due: 25 ms after our last turn, then backing off 100, 200, 400, 800 ms to every second",
    async (version) => {
      const times = await pollTimes(version, MACHINE_REPLY_DUE, 12_500);
      expect(times).toEqual([
        25,
        125,
        325,
        725,
        1_525,
        ...Array.from({ length: 11 }, (_, i) => 2_525 + i * 1_000),
      ]);
    },
  );

  // Replaces "person acting: every 2 s": a person's answer is looked for soon after our own turn, then less and
  // less often (250, 750, 1250 ms, then waits doubling from 1.5 s to at most 5 s), so a quick person is not kept
  // waiting by the poll.
  it("v2024, person acting: 250, 750, 1250 ms after our turn, then 2750, 5750, 10750 ms", async () => {
    expect(await pollTimes("v2024", PERSON_ACTING, 7_000)).toEqual([250, 750, 1250, 2750, 5750, 10750]);
  });

  // Replaces "a schedule asking for 20 polls a second still gets at most 4" (every 250 ms from the start): the
  // session's burst of 8 (its create took one) goes at the pace asked, then 4 a second.
  it("v2024: a schedule asking for 20 polls a second gets the burst, then 4 a second", async () => {
    expect(await pollTimes("v2024", [{ everyMs: 50 }], 2_000)).toEqual([
      50, 100, 150, 200, 250, 300, 350, 400, 500, 750, 1000, 1250, 1500, 1750, 2000,
    ]);
  });
});

describe("MSC4388 send shapes: PUT {id} first, PUT {id}/{txnId} for the rest of the session when it is missing", () => {
  it.each([
    ["plain", ["PUT /ID 200", "PUT /ID 200", "PUT /ID 200"]],
    ["both", ["PUT /ID 200", "PUT /ID 200", "PUT /ID 200"]],
    ["txn", ["PUT /ID 405", "PUT /ID/TXN 200", "PUT /ID 405", "PUT /ID/TXN 200", "PUT /ID/TXN 200"]],
  ] as const)("v2025Put %s", async (shape, expected) => {
    await withDevserver({ rendezvous: { v2025Put: shape } }, async (shaped) => {
      const { g, s, gDevice, sDevice } = await openV2025Pair(shaped);
      await send(s, "INITIATE", sDevice);
      expect(await receive(g, gDevice)).toBe("INITIATE");
      await send(g, "OK", gDevice);
      expect(await receive(s, sDevice)).toBe("OK");
      await send(s, "NEXT", sDevice);
      expect(await receive(g, gDevice)).toBe("NEXT");

      const base = `${V2025_UNSTABLE_PATH}/${g.id}`;
      const puts = sessionRequests(shaped, "PUT").map(
        (entry) =>
          `PUT ${entry.path.replace(base, "/ID").replace(/\/ID\/[^/]+$/, "/ID/TXN")} ${entry.status}`,
      );
      expect(puts).toEqual(expected);
    });
  });
});

describe("MSC4388 API paths", () => {
  const withStable = useDevserver({ rendezvous: { v2025Stable: true } });

  it("the stable path carries a whole exchange, and its 409 is a concurrent write too", async () => {
    const { g, s, gDevice, sDevice } = await openV2025Pair(withStable(), { api: "stable" });
    await send(s, "INITIATE", sDevice);
    expect(await receive(g, gDevice)).toBe("INITIATE");
    await send(g, "OK", gDevice);
    expect(await receive(s, sDevice)).toBe("OK");
    const paths = withStable()
      .hooks.rendezvousLog()
      .map((entry) => entry.path);
    expect(paths.every((path) => path.startsWith(V2025_STABLE_PATH))).toBe(true);

    const lateDevice = device();
    const late = await joinAgain(g, withStable(), lateDevice);
    await send(s, "NEXT", sDevice);
    const error = await rendezvousError(send(late, "INTRUDER", lateDevice));
    expect(error).toMatchObject({ code: "concurrent_write", status: 409 });
  });

  it("a server without the stable path says so, for discovery and for create", async () => {
    await withDevserver({}, async (synapseLike) => {
      const options = { ...device().options, baseUrl: synapseLike.baseUrl, api: "stable" as const };
      await expect(discoverV2025Rendezvous(options)).resolves.toEqual({ served: false });
      expect((await rendezvousError(createV2025Rendezvous(options))).code).toBe("not_supported");
    });
  });
});

describe("MSC4388 discovery and create in each server mode", () => {
  const authenticate = (token: string): Promise<{ userId: string } | null> =>
    Promise.resolve(token === VALID_TOKEN ? { userId: "@alice:localhost" } : null);

  it("open: create is available to anyone", async () => {
    await withDevserver({ rendezvous: { msc4388Mode: "open" } }, async (open) => {
      const options = { ...device().options, baseUrl: open.baseUrl };
      await expect(discoverV2025Rendezvous(options)).resolves.toEqual({
        served: true,
        createAvailable: true,
      });
      await expect(createV2025Rendezvous(options)).resolves.toMatchObject({ version: "v2025" });
    });
  });

  it("authenticated: needs sign-in without a valid token, works with one, and joining needs none", async () => {
    await withDevserver(
      { rendezvous: { msc4388Mode: "authenticated" }, authenticate },
      async (authenticated) => {
        const anonymous = { ...device().options, baseUrl: authenticated.baseUrl };
        expect((await rendezvousError(discoverV2025Rendezvous(anonymous))).code).toBe("unauthorized");
        expect((await rendezvousError(createV2025Rendezvous(anonymous))).code).toBe("unauthorized");
        const wrongToken = { ...anonymous, accessToken: "syt_wrong" };
        expect((await rendezvousError(discoverV2025Rendezvous(wrongToken))).code).toBe("unauthorized");

        const signedIn = { ...anonymous, accessToken: VALID_TOKEN };
        await expect(discoverV2025Rendezvous(signedIn)).resolves.toEqual({
          served: true,
          createAvailable: true,
        });
        const gDevice = device();
        const g = await createV2025Rendezvous({
          ...gDevice.options,
          baseUrl: authenticated.baseUrl,
          accessToken: VALID_TOKEN,
        });
        const sDevice = device();
        const s = await joinV2025Rendezvous({ ...sDevice.options, baseUrl: g.baseUrl, id: g.id });
        await send(s, "INITIATE", sDevice);
        expect(await receive(g, gDevice)).toBe("INITIATE");
      },
    );
  });

  it("off: discovery answers 'not served' rather than failing, and create is not supported", async () => {
    await withDevserver({ rendezvous: { msc4388Mode: "off" } }, async (off) => {
      const options = { ...device().options, baseUrl: off.baseUrl };
      await expect(discoverV2025Rendezvous(options)).resolves.toEqual({ served: false });
      expect((await rendezvousError(createV2025Rendezvous(options))).code).toBe("not_supported");
    });
  });
});
