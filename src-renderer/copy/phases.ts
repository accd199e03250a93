// The heading of every phase's screen, per role and side where they differ. The error phase's heading comes
// from the error table (copy/errors.ts) instead.
import type { FlowPhaseName, FlowRole, FlowSide } from "../../src-shared/flow";
import type { PlainKey } from "./format";

type ByRole = { readonly [role in FlowRole]: PlainKey };
type BySide = { readonly [side in FlowSide]: PlainKey };
type Title = PlainKey | { readonly role: ByRole } | { readonly side: BySide };

export const PHASE_TITLES = {
  preflight: "phase.preflight.title",
  instructions: {
    side: { generator: "phase.instructions.title.generator", scanner: "phase.instructions.title.scanner" },
  },
  preparing: {
    side: { generator: "phase.preparing.title.generator", scanner: "phase.preparing.title.scanner" },
  },
  showing_qr: {
    role: {
      new_device: "phase.showing_qr.title.new_device",
      existing_device: "phase.showing_qr.title.existing_device",
    },
  },
  scanning: {
    role: {
      new_device: "phase.scanning.title.new_device",
      existing_device: "phase.scanning.title.existing_device",
    },
  },
  connecting: "phase.connecting.title",
  check_code_display: "phase.check_code_display.title",
  check_code_entry: "phase.check_code_entry.title",
  confirm_homeserver: "phase.confirm_homeserver.title",
  approve_device: "phase.approve_device.title",
  negotiating: {
    role: {
      new_device: "phase.negotiating.title.new_device",
      existing_device: "phase.negotiating.title.existing_device",
    },
  },
  waiting_for_approval: "phase.waiting_for_approval.title",
  consent: "phase.consent.title",
  syncing_secrets: {
    role: {
      new_device: "phase.syncing_secrets.title.new_device",
      existing_device: "phase.syncing_secrets.title.existing_device",
    },
  },
  done: {
    role: { new_device: "phase.done.title.new_device", existing_device: "phase.done.title.existing_device" },
  },
} as const satisfies Record<Exclude<FlowPhaseName, "error">, Title>;

export function phaseTitle(phase: Exclude<FlowPhaseName, "error">, role: FlowRole, side: FlowSide): PlainKey {
  const title: Title = PHASE_TITLES[phase];
  if (typeof title === "string") return title;
  return "role" in title ? title.role[role] : title.side[side];
}
