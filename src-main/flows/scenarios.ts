// The scenario matrix of the sign-in flows, written before the flows themselves: for each row, what happens
// (the injected event), which phases each device passes through, how each ends, and whether the existing
// device may seal `m.login.secrets`. Tests are generated from this table for both who-shows directions and
// both wire versions (test/flows/suite.ts), so a row is a promise about behaviour, not an example.
//
// Directions (docs/protocol.md §5): `existing_shows` is direction A (the existing device shows the QR code, the
// new device scans it); `new_shows` is direction B. Phases are listed in the order they must appear (other
// phases may come between them); `qr` stands for `showing_qr` on the device that shows the QR and `scanning` on
// the one that scans, `check_code` for `check_code_entry` / `check_code_display` likewise.
import type { FlowErrorCode } from "../../src-shared/errors";
import type { FlowPhaseName, WireVersion } from "../../src-shared/flow";

export type Direction = "existing_shows" | "new_shows";
export const DIRECTIONS: readonly Direction[] = ["existing_shows", "new_shows"];

export type Device = "existing" | "new";

/** The device that shows the QR code, or the one that scans it, whatever its role. */
export type QrSide = "shows" | "scans";

/** A phase name, or a stand-in resolved per side. */
export type ExpectedPhase = FlowPhaseName | "qr" | "check_code";

/** What the harness does to the run, beyond answering every question the happy way. */
export type Injection =
  | { readonly kind: "none" }
  /** The consent page is answered "deny". */
  | { readonly kind: "consent_denied" }
  /** The consent page is never answered and the device code expires. */
  | { readonly kind: "authorization_expires" }
  /** The rendezvous session expires on the server while the user is at the consent page. */
  | { readonly kind: "rendezvous_expires_during_consent" }
  /**
   * `by` (a device by its role, or whichever shows or scans the QR code) cancels while its own screen shows
   * `during`. Where the phase is too short to hit, the harness holds it there (docs/testing.md §8): the canceller's
   * next request, or its device check, waits until the cancel has happened.
   */
  | {
      readonly kind: "cancel";
      readonly by: Device | QrSide;
      readonly during: ExpectedPhase;
      /**
       * The canceller's `m.login.failure` write gets no answer before its time runs out (the harness holds it until
       * its signal aborts): the canceller must delete the rendezvous instead (docs/protocol.md §5, "cancelling").
       */
      readonly failureWriteStalls?: boolean;
    }
  /** The codes typed on the device that shows the QR, in order (`wrong` is any other two digits). */
  | { readonly kind: "check_codes"; readonly typed: readonly ("wrong" | "right")[] }
  /** The device ID the new device asks for already exists on the account. */
  | { readonly kind: "device_already_exists" }
  /** The new device never appears on the homeserver after `m.login.success`. */
  | { readonly kind: "device_never_appears" }
  /** A scripted peer offers only a protocol we do not speak (the new device's `m.login.protocol`, or the
   * existing device's `m.login.protocols`, names something other than the device authorization grant). */
  | { readonly kind: "unsupported_protocol" }
  /** The scanning device is shown a sign-in QR code of its own role. */
  | { readonly kind: "wrong_intent_qr" }
  /** The scanning device is shown a device-verification QR code (MATRIX 0x02, mode 0x00-0x02). */
  | { readonly kind: "verification_qr" }
  /** Someone on the network path of the showing device replaces the LoginInitiate with their own. */
  | { readonly kind: "mitm_replaces_initiate" }
  /** The first QR code expires before anyone scans it; the scanner scans its replacement. */
  | { readonly kind: "qr_expires_before_scan" }
  /** The account's homeserver differs from the one the new device's user chose; the user accepts or not. */
  | { readonly kind: "homeserver_differs"; readonly accept: boolean }
  /** The new device uses this device ID (Element X uses its identity key: `+` and `/` included). */
  | { readonly kind: "device_id"; readonly deviceId: string }
  /** The answer to the scanner's LoginInitiate PUT is lost after the server applied it. */
  | { readonly kind: "lost_put_response" }
  /** A proxy rewrites every ETag (v2024) or sequence token (v2025) the showing device sees. */
  | { readonly kind: "validators_rewritten" }
  /** A third device scans the QR code and writes first. */
  | { readonly kind: "third_device_scans_first" }
  /** The check code is typed only once the scanner's next message is already waiting in the rendezvous. */
  | { readonly kind: "peer_message_before_check_code" }
  /**
   * A fault-injecting proxy (test/helpers/fault-proxy.testing.ts) sits on the network path of `on` and misbehaves as
   * `faults` say. `from`: the faults are armed only once that device shows this phase (a network that fails
   * midway). `lifetimeMs`: the proxies on both paths shorten every session lifetime the server states to this,
   * counted from when they first saw the session, so that a fault that lasts is fatal within a test's time.
   */
  | {
      readonly kind: "network_faults";
      readonly on: FaultedPath;
      readonly faults: readonly NetworkFault[];
      readonly from?: ExpectedPhase;
      readonly lifetimeMs?: number;
    }
  /** The v2024 create is delegated (MSC4108: 307 to another server), which serves the session. */
  | { readonly kind: "create_delegated" }
  /**
   * A scripted new device sends this consent URL in `m.login.protocol`; the existing device must not open it.
   * `{issuer-host}` stands for the host of the account's OAuth issuer.
   */
  | { readonly kind: "verification_uri"; readonly uri: string }
  /** A scripted existing device (scanning, direction B) names another homeserver than the QR code's. */
  | { readonly kind: "peer_names_other_homeserver" };

/** Whose network path a fault-injecting proxy sits on: one device's, either by role or by side, or both. */
export type FaultedPath = Device | "showing" | "scanning" | "both";

/** What a fault-injecting proxy does to one request it matched. */
export type NetworkFaultKind =
  /** The connection is cut before the request reaches the server: nothing is applied. */
  | { readonly kind: "drop_connection" }
  /** The request reaches the server `ms` late. */
  | { readonly kind: "delay"; readonly ms: number }
  /** The proxy answers itself: a gateway's 5xx page, or 429 with `retry_after_ms` and `Retry-After`. */
  | { readonly kind: "status"; readonly status: number; readonly retryAfterMs?: number }
  /** The server applies the request, then the connection is cut before any byte of its answer. */
  | { readonly kind: "lost_response" }
  /** The server applies the request, then the proxy answers its own 5xx page instead (a gateway timeout). */
  | { readonly kind: "status_after_commit"; readonly status: number }
  /** The proxy sends the request twice (a retrying middlebox); the client gets the second answer. */
  | { readonly kind: "duplicate" }
  /** The server applies the request at once; its answer reaches the client `ms` late. */
  | { readonly kind: "late_response"; readonly ms: number }
  /** ETags and `sequence_token`s altered: `weak` (nginx gzip: `W/"x"`), `suffix` (mod_deflate: `"x-gzip"`). */
  | { readonly kind: "rewrite_validators"; readonly mode: "weak" | "suffix" }
  /** The answer's body is cut short and the connection closed (its Content-Length promised more). */
  | { readonly kind: "truncate_body" }
  /** The answer's headers and half its body arrive, then nothing more while the connection stays open. */
  | { readonly kind: "stall_mid_body" }
  /** The proxy answers a redirect to another host (which counts every request that reaches it). */
  | { readonly kind: "redirect"; readonly status: 301 | 302 | 303 | 307 | 308 }
  /** The proxy answers a body of its own that is not what the API returns (a captive portal's sign-in page). */
  | {
      readonly kind: "foreign_body";
      readonly status: number;
      readonly contentType: string;
      readonly body: string;
    };

export interface NetworkFault {
  /** The method to match; any when absent. */
  readonly method?: "GET" | "PUT" | "POST" | "DELETE";
  /** A regular expression (source) tested against the request's path. */
  readonly path: string;
  /** Matching requests let through untouched before the fault applies (default 0). */
  readonly skip?: number;
  /** How many matching requests it applies to, after the skipped ones (default 1). */
  readonly count?: number | "all";
  readonly fault: NetworkFaultKind;
}

/** Path patterns for fault rows: any rendezvous session (v2024 `/_synapse/client/rendezvous/{id}`, v2025
 * `…/io.element.msc4388/rendezvous/{id}`), and the create of either version. */
export const RENDEZVOUS_SESSION_PATH = "/rendezvous/[^/]+$";
export const RENDEZVOUS_CREATE_PATH = "/rendezvous$";

export interface ExpectedSide {
  /** Phases in order (others may come between). */
  readonly phases: readonly ExpectedPhase[];
  /** How this device ends: `undefined` for `done`. */
  readonly error?: FlowErrorCode;
  /** The error's finer cause (`FlowError.reason`), where the row promises one. */
  readonly reason?: string;
  /** This side does not run at all (the scanner never got a QR), or is a scripted peer the row checks itself. */
  readonly absent?: boolean;
}

export interface SideExpectations {
  readonly shows?: ExpectedSide;
  readonly scans?: ExpectedSide;
  /** Replaces the row's `secretsSealed`. */
  readonly secretsSealed?: boolean;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** Default: both. */
  readonly directions?: readonly Direction[];
  /** Default: both. */
  readonly versions?: readonly WireVersion[];
  readonly inject: Injection;
  readonly existing: ExpectedSide;
  readonly new: ExpectedSide;
  /**
   * Where the outcome depends on who shows the QR code rather than on the role (a wrong QR fails the scanner,
   * whichever role it has): these replace `existing` / `new` for the side that shows and the side that scans.
   */
  readonly bySide?: SideExpectations;
  /** Where one wire version behaves differently (its rendezvous API, its AAD): replaces `bySide` for it. */
  readonly byVersion?: Partial<Record<WireVersion, SideExpectations>>;
  /** Whether the existing device may seal `m.login.secrets` (asserted from a test-only sink). */
  readonly secretsSealed: boolean;
}

const FULL_EXISTING: readonly ExpectedPhase[] = [
  "qr",
  "check_code",
  "approve_device",
  "consent",
  "syncing_secrets",
  "done",
];
const FULL_NEW: readonly ExpectedPhase[] = [
  "qr",
  "check_code",
  "waiting_for_approval",
  "syncing_secrets",
  "done",
];

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "success",
    title: "signs the new device in and it comes up verified",
    inject: { kind: "none" },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "declined",
    title: "the user denies on the consent page",
    inject: { kind: "consent_denied" },
    existing: { phases: ["qr", "check_code", "approve_device", "consent", "error"], error: "declined" },
    new: { phases: ["qr", "check_code", "waiting_for_approval", "error"], error: "declined" },
    secretsSealed: false,
  },
  {
    id: "authorization-expired",
    title: "nobody answers the consent page before the device code expires",
    inject: { kind: "authorization_expires" },
    existing: { phases: ["consent", "error"], error: "authorization_expired" },
    new: { phases: ["waiting_for_approval", "error"], error: "authorization_expired" },
    secretsSealed: false,
  },
  {
    id: "rendezvous-expired",
    title: "the rendezvous expires while the user is at the consent page",
    inject: { kind: "rendezvous_expires_during_consent" },
    existing: { phases: ["consent", "error"], error: "expired" },
    new: { phases: ["waiting_for_approval", "error"], error: "expired" },
    secretsSealed: false,
  },
  {
    id: "cancel-showing-qr",
    title: "the showing device cancels before anyone scans (A: the existing device, B: the new one)",
    inject: { kind: "cancel", by: "shows", during: "qr" },
    existing: { phases: ["showing_qr", "error"], error: "cancelled_here" },
    new: { phases: [], absent: true },
    bySide: {
      shows: { phases: ["showing_qr", "error"], error: "cancelled_here" },
      scans: { phases: [], absent: true },
    },
    secretsSealed: false,
  },
  {
    id: "cancel-scanning",
    title: "the scanning device cancels before it scans, and the showing device's user gives up",
    inject: { kind: "cancel", by: "scans", during: "qr" },
    existing: { phases: ["qr", "error"], error: "cancelled_here" },
    new: { phases: ["qr", "error"], error: "cancelled_here" },
    secretsSealed: false,
  },
  {
    id: "cancel-scanner-connecting",
    title: "the scanning device cancels while it connects, with the LoginOk unread",
    // Held there: the scanner's reads wait until it has cancelled. Nothing is established: it only deletes the
    // rendezvous, and the showing device, waiting for its check code, sees it vanish.
    inject: { kind: "cancel", by: "scans", during: "connecting" },
    existing: { phases: ["error"], error: "expired" },
    new: { phases: ["error"], error: "expired" },
    bySide: {
      shows: { phases: ["check_code_entry", "error"], error: "expired" },
      scans: { phases: ["connecting", "error"], error: "cancelled_here" },
    },
    secretsSealed: false,
  },
  {
    id: "cancel-showing-connecting",
    title: "the showing device cancels while it connects, before its LoginOk is written",
    // Held there: its LoginOk write waits until it has cancelled. It only deletes the rendezvous; the scanner,
    // waiting for the LoginOk, sees it vanish.
    inject: { kind: "cancel", by: "shows", during: "connecting" },
    existing: { phases: ["error"], error: "expired" },
    new: { phases: ["error"], error: "expired" },
    bySide: {
      shows: { phases: ["connecting", "error"], error: "cancelled_here" },
      scans: { phases: ["connecting", "error"], error: "expired" },
    },
    secretsSealed: false,
  },
  {
    id: "cancel-existing-check-code",
    title: "the existing device cancels while the check code is compared",
    inject: { kind: "cancel", by: "existing", during: "check_code" },
    existing: { phases: ["check_code", "error"], error: "cancelled_here" },
    new: { phases: ["check_code", "error"], error: "expired" },
    secretsSealed: false,
  },
  {
    id: "cancel-new-check-code",
    title: "the new device cancels while the check code is compared",
    // As the scanner (A) it is held while it asks its server for a device code, so it is its turn; but the showing
    // device has not confirmed the code, and would read nothing before that: it only deletes the rendezvous, which
    // the showing device sees at its next look, not at the session's end.
    inject: { kind: "cancel", by: "new", during: "check_code" },
    existing: { phases: ["check_code", "error"], error: "expired" },
    new: { phases: ["check_code", "error"], error: "cancelled_here" },
    secretsSealed: false,
  },
  {
    id: "cancel-existing-negotiating",
    title: "the existing device cancels while it checks the device the new one named",
    // Held there: the device check waits until it has cancelled. It is its turn on a confirmed channel: it says so.
    inject: { kind: "cancel", by: "existing", during: "negotiating" },
    existing: { phases: ["negotiating", "error"], error: "cancelled_here" },
    new: { phases: ["check_code", "error"], error: "cancelled_there" },
    secretsSealed: false,
  },
  {
    id: "cancel-new-negotiating",
    title: "the new device that showed the QR code cancels while it asks its server for a device code",
    // Only the new device that shows the QR code has this phase. Held there: its device authorization request
    // waits until it has cancelled. It is its turn (m.login.protocols read): it says so.
    directions: ["new_shows"],
    inject: { kind: "cancel", by: "new", during: "negotiating" },
    existing: { phases: ["check_code", "error"], error: "cancelled_there" },
    new: { phases: ["negotiating", "error"], error: "cancelled_here" },
    secretsSealed: false,
  },
  {
    id: "cancel-existing-approve",
    title: "the existing device's user refuses the new device",
    inject: { kind: "cancel", by: "existing", during: "approve_device" },
    existing: { phases: ["approve_device", "error"], error: "cancelled_here" },
    new: { phases: ["check_code", "error"], error: "cancelled_there" },
    secretsSealed: false,
  },
  {
    id: "cancel-new-waiting",
    title: "the new device cancels while waiting for approval",
    inject: { kind: "cancel", by: "new", during: "waiting_for_approval" },
    existing: { phases: ["consent", "error"], error: "cancelled_there" },
    new: { phases: ["waiting_for_approval", "error"], error: "cancelled_here" },
    secretsSealed: false,
  },
  {
    id: "cancel-existing-consent",
    title: "the existing device cancels at the consent step",
    inject: { kind: "cancel", by: "existing", during: "consent" },
    existing: { phases: ["consent", "error"], error: "cancelled_here" },
    new: { phases: ["waiting_for_approval", "error"], error: "expired" },
    secretsSealed: false,
  },
  {
    id: "cancel-existing-syncing",
    title: "the existing device cancels while it waits for the new device to appear, before the secrets",
    // Held there: the device check waits until it has cancelled. Its turn (m.login.success read): it says so, and
    // the new device, signed in, hears it instead of the secrets.
    inject: { kind: "cancel", by: "existing", during: "syncing_secrets" },
    existing: { phases: ["syncing_secrets", "error"], error: "cancelled_here" },
    new: { phases: ["syncing_secrets", "error"], error: "cancelled_there" },
    secretsSealed: false,
  },
  {
    id: "cancel-existing-syncing-failure-unwritten",
    title:
      "the existing device cancels before the secrets, and its m.login.failure cannot be written in time",
    // As cancel-existing-syncing, but the failure's write hangs: after its timeout (cancelLingerMs, at least 1 s)
    // the existing device deletes the rendezvous, and the new device sees it vanish at its next look rather than
    // at the session's end. The harness also checks that the write was tried and the DELETE answered.
    inject: { kind: "cancel", by: "existing", during: "syncing_secrets", failureWriteStalls: true },
    existing: { phases: ["syncing_secrets", "error"], error: "cancelled_here" },
    new: { phases: ["syncing_secrets", "error"], error: "expired" },
    secretsSealed: false,
  },
  {
    id: "cancel-new-syncing",
    title: "the new device cancels while it waits for the secrets, its m.login.success unread",
    // Held there: the existing device's reads wait from the m.login.success write until the new device has ended.
    // Not its turn: it waits cancelLingerMs for an answer, then deletes the rendezvous; the existing device sees
    // it vanish and seals nothing.
    inject: { kind: "cancel", by: "new", during: "syncing_secrets" },
    existing: { phases: ["consent", "error"], error: "expired" },
    new: { phases: ["syncing_secrets", "error"], error: "cancelled_here" },
    secretsSealed: false,
  },
  {
    id: "one-wrong-code",
    title: "one wrong check code, then the right one",
    inject: { kind: "check_codes", typed: ["wrong", "right"] },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "two-wrong-codes",
    title: "two wrong check codes end the flow and nothing is sent",
    inject: { kind: "check_codes", typed: ["wrong", "wrong"] },
    existing: { phases: ["check_code", "error"], error: "check_code_mismatch" },
    new: { phases: ["check_code", "error"], error: "expired" },
    // The showing device compares the codes and deletes the rendezvous; the scanner sees it vanish.
    bySide: {
      shows: { phases: ["check_code_entry", "error"], error: "check_code_mismatch" },
      scans: { phases: ["check_code_display", "error"], error: "expired" },
    },
    secretsSealed: false,
  },
  {
    id: "device-already-exists",
    title: "the device ID the new device asks for already exists",
    inject: { kind: "device_already_exists" },
    existing: { phases: ["check_code", "error"], error: "device_already_exists" },
    new: { phases: ["check_code", "error"], error: "device_already_exists" },
    secretsSealed: false,
  },
  {
    id: "device-not-found",
    title: "the new device never appears on the homeserver",
    inject: { kind: "device_never_appears" },
    existing: { phases: ["consent", "error"], error: "device_not_found" },
    new: { phases: ["waiting_for_approval", "error"], error: "device_not_found" },
    secretsSealed: false,
  },
  {
    id: "unsupported-protocol",
    title: "the peer offers only a protocol we do not speak",
    inject: { kind: "unsupported_protocol" },
    // The scripted peer is the new device in direction A... and the existing device in direction B: the row
    // checks our side; the scripted peer asserts that it received `m.login.failure unsupported_protocol`.
    existing: { phases: ["check_code", "error"], error: "protocol_error" },
    new: { phases: ["check_code", "error"], error: "protocol_error" },
    secretsSealed: false,
  },
  {
    id: "wrong-intent-qr",
    title: "the scanner is shown a QR code of its own role",
    inject: { kind: "wrong_intent_qr" },
    existing: { phases: ["error"], error: "wrong_qr" },
    new: { phases: ["error"], error: "wrong_qr" },
    // The device showing its QR code is not involved; its user gives up afterwards.
    bySide: {
      shows: { phases: ["showing_qr", "error"], error: "cancelled_here" },
      scans: { phases: ["scanning", "error"], error: "wrong_qr" },
    },
    secretsSealed: false,
  },
  {
    id: "verification-qr",
    title: "the scanner is shown a device-verification QR code",
    // Both versions: a verification QR code has no wire version of its own, but the QR code the other device shows
    // does, and the scanner must refuse the wrong code whichever version it was about to speak.
    inject: { kind: "verification_qr" },
    existing: { phases: ["error"], error: "wrong_qr" },
    new: { phases: ["error"], error: "wrong_qr" },
    bySide: {
      shows: { phases: ["showing_qr", "error"], error: "cancelled_here" },
      scans: { phases: ["scanning", "error"], error: "wrong_qr" },
    },
    secretsSealed: false,
  },
  {
    id: "mitm-initiate",
    title: "a man in the middle replaces the LoginInitiate message",
    inject: { kind: "mitm_replaces_initiate" },
    existing: { phases: ["check_code", "error"], error: "insecure_channel" },
    new: { phases: ["check_code", "error"], error: "insecure_channel" },
    // The showing device talks to the attacker without knowing it: only the check code can tell, and the user
    // (who sees no code on the real scanner) types what they guess, twice.
    bySide: {
      shows: { phases: ["check_code_entry", "error"], error: "check_code_mismatch" },
      scans: { phases: ["connecting", "error"], error: "insecure_channel" },
    },
    // MSC4388's cell says which data a sequence token stands for: the scanner sees its write replaced.
    byVersion: {
      v2025: {
        shows: { phases: ["check_code_entry", "error"], error: "check_code_mismatch" },
        scans: { phases: ["connecting", "error"], error: "proxy_interference" },
      },
    },
    secretsSealed: false,
  },
  {
    id: "qr-replaced",
    title: "an unscanned QR code expires and its replacement signs the device in",
    inject: { kind: "qr_expires_before_scan" },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "homeserver-switch-accepted",
    title: "the account lives on another homeserver than the one chosen, and the user goes on",
    inject: { kind: "homeserver_differs", accept: true },
    existing: { phases: FULL_EXISTING },
    new: { phases: ["check_code", "confirm_homeserver", "waiting_for_approval", "done"] },
    secretsSealed: true,
  },
  {
    id: "homeserver-switch-refused",
    title: "the account lives on another homeserver than the one chosen, and the user stops",
    inject: { kind: "homeserver_differs", accept: false },
    existing: { phases: ["check_code", "error"], error: "cancelled_there" },
    new: { phases: ["confirm_homeserver", "error"], error: "cancelled_here" },
    secretsSealed: false,
  },
  {
    id: "device-id-plus-slash",
    title: "a device ID with + and / (Element X's identity key)",
    inject: { kind: "device_id", deviceId: "Ab+cD/efGh+iJ/kl0123456789abcdefghijklmnopqr" },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "lost-put-response",
    title: "the answer to the scanner's first write is lost after the server applied it",
    inject: { kind: "lost_put_response" },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    // MSC4388 on the PUT shape Synapse 1.160 serves cannot recover a lost answer once the peer has replied: the
    // reply is sealed to the token the lost answer carried (docs/protocol.md §2.3). Both sides say so.
    byVersion: {
      v2025: {
        shows: { phases: ["check_code_entry", "error"], error: "expired" },
        scans: { phases: ["connecting", "error"], error: "network" },
        secretsSealed: false,
      },
    },
    secretsSealed: true,
  },
  {
    id: "proxy-rewrites-validators",
    title: "a proxy rewrites the ETags or sequence tokens the showing device sees",
    inject: { kind: "validators_rewritten" },
    existing: { phases: ["error"], error: "proxy_interference" },
    new: { phases: ["error"], error: "proxy_interference" },
    // v2024: the weakened ETag of the create answer gives it away before any QR is shown.
    bySide: {
      shows: { phases: ["error"], error: "proxy_interference" },
      scans: { phases: [], absent: true },
    },
    // v2025: tokens are opaque, so nothing gives the rewrite away before the scanner's LoginInitiate, which the
    // showing device opens against the rewritten token it was handed: the AAD does not match, and the channel
    // fails as it would under a forged message (the doctor's round trip names the proxy).
    byVersion: {
      v2025: {
        shows: { phases: ["showing_qr", "error"], error: "insecure_channel" },
        scans: { phases: ["connecting", "error"], error: "expired" },
      },
    },
    secretsSealed: false,
  },
  {
    id: "third-device-first",
    title: "a third device scans the QR code and writes first",
    inject: { kind: "third_device_scans_first" },
    existing: { phases: ["error"], error: "qr_used_elsewhere" },
    new: { phases: ["error"], error: "qr_used_elsewhere" },
    // The scanner that lost the race deletes the rendezvous: whoever took the QR code (perhaps from a photo of
    // it) loses the session too, and the showing device sees it end.
    bySide: {
      shows: { phases: ["showing_qr", "error"], error: "expired" },
      scans: { phases: ["connecting", "error"], error: "qr_used_elsewhere" },
    },
    secretsSealed: false,
  },
  {
    id: "peer-message-before-code",
    title: "the scanner's next message is waiting before the check code is typed",
    inject: { kind: "peer_message_before_check_code" },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  // Faults of the network and of middleboxes, through a fault-injecting proxy on one device's path or in front of
  // the server (docs/protocol.md §2.3). Transient ones must not change the outcome; lasting ones end both sides
  // with the error that names them, within the session's lifetime.
  {
    id: "net-5xx",
    title: "a gateway in front of the server answers 502 and 503 now and then",
    inject: {
      kind: "network_faults",
      on: "both",
      faults: [
        { method: "PUT", path: RENDEZVOUS_SESSION_PATH, count: 2, fault: { kind: "status", status: 502 } },
        { method: "GET", path: RENDEZVOUS_SESSION_PATH, skip: 2, fault: { kind: "status", status: 503 } },
        { method: "POST", path: RENDEZVOUS_CREATE_PATH, fault: { kind: "status", status: 504 } },
      ],
    },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "net-429",
    title: "the server rate-limits the create and a write (429 with retry_after_ms)",
    inject: {
      kind: "network_faults",
      on: "both",
      faults: [
        {
          method: "POST",
          path: RENDEZVOUS_CREATE_PATH,
          fault: { kind: "status", status: 429, retryAfterMs: 300 },
        },
        {
          method: "PUT",
          path: RENDEZVOUS_SESSION_PATH,
          skip: 1,
          fault: { kind: "status", status: 429, retryAfterMs: 300 },
        },
      ],
    },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "net-dropped-connections",
    title: "the scanning device's connection drops before its first write and a read reach the server",
    inject: {
      kind: "network_faults",
      on: "scanning",
      faults: [
        { method: "PUT", path: RENDEZVOUS_SESSION_PATH, fault: { kind: "drop_connection" } },
        { method: "GET", path: RENDEZVOUS_SESSION_PATH, skip: 1, fault: { kind: "drop_connection" } },
      ],
    },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "net-delays",
    title: "requests reach the server late",
    inject: {
      kind: "network_faults",
      on: "both",
      faults: [
        { method: "GET", path: RENDEZVOUS_SESSION_PATH, count: 4, fault: { kind: "delay", ms: 300 } },
        { method: "PUT", path: RENDEZVOUS_SESSION_PATH, count: 2, fault: { kind: "delay", ms: 300 } },
      ],
    },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "net-late-answers",
    title: "the server's answers to writes reach the devices late",
    inject: {
      kind: "network_faults",
      on: "both",
      faults: [
        { method: "PUT", path: RENDEZVOUS_SESSION_PATH, count: 3, fault: { kind: "late_response", ms: 500 } },
      ],
    },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "net-duplicated-writes",
    title: "a middlebox sends each of the first writes twice and passes on the second answer",
    // v2025 only: MSC4108 has no transaction IDs, so the 412 a v2024 device gets for its own duplicated first write
    // cannot be told from another writer's once the peer has already answered it (qr_used_elsewhere): which one
    // happens is a race the protocol leaves open.
    versions: ["v2025"],
    inject: {
      kind: "network_faults",
      on: "both",
      faults: [{ method: "PUT", path: RENDEZVOUS_SESSION_PATH, count: 3, fault: { kind: "duplicate" } }],
    },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "net-lost-answer-showing",
    title: "the answer to the showing device's LoginOk is lost after the server applied it",
    inject: {
      kind: "network_faults",
      on: "showing",
      faults: [{ method: "PUT", path: RENDEZVOUS_SESSION_PATH, fault: { kind: "lost_response" } }],
    },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    // MSC4388 on Synapse's PUT shape: the scanner answers LoginOk before the resend, sealed to the lost token
    // (docs/protocol.md §2.3); the showing device says so, and the scanner sees the session deleted.
    byVersion: {
      v2025: {
        shows: { phases: ["connecting", "error"], error: "network", reason: "write_answer_lost" },
        scans: { phases: ["check_code_display", "error"], error: "expired" },
        secretsSealed: false,
      },
    },
    secretsSealed: true,
  },
  {
    id: "net-gateway-timeout-after-commit",
    title: "a gateway answers 504 to a write the server applied",
    inject: {
      kind: "network_faults",
      on: "both",
      faults: [
        {
          method: "PUT",
          path: RENDEZVOUS_SESSION_PATH,
          skip: 2,
          fault: { kind: "status_after_commit", status: 504 },
        },
      ],
    },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    // The third write is the scanner's first login message; the harness has its resend wait until the showing
    // device has answered it (which one comes first is otherwise a race). v2024 recovers: the cell holds the
    // peer's answer. MSC4388 on Synapse's PUT shape cannot: the answer is sealed to the sequence token the lost
    // answer carried (docs/protocol.md §2.3).
    byVersion: {
      v2025: {
        shows: { phases: ["check_code_entry", "error"], error: "expired" },
        scans: { phases: ["check_code_display", "error"], error: "network", reason: "write_answer_lost" },
        secretsSealed: false,
      },
    },
    secretsSealed: true,
  },
  {
    id: "net-truncated-bodies",
    title: "answers are cut short and their connections closed",
    inject: {
      kind: "network_faults",
      on: "both",
      faults: [
        { method: "GET", path: RENDEZVOUS_SESSION_PATH, skip: 1, count: 3, fault: { kind: "truncate_body" } },
      ],
    },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "net-stalled-body",
    title: "an answer stops midway and the connection stays open",
    inject: {
      kind: "network_faults",
      on: "both",
      faults: [{ method: "GET", path: RENDEZVOUS_SESSION_PATH, skip: 2, fault: { kind: "stall_mid_body" } }],
    },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "net-oauth-5xx",
    title: "the account's OAuth server fails now and then while the new device signs in",
    inject: {
      kind: "network_faults",
      on: "new",
      faults: [
        { method: "POST", path: "/oauth2/token$", count: 2, fault: { kind: "status", status: 502 } },
        { method: "POST", path: "/oauth2/device", fault: { kind: "drop_connection" } },
      ],
    },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "net-gzip-proxy",
    title: "a compressing proxy in front of the server weakens every ETag (nginx gzip)",
    inject: {
      kind: "network_faults",
      on: "both",
      faults: [{ path: "rendezvous", count: "all", fault: { kind: "rewrite_validators", mode: "weak" } }],
    },
    existing: { phases: ["error"], error: "proxy_interference" },
    new: { phases: ["error"], error: "proxy_interference" },
    bySide: {
      shows: { phases: ["error"], error: "proxy_interference", reason: "weak_etag" },
      scans: { phases: [], absent: true },
    },
    // v2025: the tokens it rewrites are opaque, so only the scanner's write shows it (409 on the token the server
    // never issued); the showing device sees its session deleted, shows a fresh QR code, and its user gives up.
    byVersion: {
      v2025: {
        shows: { phases: ["showing_qr", "error"], error: "cancelled_here" },
        scans: { phases: ["connecting", "error"], error: "proxy_interference", reason: "token_rewritten" },
      },
    },
    secretsSealed: false,
  },
  {
    id: "net-deflate-proxy-showing",
    title: "a proxy on the showing device's path appends -gzip to every validator (Apache mod_deflate)",
    inject: {
      kind: "network_faults",
      on: "showing",
      faults: [{ path: "rendezvous", count: "all", fault: { kind: "rewrite_validators", mode: "suffix" } }],
    },
    existing: { phases: ["error"], error: "proxy_interference" },
    new: { phases: ["error"], error: "proxy_interference" },
    bySide: {
      shows: { phases: ["showing_qr", "error"], error: "proxy_interference" },
      scans: { phases: ["connecting", "error"], error: "expired" },
    },
    byVersion: {
      v2025: {
        shows: { phases: ["showing_qr", "error"], error: "insecure_channel" },
        scans: { phases: ["connecting", "error"], error: "expired" },
      },
    },
    secretsSealed: false,
  },
  {
    id: "net-partition",
    title: "the new device's network goes down while it waits for approval, for good",
    inject: {
      kind: "network_faults",
      on: "new",
      from: "waiting_for_approval",
      lifetimeMs: 5_000,
      faults: [{ path: ".", count: "all", fault: { kind: "drop_connection" } }],
    },
    existing: { phases: ["consent", "error"], error: "expired" },
    new: { phases: ["waiting_for_approval", "error"], error: "network" },
    secretsSealed: false,
  },
  {
    id: "net-server-failing",
    title: "the rendezvous server fails with 503 from the consent step on, for good",
    inject: {
      kind: "network_faults",
      on: "both",
      from: "consent",
      lifetimeMs: 5_000,
      faults: [{ path: RENDEZVOUS_SESSION_PATH, count: "all", fault: { kind: "status", status: 503 } }],
    },
    existing: { phases: ["consent", "error"], error: "server_error" },
    new: { phases: ["check_code", "error"], error: "server_error" },
    secretsSealed: false,
  },
  // Attacks the protocol must withstand.
  {
    id: "attack-redirect",
    title: "the rendezvous server redirects reads and writes to another host",
    inject: {
      kind: "network_faults",
      on: "both",
      faults: [
        {
          method: "GET",
          path: RENDEZVOUS_SESSION_PATH,
          count: "all",
          fault: { kind: "redirect", status: 302 },
        },
        {
          method: "PUT",
          path: RENDEZVOUS_SESSION_PATH,
          count: "all",
          fault: { kind: "redirect", status: 307 },
        },
      ],
    },
    existing: { phases: ["error"], error: "server_error" },
    new: { phases: ["error"], error: "server_error" },
    secretsSealed: false,
  },
  {
    id: "create-delegated",
    title: "the v2024 create is delegated by 307 to another server, which serves the session",
    versions: ["v2024"],
    inject: { kind: "create_delegated" },
    existing: { phases: FULL_EXISTING },
    new: { phases: FULL_NEW },
    secretsSealed: true,
  },
  {
    id: "attack-create-redirected-v2025",
    title: "a v2025 create is redirected to another host (MSC4388 allows no delegation)",
    versions: ["v2025"],
    inject: {
      kind: "network_faults",
      on: "both",
      faults: [
        {
          method: "POST",
          path: RENDEZVOUS_CREATE_PATH,
          count: "all",
          fault: { kind: "redirect", status: 307 },
        },
      ],
    },
    existing: { phases: ["error"], error: "server_error" },
    new: { phases: ["error"], error: "server_error" },
    bySide: {
      shows: { phases: ["error"], error: "server_error" },
      scans: { phases: [], absent: true },
    },
    secretsSealed: false,
  },
  {
    id: "attack-other-homeserver",
    title: "the existing device names another homeserver than the one the new device's QR code came from",
    directions: ["new_shows"],
    inject: { kind: "peer_names_other_homeserver" },
    existing: { phases: [], absent: true },
    new: { phases: ["check_code", "confirm_homeserver", "error"], error: "cancelled_here" },
    secretsSealed: false,
  },
  // A consent URL that is no http(s) URL at all is refused as `m.login.protocol` is read, before the user is asked
  // to approve; one that is a URL of another origin (or plain http to a remote host) when it is checked (A-G8).
  ...(
    [
      ["javascript", "javascript:alert(document.cookie)", "not_a_url"],
      ["file", "file:///etc/passwd", "not_a_url"],
      ["data", "data:text/html,<script>alert(1)</script>", "not_a_url"],
      ["userinfo", "http://user:secret@{issuer-host}/link", "not_a_url"],
      ["foreign-origin", "https://consent.example.org/link", "foreign_origin"],
      ["remote-http", "http://consent.example.org/link", "insecure_scheme"],
    ] as const
  ).map(([name, uri, reason]): Scenario => ({
    id: `attack-consent-url-${name}`,
    title: `the new device sends a ${name} consent URL, which the existing device refuses to open`,
    inject: { kind: "verification_uri", uri },
    existing: {
      phases: [reason === "not_a_url" ? "check_code" : "approve_device", "error"],
      error: "protocol_error",
      reason: `verification_uri_${reason}`,
    },
    new: { phases: [], absent: true },
    secretsSealed: false,
  })),
];

/** What `device` must do in `direction`: the side override when the row has one, else the role's. */
export function expectationFor(
  row: Scenario,
  device: Device,
  direction: Direction,
  version: WireVersion,
): ExpectedSide {
  const shows = (direction === "existing_shows") === (device === "existing");
  const sides = row.byVersion?.[version] ?? row.bySide;
  const bySide = shows ? sides?.shows : sides?.scans;
  return bySide ?? (device === "existing" ? row.existing : row.new);
}

/** Whether the existing device may seal `m.login.secrets` in this row and version. */
export function secretsSealedIn(row: Scenario, version: WireVersion): boolean {
  return row.byVersion?.[version]?.secretsSealed ?? row.secretsSealed;
}

/** The rows that run in `direction` and `version`. */
export function scenariosFor(direction: Direction, version: WireVersion): readonly Scenario[] {
  return SCENARIOS.filter(
    (row) =>
      (row.directions ?? DIRECTIONS).includes(direction) &&
      (row.versions ?? (["v2024", "v2025"] as const)).includes(version),
  );
}

/** The concrete phase names a side must pass through. */
export function expectedPhases(side: ExpectedSide, showsQr: boolean): readonly FlowPhaseName[] {
  return side.phases.map((phase) => {
    if (phase === "qr") return showsQr ? "showing_qr" : "scanning";
    if (phase === "check_code") return showsQr ? "check_code_entry" : "check_code_display";
    return phase;
  });
}

/** How one device ends: `done`, or the error it shows. */
export type Ending = FlowErrorCode | "done";

/**
 * Endings the two devices of one sign-in may show together, each pair in either order: what one device shows
 * must be explainable by what the other did or saw. The rows above are instances (`scenarios.test.ts` checks that
 * every row's pair is here); the model-based tests check every sequence against it.
 */
const AGREEING: readonly (readonly [Ending, Ending])[] = [
  ["done", "done"],
  // The existing device gave the secrets; the new device's user cancelled the very last step, or the new device
  // lost the session before it read them (v2025 `write_answer_lost`, or the session ended: signed in, unverified).
  ["done", "cancelled_here"],
  ["done", "network"],
  ["done", "expired"],
  ["declined", "declined"],
  ["authorization_expired", "authorization_expired"],
  ["device_already_exists", "device_already_exists"],
  ["device_not_found", "device_not_found"],
  // One side cancels: the other reads `m.login.failure user_cancelled`, or meets the session deleted; both at once.
  ["cancelled_here", "cancelled_there"],
  ["cancelled_here", "expired"],
  ["cancelled_here", "cancelled_here"],
  // The scanner cancels before the showing device has confirmed the check code, which only deletes the rendezvous,
  // while the showing device's user types wrong codes: the comparison is local, and it may end before it looks.
  ["check_code_mismatch", "cancelled_here"],
  // The session ended, or one side deleted it on an error of its own.
  ["expired", "expired"],
  ["check_code_mismatch", "expired"],
  ["insecure_channel", "expired"],
  ["proxy_interference", "expired"],
  ["network", "expired"],
  ["server_error", "expired"],
  ["qr_used_elsewhere", "expired"],
  ["protocol_error", "expired"],
  ["unexpected_message", "expired"],
  ["rate_limited", "expired"],
  // A man in the middle: the showing device's user types guesses, the scanner fails to open.
  ["check_code_mismatch", "insecure_channel"],
  ["check_code_mismatch", "proxy_interference"],
  // The device showing the QR code waits on; its user gives up.
  ["cancelled_here", "wrong_qr"],
  ["cancelled_here", "proxy_interference"],
  ["cancelled_here", "qr_used_elsewhere"],
  // The same fault on both paths.
  ["server_error", "server_error"],
  ["network", "network"],
  ["proxy_interference", "proxy_interference"],
  // One side refused the other's message and said why (`unsupported_protocol`, `unexpected_message_received`, a
  // consent URL it must not open: `unable_to_open_verification_uri` / `user_cancelled`).
  ["protocol_error", "protocol_error"],
  ["protocol_error", "unexpected_message"],
  ["protocol_error", "cancelled_there"],
  ["unexpected_message", "unexpected_message"],
];

/** For each way one device ends, the ways the other may end (none listed: no pair has it). */
export const PEER_ENDINGS: Readonly<Partial<Record<Ending, readonly Ending[]>>> = (() => {
  const table: Partial<Record<Ending, Ending[]>> = {};
  for (const [a, b] of AGREEING) {
    (table[a] ??= []).push(b);
    if (a !== b) (table[b] ??= []).push(a);
  }
  return table;
})();
