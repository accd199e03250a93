// The four directions of a sign-in as this device sees them (its role x whether it shows or scans the QR code),
// each with one set of numbered instructions worded after what the other app (Element X, Element Web) shows,
// its steps for the progress indicator, and where each phase sits among those steps.
import type { FlowPhaseName, FlowRole, FlowSide, WireVersion } from "../../src-shared/flow";
import type { PlainKey } from "./format";

export type Direction = `${FlowRole}.${FlowSide}`;

export const DIRECTIONS: readonly Direction[] = [
  "existing_device.generator",
  "existing_device.scanner",
  "new_device.generator",
  "new_device.scanner",
];

export function directionOf(role: FlowRole, side: FlowSide): Direction {
  return `${role}.${side}`;
}

export const INSTRUCTIONS = {
  // Direction A, this computer shows: a new Element X phone scans it from its welcome screen.
  "existing_device.generator": [
    "instructions.existing_device.generator.1",
    "instructions.existing_device.generator.2",
    "instructions.existing_device.generator.3",
    "instructions.existing_device.generator.4",
  ],
  // Direction B, this computer scans: the new device (Element Web's "Sign in with QR code") shows.
  "existing_device.scanner": [
    "instructions.existing_device.scanner.1",
    "instructions.existing_device.scanner.2",
    "instructions.existing_device.scanner.3",
  ],
  // Direction B, this computer shows: Element X's "Link new device" > "Desktop computer" scans it.
  "new_device.generator": [
    "instructions.new_device.generator.1",
    "instructions.new_device.generator.2",
    "instructions.new_device.generator.3",
    "instructions.new_device.generator.4",
  ],
  // Direction A, this computer scans: the signed-in device's "Link new device" shows the QR code.
  "new_device.scanner": [
    "instructions.new_device.scanner.1",
    "instructions.new_device.scanner.2",
    "instructions.new_device.scanner.3",
    "instructions.new_device.scanner.4",
  ],
} as const satisfies Record<Direction, readonly PlainKey[]>;

/**
 * The showing side's instructions in version 2025 (MSC4388): the device that scans must speak it, and no shipped
 * Element app does yet (Element X and Element Web scan version 2024 only), so these name no app. The scanning
 * side's instructions stay as above: it learns the version from the QR code it reads.
 */
export const INSTRUCTIONS_V2025 = {
  "existing_device.generator": [
    "instructions.v2025.existing_device.generator.1",
    "instructions.v2025.existing_device.generator.2",
    "instructions.v2025.existing_device.generator.3",
    "instructions.v2025.existing_device.generator.4",
  ],
  "new_device.generator": [
    "instructions.v2025.new_device.generator.1",
    "instructions.v2025.new_device.generator.2",
    "instructions.v2025.new_device.generator.3",
    "instructions.v2025.new_device.generator.4",
  ],
} as const satisfies Partial<Record<Direction, readonly PlainKey[]>>;

/** The numbered instructions of a direction in a wire version. */
export function instructionsFor(role: FlowRole, side: FlowSide, version: WireVersion): readonly PlainKey[] {
  if (version === "v2025" && side === "generator") return INSTRUCTIONS_V2025[`${role}.generator`];
  return INSTRUCTIONS[directionOf(role, side)];
}

/** The steps the progress indicator shows, the same four in every direction apart from the first. */
export function stepsOf(side: FlowSide): readonly PlainKey[] {
  return [
    side === "generator" ? "flow.step.show" : "flow.step.scan",
    "flow.step.checkCode",
    "flow.step.approve",
    "flow.step.done",
  ];
}

/** Which step (0-based) a phase belongs to; `error` stays on the step where it happened. */
export const PHASE_STEP = {
  preflight: 0,
  instructions: 0,
  preparing: 0,
  showing_qr: 0,
  scanning: 0,
  connecting: 0,
  check_code_display: 1,
  check_code_entry: 1,
  confirm_homeserver: 2,
  approve_device: 2,
  negotiating: 2,
  waiting_for_approval: 2,
  consent: 2,
  syncing_secrets: 3,
  done: 4,
  error: undefined,
} as const satisfies Record<FlowPhaseName, number | undefined>;
