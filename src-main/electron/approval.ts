// Before this device approves a new one (MSC4108, existing device: the user says yes to the new device, A-G8 /
// B-S7), the operating system's own confirmation where it has one: Touch ID on macOS, which a compromised page
// cannot click through. Elsewhere the approve_device phase in the window is the confirmation.
import type { SystemPreferences } from "electron";
import type { CommandOutcome, CommandRequest } from "../../src-shared/contract";
import type { FlowWatch } from "./flow-watch";

export type TouchId = Partial<Pick<SystemPreferences, "canPromptTouchID" | "promptTouchID">>;

/**
 * A gate in front of `flow.command`: an `approveDevice: true` goes through only after Touch ID agrees (where the
 * machine has it); its answer replaces the engine's when the user did not confirm. Undefined: go ahead.
 */
export function approvalGate(
  platform: NodeJS.Platform,
  touchId: TouchId,
  flows: FlowWatch,
): (request: CommandRequest<"flow.command">) => Promise<CommandOutcome<"flow.command"> | undefined> {
  return async ({ flowId, command }) => {
    if (command.type !== "approveDevice" || !command.approve) return undefined;
    if (platform !== "darwin" || touchId.promptTouchID === undefined) return undefined;
    if (touchId.canPromptTouchID?.() !== true) return undefined;
    const approval = flows.approvalOf(flowId);
    // Not asking now: the engine refuses the command itself (its own not_accepted_now).
    if (approval === undefined) return undefined;
    try {
      await touchId.promptTouchID(`sign in a new device (${approval.deviceId}) to ${approval.userId}`);
      return undefined;
    } catch {
      return {
        ok: true,
        value: { type: "rejected", reason: "not_accepted_now", detail: "not confirmed with Touch ID" },
      };
    }
  };
}
