// Sample transcripts for demo mode: one successful sign-in seen from each of the four devices (direction A and
// B, the side that shows the QR code and the side that scans it) in each wire version, written step by step
// after docs/protocol.md §5 and the entries the flows make (one `step` entry where each step begins, one `http`
// entry per request with the step it ran in, one `message` entry per login message after its PUT or GET). Until
// transcripts recorded from real runs replace them, they are what the projector screens and the diagram's
// tests show. Hosts are matrix.org's, tokens and ETags are made up, and no entry carries a secret.
//
// Each run also marks where the flow shows each phase (`checkpoints`), so a screen can show the transcript as it
// stood then, and counts the polls it made that found nothing, so a test can check the diagram's folds without
// asking the diagram.
import type { FlowCommandType, FlowPhase, FlowRole, FlowSide, WireVersion } from "../../src-shared/flow";
import { PROTOCOL_STEPS, type ProtocolStep } from "../../src-shared/protocol-steps";
import {
  httpEntry,
  messageEntry,
  stepEntry,
  type TranscriptEntry,
  type TranscriptLayer,
} from "../../src-shared/transcript";
import { sampleQrBytes, toBase64 } from "../canned";

export type RunDirection = "A" | "B";
export type RunSide = "G" | "S";

export interface Checkpoint {
  /** What the screen shows from here on. */
  readonly phase: FlowPhase;
  readonly accepts: readonly FlowCommandType[];
  /** The transcript as it stood: entries `[0, upTo)`. */
  readonly upTo: number;
}

export interface CannedRun {
  readonly direction: RunDirection;
  readonly side: RunSide;
  readonly version: WireVersion;
  readonly role: FlowRole;
  readonly flowSide: FlowSide;
  readonly entries: readonly TranscriptEntry[];
  readonly checkpoints: readonly Checkpoint[];
  /** How many of the entries are polls that found nothing (304, an unchanged token, pending, not there yet). */
  readonly emptyPolls: number;
}

export type RunOutcome = "success" | "check_code_mismatch";

/** A fixed start, so that the offsets and the screenshots do not change from run to run. */
export const RUN_START = Date.UTC(2026, 4, 12, 9, 30);

const HOMESERVER = "matrix-client.matrix.org";
const ACCOUNT = "account.matrix.org";
const V2024_CREATE = "/_matrix/client/unstable/org.matrix.msc4108/rendezvous";
const V2025_BASE = "/_matrix/client/unstable/io.element.msc4388/rendezvous";
const CONSENT = "https://account.matrix.org/link";
const USER = "@alice:matrix.org";
/** Our new device's ID (12 capital letters, as src-main/engine/account.ts makes them). */
const OUR_NEW_DEVICE = "QWERTYUIOPAS";
/** A new device that uses its Curve25519 key as its device ID, as rust-sdk (Element X) does. */
const KEYED_NEW_DEVICE = "Xe4BCV7nPq+/k1mJq0Zt3w9yHc2Lr8aUvD5sNf6gEiO";

/** Sizes of the sealed payloads as they travel (base64 text), close to what each version sends. */
const SIZES: Readonly<Record<WireVersion, Readonly<Record<string, number>>>> = {
  v2024: {
    initiate: 98,
    ok: 62,
    protocols: 176,
    protocol: 262,
    accepted: 86,
    success: 78,
    secrets: 716,
  },
  v2025: {
    initiate: 142,
    ok: 74,
    protocols: 182,
    protocol: 270,
    accepted: 94,
    success: 86,
    secrets: 728,
  },
};

/** A small deterministic generator (mulberry32), so the made-up tokens are the same every time. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Writes one run: the clock, the current step, the entries and the checkpoints. */
class Script {
  readonly entries: TranscriptEntry[] = [];
  readonly checkpoints: Checkpoint[] = [];
  emptyPolls = 0;
  #time: number;
  #step: ProtocolStep | undefined;
  readonly #random: () => number;
  #session = "";
  #etag = "";
  #token = "";

  constructor(
    readonly version: WireVersion,
    start: number,
    seed: number,
  ) {
    this.#time = start;
    this.#random = generator(seed);
  }

  wait(ms: number): void {
    this.#time += ms;
  }

  show(phase: FlowPhase, accepts: readonly FlowCommandType[] = ["cancel"]): void {
    this.checkpoints.push({ phase, accepts, upTo: this.entries.length });
  }

  step(id: ProtocolStep): void {
    this.#step = id;
    this.entries.push(stepEntry({ layer: "flow", step: id, name: PROTOCOL_STEPS[id], time: this.#time }));
    this.wait(4);
  }

  http(
    layer: TranscriptLayer,
    method: string,
    host: string,
    path: string,
    status: number,
    extra: {
      readonly requestBytes?: number;
      readonly responseBytes?: number;
      readonly etag?: string;
      readonly sequenceToken?: string;
    } = {},
    latency = 90,
  ): void {
    this.entries.push(
      httpEntry({
        layer,
        method,
        url: `https://${host}${path}`,
        status,
        time: this.#time,
        ...(this.#step === undefined ? {} : { step: this.#step }),
        ...extra,
      }),
    );
    this.wait(latency);
  }

  message(direction: "sent" | "received", messageType: string, fields?: readonly string[]): void {
    this.entries.push(
      messageEntry({
        direction,
        messageType,
        time: this.#time,
        ...(fields === undefined ? {} : { fields }),
        ...(this.#step === undefined ? {} : { step: this.#step }),
      }),
    );
    this.wait(6);
  }

  #hash(): string {
    let text = "";
    for (let i = 0; i < 43; i++) text += BASE64URL.charAt(Math.floor(this.#random() * 64));
    return text;
  }

  #ulid(): string {
    let text = "01JVQ";
    for (let i = 0; i < 21; i++) text += CROCKFORD.charAt(Math.floor(this.#random() * 32));
    return text;
  }

  // --- The rendezvous (docs/protocol.md §2), as this device sees it ---------------------------------------

  /** G: a new session (v2024 201 with an ETag; v2025 200 with a sequence token). */
  create(): void {
    const id = this.#ulid();
    if (this.version === "v2024") {
      this.#session = `/_synapse/client/rendezvous/${id}`;
      this.#etag = `"${this.#hash()}"`;
      this.http("rendezvous", "POST", HOMESERVER, V2024_CREATE, 201, {
        responseBytes: 87,
        etag: this.#etag,
      });
    } else {
      this.#session = `${V2025_BASE}/${id}`;
      this.#token = this.#hash();
      this.http("rendezvous", "POST", HOMESERVER, V2025_BASE, 200, {
        requestBytes: 11,
        responseBytes: 109,
        sequenceToken: this.#token,
      });
    }
  }

  /** S: reads the session the QR code names (its ETag or token is needed to write). */
  join(): void {
    const id = this.#ulid();
    this.#session = this.version === "v2024" ? `/_synapse/client/rendezvous/${id}` : `${V2025_BASE}/${id}`;
    this.read(0);
  }

  /** A GET that brings something new (a written message, or the state to join). */
  read(bytes: number): void {
    if (this.version === "v2024") {
      this.#etag = `"${this.#hash()}"`;
      this.http("rendezvous", "GET", HOMESERVER, this.#session, 200, {
        responseBytes: bytes,
        etag: this.#etag,
      });
    } else {
      this.#token = this.#hash();
      this.http("rendezvous", "GET", HOMESERVER, this.#session, 200, {
        responseBytes: bytes + 96,
        sequenceToken: this.#token,
      });
    }
  }

  /** Polls that find nothing new, `every` ms apart (both SDKs poll once a second). */
  poll(count: number, every = 1000): void {
    for (let i = 0; i < count; i++) {
      this.wait(every);
      if (this.version === "v2024") {
        this.http("rendezvous", "GET", HOMESERVER, this.#session, 304, { etag: this.#etag }, 40);
      } else {
        this.http("rendezvous", "GET", HOMESERVER, this.#session, 200, {
          responseBytes: 140,
          sequenceToken: this.#token,
        });
      }
      this.emptyPolls += 1;
    }
  }

  /** Writes one sealed payload. */
  write(bytes: number): void {
    if (this.version === "v2024") {
      this.#etag = `"${this.#hash()}"`;
      this.http("rendezvous", "PUT", HOMESERVER, this.#session, 202, {
        requestBytes: bytes,
        etag: this.#etag,
      });
    } else {
      this.#token = this.#hash();
      this.http("rendezvous", "PUT", HOMESERVER, this.#session, 200, {
        requestBytes: bytes + 74,
        responseBytes: 63,
        sequenceToken: this.#token,
      });
    }
  }

  remove(): void {
    this.http("rendezvous", "DELETE", HOMESERVER, this.#session, this.version === "v2024" ? 204 : 200);
  }

  // --- OAuth (docs/protocol.md §6) and the client API ------------------------------------------------------

  authMetadata(): void {
    this.http("oauth", "GET", HOMESERVER, "/_matrix/client/v1/auth_metadata", 200, { responseBytes: 1873 });
  }

  deviceAuthorization(): void {
    this.authMetadata();
    this.http("oauth", "POST", ACCOUNT, "/oauth2/registration", 201, {
      requestBytes: 231,
      responseBytes: 402,
    });
    this.http("oauth", "POST", ACCOUNT, "/oauth2/device", 200, { requestBytes: 168, responseBytes: 231 });
  }

  /** The token endpoint polled every 5 s (MAS answers `authorization_pending` with 403) while the rendezvous
   * is watched once a second, then the tokens. */
  grant(pending: number): void {
    for (let i = 0; i < pending; i++) {
      this.http("oauth", "POST", ACCOUNT, "/oauth2/token", 403, { requestBytes: 178, responseBytes: 74 });
      this.emptyPolls += 1;
      this.poll(4, 1000);
      this.wait(600);
    }
    this.http("oauth", "POST", ACCOUNT, "/oauth2/token", 200, { requestBytes: 178, responseBytes: 412 });
  }

  matrix(method: string, path: string, status: number, responseBytes?: number): void {
    this.http("matrix", method, HOMESERVER, `/_matrix/client/v3${path}`, status, {
      ...(responseBytes === undefined ? {} : { responseBytes }),
    });
  }

  /**
   * The new device starts while it waits for the secrets: it names itself and publishes its device keys (the
   * Matrix client's own sync and key queries meanwhile are no transcript entries).
   */
  newDeviceStarts(): void {
    this.poll(1);
    this.matrix("PUT", `/devices/${OUR_NEW_DEVICE}`, 200, 2);
    this.poll(1);
    this.matrix("POST", "/keys/upload", 200, 48);
  }

  versions(): void {
    this.http("matrix", "GET", HOMESERVER, "/_matrix/client/versions", 200, { responseBytes: 1204 });
  }

  /** v2025: `GET {base}` says whether this server lets us create a session. */
  discoverV2025(): void {
    if (this.version === "v2025") {
      this.http("rendezvous", "GET", HOMESERVER, V2025_BASE, 200, { responseBytes: 25 });
    }
  }
}

const SECRETS_FIELDS = [
  "cross_signing.master_key",
  "cross_signing.self_signing_key",
  "cross_signing.user_signing_key",
  "backup.algorithm",
  "backup.key",
  "backup.backup_version",
];
const PROTOCOL_FIELDS = ["protocol", "device_authorization_grant.verification_uri", "device_id"];
const PROTOCOLS_FIELDS = ["protocols", "homeserver"];

function qrPhase(role: FlowRole, version: WireVersion): FlowPhase {
  return { phase: "showing_qr", qr: toBase64(sampleQrBytes(role, version, 1)), serial: 1 };
}

function done(deviceId: string): FlowPhase {
  return { phase: "done", userId: USER, deviceId, verified: true, backup: true };
}

/** Direction A, the existing device showing the QR code (A-G1 … A-G12). */
function existingShows(s: Script, outcome: RunOutcome): void {
  s.show({ phase: "preflight", checks: [{ id: "cross_signing_keys", status: "pending" }] });
  s.authMetadata();
  s.versions();
  s.discoverV2025();
  s.show({ phase: "preparing" });
  s.step("A-G1");
  s.create();
  s.show(qrPhase("existing_device", s.version), ["newQr", "switchVersion", "cancel"]);
  s.poll(6);
  s.wait(400);
  s.read(SIZES[s.version].initiate ?? 0);
  s.show({ phase: "connecting" });
  s.step("A-G2");
  s.step("A-G3");
  s.write(SIZES[s.version].ok ?? 0);
  s.step("A-G4");
  s.show({ phase: "check_code_entry", attemptsLeft: 2, mismatch: false }, ["submitCheckCode", "cancel"]);
  s.poll(3);
  if (outcome === "check_code_mismatch") {
    s.show({ phase: "check_code_entry", attemptsLeft: 1, mismatch: true }, ["submitCheckCode", "cancel"]);
    s.poll(4);
    s.wait(700);
    // A second wrong code closes the channel; nothing can be told to the peer, only the DELETE goes out.
    s.remove();
    s.show(
      {
        phase: "error",
        error: {
          code: "check_code_mismatch",
          retryable: true,
          message: "the check code was typed wrong twice",
        },
      },
      ["newQr", "cancel"],
    );
    return;
  }
  s.read(SIZES[s.version].protocol ?? 0);
  s.wait(2600);
  s.step("A-G5");
  s.message("received", "m.login.protocol", PROTOCOL_FIELDS);
  s.show({ phase: "negotiating" });
  s.step("A-G7");
  s.matrix("GET", `/devices/${OUR_NEW_DEVICE}`, 404, 84);
  s.show({ phase: "approve_device", userId: USER, deviceId: OUR_NEW_DEVICE }, ["approveDevice", "cancel"]);
  s.wait(3100);
  s.step("A-G8");
  s.step("A-G9");
  s.write(SIZES[s.version].accepted ?? 0);
  s.message("sent", "m.login.protocol_accepted");
  s.show({ phase: "consent", verificationUri: CONSENT, host: ACCOUNT, deviceId: OUR_NEW_DEVICE }, [
    "openConsentAgain",
    "cancel",
  ]);
  s.step("A-G10");
  s.poll(9);
  s.wait(300);
  s.read(SIZES[s.version].success ?? 0);
  s.message("received", "m.login.success");
  s.show({ phase: "syncing_secrets" });
  s.step("A-G11");
  s.matrix("GET", `/devices/${OUR_NEW_DEVICE}`, 200, 156);
  s.step("A-G12");
  s.write(SIZES[s.version].secrets ?? 0);
  s.message("sent", "m.login.secrets", SECRETS_FIELDS);
  s.show(done(OUR_NEW_DEVICE), []);
}

/** Direction A, the new device scanning (A-S1 … A-S11). */
function newScans(s: Script): void {
  s.show({ phase: "scanning" }, ["submitScannedQr", "cancel"]);
  s.wait(4000);
  s.step("A-S1");
  s.show({ phase: "connecting" });
  s.step("A-S2");
  s.join();
  s.write(SIZES[s.version].initiate ?? 0);
  s.step("A-S3");
  s.poll(1);
  s.read(SIZES[s.version].ok ?? 0);
  s.show({ phase: "check_code_display", code: "07" });
  s.step("A-S4");
  s.deviceAuthorization();
  s.step("A-S5");
  s.write(SIZES[s.version].protocol ?? 0);
  s.message("sent", "m.login.protocol", PROTOCOL_FIELDS);
  s.step("A-S6");
  s.poll(7);
  s.read(SIZES[s.version].accepted ?? 0);
  s.message("received", "m.login.protocol_accepted");
  s.step("A-S7");
  s.show({ phase: "waiting_for_approval", userCode: "7RKF3G", verificationUri: CONSENT });
  s.grant(3);
  s.step("A-S10");
  s.matrix("GET", "/account/whoami", 200, 92);
  s.write(SIZES[s.version].success ?? 0);
  s.message("sent", "m.login.success");
  s.show({ phase: "syncing_secrets" });
  s.step("A-S11");
  s.newDeviceStarts();
  s.read(SIZES[s.version].secrets ?? 0);
  s.message("received", "m.login.secrets", SECRETS_FIELDS);
  s.remove();
  s.matrix("POST", "/keys/signatures/upload", 200, 2);
  s.show(done(OUR_NEW_DEVICE), []);
}

/** Direction B, the new device showing the QR code (B-G1 … B-G12). */
function newShows(s: Script): void {
  s.authMetadata();
  s.versions();
  // The checks so far: the metadata names the grant and the registration endpoint; /versions lists MSC4108.
  s.show({
    phase: "preflight",
    checks: [
      { id: "oauth_metadata", status: "ok" },
      { id: "device_grant", status: "ok" },
      { id: "registration", status: "ok" },
      { id: "rendezvous_v2024", status: "ok" },
      { id: "rendezvous_v2025", status: "pending" },
    ],
  });
  s.discoverV2025();
  s.show({ phase: "preparing" });
  s.step("B-G1");
  s.create();
  s.show(qrPhase("new_device", s.version), ["newQr", "switchVersion", "cancel"]);
  s.poll(5);
  s.wait(300);
  s.read(SIZES[s.version].initiate ?? 0);
  s.show({ phase: "connecting" });
  s.step("B-G2");
  s.step("B-G3");
  s.write(SIZES[s.version].ok ?? 0);
  s.step("B-G4");
  s.show({ phase: "check_code_entry", attemptsLeft: 2, mismatch: false }, ["submitCheckCode", "cancel"]);
  s.poll(2);
  // B-S4 went out at once: m.login.protocols waits in the cell while the code is typed.
  s.read(SIZES[s.version].protocols ?? 0);
  s.wait(2400);
  s.step("B-G5");
  s.message("received", "m.login.protocols", PROTOCOLS_FIELDS);
  s.show({ phase: "confirm_homeserver", from: "https://matrix.example.org", to: `https://${HOMESERVER}` }, [
    "confirmHomeserver",
    "cancel",
  ]);
  s.wait(2100);
  s.show({ phase: "negotiating" });
  s.step("B-G7");
  s.deviceAuthorization();
  s.step("B-G8");
  s.write(SIZES[s.version].protocol ?? 0);
  s.message("sent", "m.login.protocol", PROTOCOL_FIELDS);
  s.step("B-G9");
  s.poll(6);
  s.read(SIZES[s.version].accepted ?? 0);
  s.message("received", "m.login.protocol_accepted");
  s.step("B-G10");
  s.show({ phase: "waiting_for_approval", userCode: "7RKF3G", verificationUri: CONSENT });
  s.grant(3);
  s.step("B-G11");
  s.matrix("GET", "/account/whoami", 200, 92);
  s.write(SIZES[s.version].success ?? 0);
  s.message("sent", "m.login.success");
  s.show({ phase: "syncing_secrets" });
  s.step("B-G12");
  s.newDeviceStarts();
  s.read(SIZES[s.version].secrets ?? 0);
  s.message("received", "m.login.secrets", SECRETS_FIELDS);
  s.remove();
  s.matrix("POST", "/keys/signatures/upload", 200, 2);
  s.show(done(OUR_NEW_DEVICE), []);
}

/** Direction B, the existing device scanning (B-S1 … B-S11); the new device here is an Element X. */
function existingScans(s: Script): void {
  const device = encodeURIComponent(KEYED_NEW_DEVICE);
  s.show({ phase: "preflight", checks: [{ id: "cross_signing_keys", status: "pending" }] });
  s.authMetadata();
  s.show({ phase: "scanning" }, ["submitScannedQr", "cancel"]);
  s.wait(4000);
  s.step("B-S1");
  s.show({ phase: "connecting" });
  s.step("B-S2");
  s.join();
  s.write(SIZES[s.version].initiate ?? 0);
  s.step("B-S3");
  s.poll(1);
  s.read(SIZES[s.version].ok ?? 0);
  s.show({ phase: "check_code_display", code: "07" });
  s.step("B-S4");
  s.write(SIZES[s.version].protocols ?? 0);
  s.message("sent", "m.login.protocols", PROTOCOLS_FIELDS);
  s.step("B-S5");
  s.poll(8);
  s.read(SIZES[s.version].protocol ?? 0);
  s.message("received", "m.login.protocol", PROTOCOL_FIELDS);
  s.show({ phase: "negotiating" });
  s.step("B-S6");
  s.matrix("GET", `/devices/${device}`, 404, 84);
  s.show({ phase: "approve_device", userId: USER, deviceId: KEYED_NEW_DEVICE }, ["approveDevice", "cancel"]);
  s.wait(2900);
  s.step("B-S7");
  s.step("B-S8");
  s.write(SIZES[s.version].accepted ?? 0);
  s.message("sent", "m.login.protocol_accepted");
  s.show({ phase: "consent", verificationUri: CONSENT, host: ACCOUNT, deviceId: KEYED_NEW_DEVICE }, [
    "openConsentAgain",
    "cancel",
  ]);
  s.step("B-S9");
  s.poll(10);
  s.read(SIZES[s.version].success ?? 0);
  s.message("received", "m.login.success");
  s.show({ phase: "syncing_secrets" });
  s.step("B-S10");
  // The device is not registered yet on the first look (a server slower than MAS); the next one finds it.
  s.matrix("GET", `/devices/${device}`, 404, 84);
  s.emptyPolls += 1;
  s.wait(1000);
  s.matrix("GET", `/devices/${device}`, 200, 156);
  s.step("B-S11");
  s.write(SIZES[s.version].secrets ?? 0);
  s.message("sent", "m.login.secrets", SECRETS_FIELDS);
  s.show(done(KEYED_NEW_DEVICE), []);
}

const ROLE_OF: Readonly<Record<`${RunDirection}${RunSide}`, FlowRole>> = {
  AG: "existing_device",
  AS: "new_device",
  BG: "new_device",
  BS: "existing_device",
};

/**
 * One sign-in as `side` of `direction` saw it, in `version`. `check_code_mismatch` exists for direction A's
 * showing side only: the run stops at the second wrong code.
 */
export function cannedRun(
  direction: RunDirection,
  side: RunSide,
  version: WireVersion,
  outcome: RunOutcome = "success",
): CannedRun {
  const key = `${direction}${side}` as const;
  const seed = (direction === "A" ? 1 : 3) * (side === "G" ? 5 : 7) * (version === "v2024" ? 11 : 13);
  const script = new Script(version, RUN_START, seed);
  if (outcome !== "success" && key !== "AG") {
    throw new TypeError(`no ${outcome} run for ${direction}-${side}`);
  }
  if (key === "AG") existingShows(script, outcome);
  else if (key === "AS") newScans(script);
  else if (key === "BG") newShows(script);
  else existingScans(script);
  return {
    direction,
    side,
    version,
    role: ROLE_OF[key],
    flowSide: side === "G" ? "generator" : "scanner",
    entries: script.entries,
    checkpoints: script.checkpoints,
    emptyPolls: script.emptyPolls,
  };
}

export const RUN_KEYS: readonly { direction: RunDirection; side: RunSide }[] = [
  { direction: "A", side: "G" },
  { direction: "A", side: "S" },
  { direction: "B", side: "G" },
  { direction: "B", side: "S" },
];

/** The run a flow with this role and side is part of. */
export function runKeyOf(role: FlowRole, side: FlowSide): { direction: RunDirection; side: RunSide } {
  const shows = side === "generator";
  if (role === "existing_device")
    return shows ? { direction: "A", side: "G" } : { direction: "B", side: "S" };
  return shows ? { direction: "B", side: "G" } : { direction: "A", side: "S" };
}
