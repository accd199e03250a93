// What a host (the command line, Electron, the browser host, a test) gives the flows: the runtime every part
// takes, and a way to open the consent page in the user's browser.
import { PROTOCOL_STEPS, type ProtocolStep } from "../../src-shared/protocol-steps";
import type { Runtime } from "../protocol";

/** How opening a URL went: `needs_user` where the host can open it only from the user's own click. */
export type OpenUrlResult = "opened" | "needs_user";

export interface FlowHost extends Runtime {
  /**
   * Opens an already-checked https URL (http only to loopback, for the local devserver) in the user's browser.
   * Rejects when no browser could be opened; resolves `needs_user` when the host must wait for the user's click
   * (a web page may not open a window without one), in which case the flow waits for `consentOpened`.
   */
  openUrl(url: string): Promise<OpenUrlResult>;
}

/**
 * The host as the flows use it: every transcript entry made while a step runs (by the rendezvous, OAuth or
 * Matrix layers too) carries that step's number (docs/protocol.md §5), and `step()` marks where one begins.
 */
export interface SteppedHost extends FlowHost {
  step(id: ProtocolStep): void;
}

export function steppedHost(host: FlowHost): SteppedHost {
  let current: string | undefined;
  return {
    fetch: host.fetch,
    now: host.now,
    sleep: host.sleep,
    random: host.random,
    openUrl: (url) => host.openUrl(url),
    transcript: (entry) => {
      host.transcript(
        entry.step === undefined && current !== undefined ? { ...entry, step: current } : entry,
      );
    },
    step(id) {
      // Marked where it begins: naming the current step again (the first step, begun by the flow's preflight,
      // then by the part that shows or scans the QR code) writes no second marker.
      if (id === current) return;
      current = id;
      host.transcript({ kind: "step", layer: "flow", step: id, name: PROTOCOL_STEPS[id], time: host.now() });
    },
  };
}
