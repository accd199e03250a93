// What the shell needs to know of the running flows, read from the engine's own snapshots: whether a scanner is
// open (the camera may be granted only then) and which device an approval is about (the OS confirmation names it).
import type { EventPayload } from "../../src-shared/contract";
import type { EngineEvent } from "../engine/host";

type Snapshot = EventPayload<"flow.snapshot">;

export class FlowWatch {
  readonly #latest = new Map<string, Snapshot>();

  /** Feed every engine event through here. */
  see(event: EngineEvent): void {
    if (event.name !== "flow.snapshot") return;
    const previous = this.#latest.get(event.payload.flowId);
    if (previous !== undefined && previous.seq >= event.payload.seq) return;
    if (event.payload.phase === "done" || event.payload.phase === "error") {
      this.#latest.delete(event.payload.flowId);
    } else {
      this.#latest.set(event.payload.flowId, event.payload);
    }
  }

  /** A flow shows its scanner now. */
  get scannerOpen(): boolean {
    for (const snapshot of this.#latest.values()) if (snapshot.phase === "scanning") return true;
    return false;
  }

  /** The device a flow asks this user to approve, while it asks. */
  approvalOf(flowId: string): { userId: string; deviceId: string } | undefined {
    const snapshot = this.#latest.get(flowId);
    return snapshot?.phase === "approve_device"
      ? { userId: snapshot.userId, deviceId: snapshot.deviceId }
      : undefined;
  }
}
