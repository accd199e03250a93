// What demo mode remembers on this page: whether projector mode is on, whether the transcript pane is open, and
// which transcript entry is selected (a click on an arrow selects it in the pane, and back). Renderer-only view
// state, not a setting: `?projector=1` opens the page in projector mode.
import { createStore } from "zustand/vanilla";
import { useStore } from "zustand";
import type { ErrorCorrection } from "../qr/matrix";

export interface DemoState {
  readonly projector: boolean;
  readonly transcriptOpen: boolean;
  /** The selected entry's index in the store's transcript. */
  readonly selected: number | undefined;
  readonly setProjector: (on: boolean) => void;
  readonly setTranscriptOpen: (open: boolean) => void;
  readonly select: (index: number | undefined) => void;
}

function projectorFromQuery(): boolean {
  if (typeof location === "undefined") return false;
  const value = new URLSearchParams(location.search).get("projector");
  return value === "1" || value === "true";
}

export const demoStore = createStore<DemoState>()((set) => ({
  projector: projectorFromQuery(),
  transcriptOpen: true,
  selected: undefined,
  setProjector: (projector) => {
    set({ projector });
  },
  setTranscriptOpen: (transcriptOpen) => {
    set({ transcriptOpen });
  },
  select: (selected) => {
    set({ selected });
  },
}));

/** Back to the page's first state, for a preview page that switches to another canned screen (main.tsx). */
export function resetDemoState(): void {
  demoStore.setState({ projector: projectorFromQuery(), transcriptOpen: true, selected: undefined });
}

export function useDemo<T>(select: (state: DemoState) => T): T {
  return useStore(demoStore, select);
}

export function useProjector(): boolean {
  return useDemo((state) => state.projector);
}

/**
 * The QR code in projector mode: error correction Q (a projected picture loses contrast and focus; Q survives a
 * quarter of the modules misread), and as much room as the flow column has (8 pixels a module for a v2024 code).
 */
export const PROJECTOR_QR: { readonly level: ErrorCorrection; readonly room: number } = {
  level: "Q",
  room: 490,
};
