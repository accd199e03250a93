// The sign-in flow as the hosts see it: snapshots out, commands in. The state machines in src-main/flows/ own
// the truth; a host (the command line, Electron, the browser host) only renders the latest snapshot and sends
// the commands it `accepts`. Plain data only (it crosses IPC and JSON): bytes travel as standard base64.
//
// Words: the device that shows the QR code is the `generator`, the one that scans it the `scanner`; the
// `new_device` is the one being signed in, the `existing_device` the one already signed in (docs/protocol.md).
import { z } from "zod";
import { outsideText, type FlowError } from "./errors";

export type WireVersion = "v2024" | "v2025";
export const WIRE_VERSIONS: readonly WireVersion[] = ["v2024", "v2025"];

export type FlowRole = "new_device" | "existing_device";
export type FlowSide = "generator" | "scanner";

/** One check of the preflight (what the homeserver and this device offer), each with its real cause. */
export interface PreflightCheck {
  readonly id:
    | "oauth_metadata"
    | "device_grant"
    | "registration"
    | "rendezvous_v2024"
    | "rendezvous_v2025"
    | "cross_signing_keys";
  readonly status: "pending" | "ok" | "failed" | "skipped";
  /** Why it failed or was skipped, machine-readable (`no_device_grant`, `needs_sign_in`...). */
  readonly cause?: string;
}

/** The phase-discriminated part of a snapshot: what the screen shows now. */
export type FlowPhase =
  | { readonly phase: "preflight"; readonly checks: readonly PreflightCheck[] }
  | { readonly phase: "instructions" }
  | { readonly phase: "preparing" }
  | {
      readonly phase: "showing_qr";
      /** The QR code's exact bytes, base64. */
      readonly qr: string;
      /** Changes whenever the QR code is replaced (new rendezvous, new key). */
      readonly serial: number;
    }
  | { readonly phase: "scanning" }
  | { readonly phase: "connecting" }
  /** Scanner only: the two digits to show in large type. */
  | { readonly phase: "check_code_display"; readonly code: string }
  /** Generator only: never carries the code; main compares what the user types. */
  | {
      readonly phase: "check_code_entry";
      readonly attemptsLeft: number;
      /** The last code typed did not match (the screen says "look again"). */
      readonly mismatch: boolean;
    }
  /** New device only: the homeserver named by the other device differs from the one the user chose. */
  | { readonly phase: "confirm_homeserver"; readonly from: string; readonly to: string }
  /** Existing device only: the user allows this device to sign in as this account. */
  | { readonly phase: "approve_device"; readonly userId: string; readonly deviceId: string }
  | { readonly phase: "negotiating" }
  /** New device only: the user code to show, and where the user approves. */
  | {
      readonly phase: "waiting_for_approval";
      readonly userCode: string;
      readonly verificationUri: string;
    }
  /** Existing device only: the consent page opened in the browser. */
  | {
      readonly phase: "consent";
      readonly verificationUri: string;
      readonly host: string;
      readonly deviceId: string;
    }
  | { readonly phase: "syncing_secrets" }
  | {
      readonly phase: "done";
      readonly userId: string;
      /** The new device: this one (new_device) or the one we signed in (existing_device). */
      readonly deviceId: string;
      /** Whether the homeserver shows the new device as signed by the account's self-signing key. */
      readonly verified: boolean;
      /** Whether the new device holds the key of the account's current backup. */
      readonly backup: boolean;
    }
  | { readonly phase: "error"; readonly error: FlowError };

export type FlowPhaseName = FlowPhase["phase"];

export const FLOW_PHASES = [
  "preflight",
  "instructions",
  "preparing",
  "showing_qr",
  "scanning",
  "connecting",
  "check_code_display",
  "check_code_entry",
  "confirm_homeserver",
  "approve_device",
  "negotiating",
  "waiting_for_approval",
  "consent",
  "syncing_secrets",
  "done",
  "error",
] as const satisfies readonly FlowPhaseName[];

/** What a user (through a host) can tell a flow. */
export type FlowCommand =
  | { readonly type: "submitScannedQr"; /** The scanned bytes, base64. */ readonly bytes: string }
  | { readonly type: "submitCheckCode"; readonly code: string }
  | { readonly type: "approveDevice"; readonly approve: boolean }
  | { readonly type: "confirmHomeserver"; readonly accept: boolean }
  | { readonly type: "consentOpened" }
  | { readonly type: "openConsentAgain" }
  | { readonly type: "newQr" }
  | { readonly type: "switchVersion"; readonly version: WireVersion }
  | { readonly type: "cancel" };

export type FlowCommandType = FlowCommand["type"];

export const FLOW_COMMAND_TYPES = [
  "submitScannedQr",
  "submitCheckCode",
  "approveDevice",
  "confirmHomeserver",
  "consentOpened",
  "openConsentAgain",
  "newQr",
  "switchVersion",
  "cancel",
] as const satisfies readonly FlowCommandType[];

/** Everything a host needs to render one moment of one flow. */
export type FlowSnapshot = {
  readonly flowId: string;
  /** Increases with every snapshot of this flow: a host drops one older than what it shows. */
  readonly seq: number;
  readonly role: FlowRole;
  readonly side: FlowSide;
  readonly version: WireVersion;
  /** When the rendezvous (or the QR code) expires, epoch ms on this machine's clock; absent when none runs. */
  readonly expiresAt?: number;
  /** The command types the flow takes now; any other is refused with a typed answer. */
  readonly accepts: readonly FlowCommandType[];
} & FlowPhase;

/** A flow's answer to a command it cannot take now, or that is malformed. */
export interface CommandRejected {
  readonly type: "rejected";
  readonly reason: "not_accepted_now" | "invalid_command" | "flow_finished" | "unknown_flow";
  readonly detail?: string;
}

/** Standard base64 (padding optional), as the contract carries bytes. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The one reading of a command from outside (IPC, a WebSocket, a line of JSON): strict, bounded. */
export const flowCommandSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("submitScannedQr"), bytes: z.string().max(8192).regex(BASE64) }),
  z.strictObject({ type: z.literal("submitCheckCode"), code: z.string().max(8) }),
  z.strictObject({ type: z.literal("approveDevice"), approve: z.boolean() }),
  z.strictObject({ type: z.literal("confirmHomeserver"), accept: z.boolean() }),
  z.strictObject({ type: z.literal("consentOpened") }),
  z.strictObject({ type: z.literal("openConsentAgain") }),
  z.strictObject({ type: z.literal("newQr") }),
  z.strictObject({ type: z.literal("switchVersion"), version: z.enum(["v2024", "v2025"]) }),
  z.strictObject({ type: z.literal("cancel") }),
]);

/** A command as data, or why it is not one. */
export function readFlowCommand(
  value: unknown,
): { ok: true; command: FlowCommand } | { ok: false; rejected: CommandRejected } {
  const parsed = flowCommandSchema.safeParse(value);
  if (parsed.success) return { ok: true, command: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    rejected: {
      type: "rejected",
      reason: "invalid_command",
      // The issue can quote the sender's keys and values: escaped and capped like any outside text.
      detail:
        issue === undefined
          ? "invalid"
          : outsideText(`${issue.path.join(".") || "command"}: ${issue.message}`, 200),
    },
  };
}
