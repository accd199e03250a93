// Sample data for the fake engine: accounts, devices, homeserver checks, and one flow snapshot per phase and
// direction, so every screen renders without an engine (`?canned=<name>`), and the screenshot test walks them.
// Nothing here is a real key or token: the QR codes carry a made-up public key and example URLs.
import type { AccountState, CommandResponse, DoctorReport } from "../src-shared/contract";
import type { FlowError, FlowErrorCode } from "../src-shared/errors";
import { FLOW_ERROR_CODES, isRetryable } from "../src-shared/errors";
import type {
  FlowCommandType,
  FlowPhase,
  FlowRole,
  FlowSide,
  FlowSnapshot,
  WireVersion,
} from "../src-shared/flow";
import type { TranscriptEntry } from "../src-shared/transcript";
import type { ViewName } from "./views";

export type { ViewName };

export type Device = CommandResponse<"account.devices">["devices"][number];

const SETTINGS: AccountState["settings"] = {
  defaultVersion: "v2024",
  qrErrorCorrection: "M",
  theme: "system",
  homeserver: "matrix.org",
};

export const SIGNED_OUT: AccountState = { profile: "default", status: "signed_out", settings: SETTINGS };

export const SIGNED_IN: AccountState = {
  profile: "default",
  status: "signed_in",
  userId: "@alice:matrix.org",
  deviceId: "QWERTYUIOP",
  homeserver: "https://matrix-client.matrix.org",
  verified: true,
  crossSigning: "ready",
  backup: true,
  settings: SETTINGS,
};

export const SIGNED_IN_UNVERIFIED: AccountState = {
  ...SIGNED_IN,
  verified: false,
  crossSigning: "missing_keys",
  backup: false,
};

export const SIGNED_OUT_ELSEWHERE: AccountState = { ...SIGNED_OUT, signedOutReason: "signed_out" };

const DAY = 24 * 60 * 60 * 1000;
/** A fixed "now" for sample dates, so screenshots do not change from day to day. */
const SAMPLE_NOW = Date.UTC(2026, 4, 12, 9, 30);

export const DEVICES: readonly Device[] = [
  {
    deviceId: "QWERTYUIOP",
    displayName: "Matrix QR Login on Linux",
    lastSeenTs: SAMPLE_NOW,
    verified: true,
    current: true,
  },
  {
    deviceId: "Xe4BCV7nPq",
    displayName: "Element X on Pixel 8",
    lastSeenTs: SAMPLE_NOW - 2 * DAY,
    verified: true,
    current: false,
  },
  {
    deviceId: "LKJHGFDSAZ",
    displayName: "Element Web on Firefox",
    lastSeenTs: SAMPLE_NOW - 40 * DAY,
    verified: false,
    current: false,
  },
];

/** The homeserver doctor's sample answers: a host naming a problem shows that problem. */
export function doctorReportFor(homeserver: string): DoctorReport {
  const host = homeserver.trim().toLowerCase();
  const ok = (id: string) => ({ id, status: "ok" as const });
  const failed = (id: string, cause: string) => ({ id, status: "failed" as const, cause });
  if (host.includes("legacy")) {
    return {
      homeserver,
      baseUrl: `https://${host}`,
      checks: [
        ok("versions"),
        failed("oauth_metadata", "no_oauth_api"),
        { id: "device_grant", status: "skipped", cause: "no_oauth_api" },
        { id: "registration", status: "skipped", cause: "no_oauth_api" },
        ok("rendezvous_v2024"),
        failed("rendezvous_v2025", "no_rendezvous"),
      ],
      ok: false,
      missing: "no_oauth_api",
    };
  }
  if (host.includes("nogrant")) {
    return {
      homeserver,
      baseUrl: `https://${host}`,
      checks: [
        ok("versions"),
        ok("oauth_metadata"),
        failed("device_grant", "no_device_grant"),
        ok("registration"),
        ok("rendezvous_v2024"),
        failed("rendezvous_v2025", "no_rendezvous"),
      ],
      ok: false,
      missing: "no_device_grant",
    };
  }
  return {
    homeserver,
    baseUrl: host === "matrix.org" ? "https://matrix-client.matrix.org" : `https://${host}`,
    checks: [
      ok("versions"),
      ok("oauth_metadata"),
      ok("device_grant"),
      ok("registration"),
      ok("rendezvous_v2024"),
      failed("rendezvous_v2025", "no_rendezvous"),
    ],
    ok: true,
  };
}

// --- QR codes (docs/protocol.md §1), with a made-up key ---------------------------------------------------

const te = new TextEncoder();
const SAMPLE_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 73 + 41) & 0xff);

function u16(length: number): number[] {
  return [(length >> 8) & 0xff, length & 0xff];
}

/** A sample sign-in QR code's bytes for this device's role, as the generator would build it. */
export function sampleQrBytes(role: FlowRole, version: WireVersion, serial = 1): Uint8Array {
  const key = Uint8Array.from(SAMPLE_KEY, (byte, i) => (i === 0 ? (byte + serial) & 0xff : byte));
  if (version === "v2024") {
    const url = te.encode(
      `https://matrix-client.matrix.org/_synapse/client/rendezvous/01JVQ8${serial}H3W4Y5ZT6N7P8R9S`,
    );
    const parts = [
      ...te.encode("MATRIX"),
      0x02,
      role === "existing_device" ? 0x04 : 0x03,
      ...key,
      ...u16(url.length),
      ...url,
    ];
    if (role === "existing_device") {
      const server = te.encode("https://matrix-client.matrix.org");
      parts.push(...u16(server.length), ...server);
    }
    return Uint8Array.from(parts);
  }
  const id = te.encode(`01JVQ8${serial}H3W4Y5ZT6N7P8R9S`);
  const base = te.encode("https://matrix-client.matrix.org");
  return Uint8Array.from([
    ...te.encode("MATRIX"),
    0x03,
    role === "existing_device" ? 0x01 : 0x00,
    ...key,
    id.length,
    ...id,
    base.length,
    ...base,
  ]);
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// --- Snapshots ---------------------------------------------------------------------------------------------

export interface SnapshotContext {
  readonly role: FlowRole;
  readonly side: FlowSide;
  readonly version?: WireVersion;
  readonly accepts?: readonly FlowCommandType[];
  readonly expiresIn?: number;
  readonly now?: number;
}

export function snapshot(
  phase: FlowPhase,
  context: SnapshotContext,
  seq = 1,
  flowId = "canned",
): FlowSnapshot {
  const now = context.now ?? Date.now();
  const terminal = phase.phase === "done" || phase.phase === "error";
  const accepts = context.accepts ?? (terminal ? [] : ["cancel"]);
  return {
    flowId,
    seq,
    role: context.role,
    side: context.side,
    version: context.version ?? "v2024",
    ...(context.expiresIn === undefined ? {} : { expiresAt: now + context.expiresIn }),
    accepts,
    ...phase,
  };
}

export function sampleError(code: FlowErrorCode, reason?: string): FlowError {
  return {
    code,
    ...(reason === undefined ? {} : { reason }),
    retryable: isRetryable(code),
    message: `sample ${code}${reason === undefined ? "" : ` (${reason})`}`,
  };
}

const LINK_SHOWS = { role: "existing_device", side: "generator" } as const;
const LINK_SCANS = { role: "existing_device", side: "scanner" } as const;
const SIGN_IN_SHOWS = { role: "new_device", side: "generator" } as const;
const SIGN_IN_SCANS = { role: "new_device", side: "scanner" } as const;

const CONSENT_URI = "https://account.matrix.org/link?code=7RKF3GQH";

// --- The canned screens ------------------------------------------------------------------------------------

export interface CannedScreen {
  readonly account: AccountState;
  readonly view: ViewName;
  /** For flow screens: built when the page loads, so countdowns start from then. */
  readonly snapshot?: (now: number) => FlowSnapshot;
  /** For error screens: the snapshot of the phase the error ended, shown first (the steps and the consent link
   * the error screen offers again come from it). */
  readonly before?: (now: number) => FlowSnapshot;
  /** Opens the QR code full screen once shown. */
  readonly fullscreen?: boolean;
  /** What shows once the screen has loaded what it loads (for screenshots), as a CSS selector. */
  readonly ready?: string;
  /** The transcript entries the flow made so far (projector screens, demo/canned-projector.ts). */
  readonly transcript?: (now: number) => readonly TranscriptEntry[];
}

const flow = (
  account: AccountState,
  make: (now: number) => FlowSnapshot,
  extra: Partial<CannedScreen> = {},
): CannedScreen => ({ account, view: "flow", snapshot: make, ...extra });

/** Where each error typically ends a flow, for the canned error screens' step indicator. */
const ERROR_PHASE: Partial<Record<FlowErrorCode, FlowPhase>> = {
  check_code_mismatch: { phase: "check_code_entry", attemptsLeft: 1, mismatch: true },
  insecure_channel: { phase: "connecting" },
  declined: {
    phase: "consent",
    verificationUri: CONSENT_URI,
    host: "account.matrix.org",
    deviceId: "Xe4BCV7nPq+/k1",
  },
  unable_to_open_browser: {
    phase: "consent",
    verificationUri: CONSENT_URI,
    host: "account.matrix.org",
    deviceId: "Xe4BCV7nPq+/k1",
  },
  authorization_expired: {
    phase: "consent",
    verificationUri: CONSENT_URI,
    host: "account.matrix.org",
    deviceId: "Xe4BCV7nPq+/k1",
  },
  device_already_exists: { phase: "negotiating" },
  device_not_found: { phase: "syncing_secrets" },
  missing_secrets: { phase: "negotiating" },
  unexpected_message: { phase: "negotiating" },
  protocol_error: { phase: "negotiating" },
};

const errorScreen = (code: FlowErrorCode, reason?: string, direction: SnapshotContext = LINK_SHOWS) => {
  const error = sampleError(code, reason);
  const phase = ERROR_PHASE[code];
  return flow(
    SIGNED_IN,
    (now) =>
      snapshot(
        { phase: "error", error },
        { ...direction, now, accepts: error.retryable ? ["newQr", "cancel"] : [] },
        2,
      ),
    phase === undefined ? {} : { before: (now) => snapshot(phase, { ...direction, now }, 1) },
  );
};

/** The scanning screens have loaded once the camera has answered: unavailable, or live (its status line says so). */
const CAMERA_SETTLED = ".camera-unavailable, .scan-status:not(:empty)";

const qrAccepts: readonly FlowCommandType[] = ["newQr", "switchVersion", "cancel"];

/** Every canned screen by name. Names of flow screens start with their phase. */
export const CANNED_SCREENS: Readonly<Record<string, CannedScreen>> = {
  welcome: { account: SIGNED_OUT, view: "welcome", ready: ".doctor" },
  "welcome--signed-out-elsewhere": { account: SIGNED_OUT_ELSEWHERE, view: "welcome", ready: ".doctor" },
  sign_in_choice: { account: SIGNED_OUT, view: "sign_in_choice" },
  manual_sign_in: { account: SIGNED_OUT, view: "manual_sign_in", ready: ".doctor" },
  homeserver: {
    account: { ...SIGNED_OUT, settings: { ...SETTINGS, homeserver: "nogrant.example.org" } },
    view: "homeserver",
    ready: ".checks",
  },
  home: { account: SIGNED_IN, view: "home", ready: ".device-list" },
  "home--unverified": { account: SIGNED_IN_UNVERIFIED, view: "home", ready: ".device-list" },
  link_choice: { account: SIGNED_IN, view: "link_choice" },
  settings: { account: SIGNED_IN, view: "settings" },

  preflight: flow(SIGNED_OUT, (now) =>
    snapshot(
      {
        phase: "preflight",
        checks: [
          { id: "oauth_metadata", status: "ok" },
          { id: "device_grant", status: "ok" },
          { id: "registration", status: "pending" },
          { id: "rendezvous_v2024", status: "ok" },
          { id: "rendezvous_v2025", status: "failed", cause: "no_rendezvous" },
        ],
      },
      { ...SIGN_IN_SHOWS, now },
    ),
  ),
  instructions: flow(SIGNED_IN, (now) => snapshot({ phase: "instructions" }, { ...LINK_SHOWS, now })),
  preparing: flow(SIGNED_IN, (now) => snapshot({ phase: "preparing" }, { ...LINK_SHOWS, now })),
  showing_qr: flow(SIGNED_IN, (now) =>
    snapshot(
      { phase: "showing_qr", qr: toBase64(sampleQrBytes("existing_device", "v2024")), serial: 1 },
      { ...LINK_SHOWS, now, expiresIn: 48_000, accepts: qrAccepts },
    ),
  ),
  "showing_qr--sign-in": flow(SIGNED_OUT, (now) =>
    snapshot(
      { phase: "showing_qr", qr: toBase64(sampleQrBytes("new_device", "v2024")), serial: 1 },
      { ...SIGN_IN_SHOWS, now, expiresIn: 52_000, accepts: qrAccepts },
    ),
  ),
  "showing_qr--v2025": flow(SIGNED_IN, (now) =>
    snapshot(
      { phase: "showing_qr", qr: toBase64(sampleQrBytes("existing_device", "v2025", 2)), serial: 2 },
      { ...LINK_SHOWS, version: "v2025", now, expiresIn: 110_000, accepts: qrAccepts },
    ),
  ),
  "showing_qr--fullscreen": flow(
    SIGNED_IN,
    (now) =>
      snapshot(
        { phase: "showing_qr", qr: toBase64(sampleQrBytes("existing_device", "v2024")), serial: 1 },
        { ...LINK_SHOWS, now, expiresIn: 48_000, accepts: qrAccepts },
      ),
    { fullscreen: true },
  ),
  scanning: flow(
    SIGNED_OUT,
    (now) =>
      snapshot({ phase: "scanning" }, { ...SIGN_IN_SCANS, now, accepts: ["submitScannedQr", "cancel"] }),
    { ready: CAMERA_SETTLED },
  ),
  "scanning--link": flow(
    SIGNED_IN,
    (now) => snapshot({ phase: "scanning" }, { ...LINK_SCANS, now, accepts: ["submitScannedQr", "cancel"] }),
    { ready: CAMERA_SETTLED },
  ),
  connecting: flow(SIGNED_OUT, (now) =>
    snapshot({ phase: "connecting" }, { ...SIGN_IN_SCANS, now, expiresIn: 41_000 }),
  ),
  check_code_display: flow(SIGNED_OUT, (now) =>
    snapshot({ phase: "check_code_display", code: "07" }, { ...SIGN_IN_SCANS, now, expiresIn: 39_000 }),
  ),
  check_code_entry: flow(SIGNED_IN, (now) =>
    snapshot(
      { phase: "check_code_entry", attemptsLeft: 2, mismatch: false },
      { ...LINK_SHOWS, now, expiresIn: 37_000, accepts: ["submitCheckCode", "cancel"] },
    ),
  ),
  "check_code_entry--mismatch": flow(SIGNED_IN, (now) =>
    snapshot(
      { phase: "check_code_entry", attemptsLeft: 1, mismatch: true },
      { ...LINK_SHOWS, now, expiresIn: 31_000, accepts: ["submitCheckCode", "cancel"] },
    ),
  ),
  confirm_homeserver: flow(SIGNED_OUT, (now) =>
    snapshot(
      { phase: "confirm_homeserver", from: "matrix.org", to: "example.com" },
      { ...SIGN_IN_SHOWS, now, expiresIn: 33_000, accepts: ["confirmHomeserver", "cancel"] },
    ),
  ),
  approve_device: flow(SIGNED_IN, (now) =>
    snapshot(
      { phase: "approve_device", userId: "@alice:matrix.org", deviceId: "Xe4BCV7nPq+/k1" },
      { ...LINK_SHOWS, now, expiresIn: 30_000, accepts: ["approveDevice", "cancel"] },
    ),
  ),
  negotiating: flow(SIGNED_IN, (now) =>
    snapshot({ phase: "negotiating" }, { ...LINK_SHOWS, now, expiresIn: 28_000 }),
  ),
  waiting_for_approval: flow(SIGNED_OUT, (now) =>
    snapshot(
      { phase: "waiting_for_approval", userCode: "7RKF-3GQH", verificationUri: CONSENT_URI },
      { ...SIGN_IN_SCANS, now, expiresIn: 26_000 },
    ),
  ),
  consent: flow(SIGNED_IN, (now) =>
    snapshot(
      {
        phase: "consent",
        verificationUri: CONSENT_URI,
        host: "account.matrix.org",
        deviceId: "Xe4BCV7nPq+/k1",
      },
      { ...LINK_SHOWS, now, expiresIn: 24_000, accepts: ["openConsentAgain", "cancel"] },
    ),
  ),
  "consent--open": flow(SIGNED_IN, (now) =>
    snapshot(
      {
        phase: "consent",
        verificationUri: CONSENT_URI,
        host: "account.matrix.org",
        deviceId: "Xe4BCV7nPq+/k1",
      },
      { ...LINK_SHOWS, now, expiresIn: 24_000, accepts: ["consentOpened", "cancel"] },
    ),
  ),
  syncing_secrets: flow(SIGNED_OUT, (now) =>
    snapshot({ phase: "syncing_secrets" }, { ...SIGN_IN_SCANS, now }),
  ),
  done: flow(SIGNED_IN, (now) =>
    snapshot(
      {
        phase: "done",
        userId: "@alice:matrix.org",
        deviceId: "Xe4BCV7nPq+/k1",
        verified: true,
        backup: true,
      },
      { ...LINK_SHOWS, now },
    ),
  ),
  // The existing device did not see the new one cross-signed within its wait: it points at the new device.
  "done--unverified": flow(SIGNED_IN, (now) =>
    snapshot(
      {
        phase: "done",
        userId: "@alice:matrix.org",
        deviceId: "Xe4BCV7nPq+/k1",
        verified: false,
        backup: true,
      },
      { ...LINK_SHOWS, now },
    ),
  ),
  "done--sign-in": flow(SIGNED_IN, (now) =>
    snapshot(
      { phase: "done", userId: "@alice:matrix.org", deviceId: "QWERTYUIOP", verified: true, backup: true },
      { ...SIGN_IN_SCANS, now },
    ),
  ),
  error: errorScreen("expired"),
  "error--check_code_mismatch": errorScreen("check_code_mismatch"),
  "error--server_unsupported": errorScreen("server_unsupported", "no_device_grant", SIGN_IN_SHOWS),
  "error--wrong_qr": errorScreen("wrong_qr", undefined, SIGN_IN_SCANS),
  "error--proxy_interference": errorScreen("proxy_interference", "weak_etag"),
  "error--unable_to_open_browser": errorScreen("unable_to_open_browser"),
};

/** The canned screen for a name: one of CANNED_SCREENS, or `error-code--<code>` for any FlowErrorCode. */
export function cannedScreen(name: string): CannedScreen | undefined {
  if (Object.hasOwn(CANNED_SCREENS, name)) return CANNED_SCREENS[name];
  const code = name.startsWith("error-code--") ? name.slice("error-code--".length) : undefined;
  if (code !== undefined && (FLOW_ERROR_CODES as readonly string[]).includes(code)) {
    return errorScreen(code as FlowErrorCode);
  }
  return undefined;
}

/** A few transcript entries, as the engine would report them, for the diagnostic export. */
export function sampleTranscript(now: number): TranscriptEntry[] {
  return [
    { kind: "step", step: "A-G1", time: now - 9000, layer: "flow", name: "create rendezvous" },
    {
      kind: "http",
      step: "A-G1",
      time: now - 8800,
      layer: "rendezvous",
      method: "POST",
      host: "matrix-client.matrix.org",
      path: "/_matrix/client/unstable/org.matrix.msc4108/rendezvous",
      status: 201,
      etag: '"1"',
    },
    {
      kind: "message",
      step: "A-G2",
      time: now - 4000,
      layer: "channel",
      direction: "received",
      messageType: "LoginInitiate",
    },
    {
      kind: "message",
      step: "A-G3",
      time: now - 3900,
      layer: "channel",
      direction: "sent",
      messageType: "LoginOk",
    },
  ];
}
