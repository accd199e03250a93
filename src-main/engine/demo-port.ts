// What an engine needs of the local demo ("Try it on this computer", src-main/demo/): the host that can start it
// (a window whose profile has no account), or one of the demo's two windows (the signed-in one and the new
// device). An engine without a port answers `demo.status` as inactive and refuses the other demo commands.
import type { DemoState, EventPayload } from "../../src-shared/contract";
import { FlowFailure, flowError } from "../../src-shared/errors";

/** The demo's events for one window: its state (never with the password) and a QR picture to scan. */
export type DemoEvent =
  | { readonly name: "demo.state"; readonly payload: EventPayload<"demo.state"> }
  | { readonly name: "demo.scanImage"; readonly payload: EventPayload<"demo.scanImage"> };

export interface DemoPort {
  /** Starts the demo from this window; it becomes the signed-in window (the answer shows the password). */
  tryLocally(signal: AbortSignal): Promise<DemoState>;
  status(): DemoState;
  /** On: the v2024 rendezvous lifetime Synapse serves (60 s); off: the demo's 600 s. */
  setSynapseTiming(on: boolean): DemoState;
  /** Passes a picture of the QR code this window shows to the other window's scanner. */
  sendQrToOtherWindow(png: string): void;
  /** This window's demo events, until the returned function is called. */
  subscribe(listener: (event: DemoEvent) => void): () => void;
}

export const INACTIVE_DEMO: DemoState = { active: false, synapseTiming: false };

function noDemo(): FlowFailure {
  return new FlowFailure(flowError("internal_error", "this host runs no local demo", "no_local_demo"));
}

/** The port of a host that offers no local demo (the command line, a test engine). */
export const NO_DEMO: DemoPort = {
  tryLocally: () => Promise.reject(noDemo()),
  status: () => INACTIVE_DEMO,
  setSynapseTiming: () => {
    throw noDemo();
  },
  sendQrToOtherWindow: () => {
    throw noDemo();
  },
  subscribe: () => () => undefined,
};
