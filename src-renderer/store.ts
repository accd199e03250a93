// The renderer's one store (zustand): the account as the engine reports it, the current flow's latest snapshot,
// the transcript entries, and which screen is open. It talks to the engine only through EngineApi. It holds no
// secrets: the flow's snapshots carry none, and a recovery key typed by the user goes straight to the engine.
//
// Two rules of the contract live here: a snapshot whose `seq` is not newer than the one shown is dropped (events
// may arrive late or twice), and a command the current snapshot does not `accept` is never sent.
import { createStore, type StoreApi } from "zustand/vanilla";
import type {
  AccountState,
  CommandOutcome,
  CommandRequest,
  CommandResponse,
  DemoState,
  EngineApi,
  EventPayload,
} from "../src-shared/contract";
import type { FlowError } from "../src-shared/errors";
import type { FlowCommand, FlowSnapshot } from "../src-shared/flow";
import { t } from "./copy/format";
import { PHASE_STEP } from "./copy/instructions";
import type { ViewName } from "./views";

export type FlowStart = CommandRequest<"flow.start">;
export type FlowAnswer = CommandResponse<"flow.command">;
/** A transcript entry as the contract carries it (src-shared/transcript.ts describes its fields). */
export type TranscriptItem = EventPayload<"transcript.entry">;

/** The most transcript entries kept; older ones are dropped first. */
export const TRANSCRIPT_LIMIT = 5000;

export interface AppState {
  readonly engine: EngineApi;
  /** Running on sample data, without an engine. */
  readonly preview: boolean;
  readonly status: "starting" | "ready" | "failed";
  readonly account: AccountState | undefined;
  readonly view: ViewName;
  /** After the homeserver screen, start showing a QR code to sign in (the choice that needs a homeserver). */
  readonly afterHomeserver: "show_qr" | undefined;
  /** The flow this view follows, from `flow.start`'s answer or its first snapshot. */
  readonly flowId: string | undefined;
  readonly flow: FlowSnapshot | undefined;
  /** How the current flow was started, to start it again. */
  readonly flowStart: FlowStart | undefined;
  /** `flow.start` itself failed: the error screen shows this without a snapshot. */
  readonly startError: FlowError | undefined;
  /** The step of the last phase before an error, for the progress indicator. */
  readonly lastStep: number;
  /** The consent URL of this flow's last consent phase (the error "unable to open browser" offers it again). */
  readonly lastConsentUri: string | undefined;
  readonly transcript: readonly TranscriptItem[];
  /** The browser host asks the page to open a URL from the user's next click. */
  readonly openRequest: EventPayload<"app.openRequest"> | undefined;
  /** The QR code is shown full screen. */
  readonly fullscreenQr: boolean;
  /** A one-line message for the live region (copied, saved...). */
  readonly notice: { readonly text: string; readonly id: number } | undefined;
  /** The local demo this window is part of (src-main/demo/), when one runs. */
  readonly demo: DemoState | undefined;
  /** The latest QR picture the other demo window sent, for the scanner (`id` counts pictures). */
  readonly demoScan: { readonly png: string; readonly id: number } | undefined;
}

export interface AppActions {
  /** Subscribes to the engine's events and loads the account. */
  readonly init: (options?: {
    readonly initialView?: ViewName;
    readonly fullscreen?: boolean;
  }) => Promise<void>;
  readonly go: (view: ViewName, options?: { readonly afterHomeserver?: "show_qr" }) => void;
  readonly setAccount: (account: AccountState) => void;
  readonly startFlow: (request: FlowStart) => Promise<void>;
  /** Sends a command if the current snapshot accepts it; otherwise answers `not_accepted_now` without sending. */
  readonly send: (command: FlowCommand) => Promise<FlowAnswer>;
  /** "Try again": restarts the flow (`newQr` where the error accepts it, else a new `flow.start`). */
  readonly retry: () => Promise<void>;
  /** Leaves the flow screen, cancelling the flow if it still runs. */
  readonly leaveFlow: () => Promise<void>;
  readonly setFullscreenQr: (open: boolean) => void;
  readonly clearOpenRequest: () => void;
  /** The local demo's state as a command answered it (with the password, on the signed-in window). */
  readonly setDemo: (demo: DemoState) => void;
  readonly announce: (text: string) => void;
  readonly dispose: () => void;
}

export type AppStore = StoreApi<AppState & AppActions>;

/** The engine's answer, or a thrown Error naming what went wrong (for actions outside a flow). */
export async function call<N extends Parameters<EngineApi["invoke"]>[0]>(
  engine: EngineApi,
  name: N,
  request: CommandRequest<N>,
): Promise<CommandResponse<N>> {
  const outcome: CommandOutcome<N> = await engine.invoke(name, request);
  if (outcome.ok) return outcome.value;
  if ("contractError" in outcome) {
    throw new EngineCallError(
      name,
      undefined,
      `${outcome.contractError.code}: ${outcome.contractError.message}`,
    );
  }
  throw new EngineCallError(name, plainFlowError(outcome.error), outcome.error.message);
}

/** The engine's error as a FlowError (the schema's type spells an absent reason as `undefined`). */
export function plainFlowError(error: {
  readonly code: FlowError["code"];
  readonly reason?: string | undefined;
  readonly retryable: boolean;
  readonly message: string;
}): FlowError {
  return {
    code: error.code,
    ...(error.reason === undefined ? {} : { reason: error.reason }),
    retryable: error.retryable,
    message: error.message,
  };
}

/** A command the engine answered with an error: its FlowError when it gave one. */
export class EngineCallError extends Error {
  override readonly name = "EngineCallError";
  constructor(
    readonly command: string,
    readonly flowError: FlowError | undefined,
    detail: string,
  ) {
    super(`${command}: ${detail}`);
  }
}

export function createAppStore(engine: EngineApi, preview: boolean): AppStore {
  const unsubscribe: (() => void)[] = [];
  let noticeId = 0;
  let demoScanId = 0;
  let noticeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set while `flow.start` is in flight: the new flow's first snapshot may arrive before its answer. */
  let starting = false;
  /** Flows this view left (cancelled or closed): their late snapshots must not bring the screen back. */
  const left = new Set<string>();

  return createStore<AppState & AppActions>()((set, get) => {
    const homeView = (): ViewName => (get().account?.status === "signed_in" ? "home" : "welcome");

    /** The QR code last shown, so that its replacement is announced whatever phase came between. */
    let shownQr: { readonly flowId: string; readonly serial: number } | undefined;

    const onSnapshot = (payload: EventPayload<"flow.snapshot">) => {
      // The schema's `accepts` lists exactly FLOW_COMMAND_TYPES, so the checked payload is a FlowSnapshot.
      const snapshot = payload as unknown as FlowSnapshot;
      const state = get();
      const following = state.flowId;
      if (left.has(snapshot.flowId)) return;
      if (following === undefined) {
        // A flow this view did not start (a canned one, or one still running when the page was reloaded) is
        // adopted while it runs; a finished one only when this view is starting one.
        const finished =
          (snapshot.phase === "done" || snapshot.phase === "error") && snapshot.accepts.length === 0;
        if (!starting && !preview && finished) return;
      } else if (snapshot.flowId !== following) {
        return;
      } else if (
        state.flow !== undefined &&
        state.flow.flowId === following &&
        snapshot.seq <= state.flow.seq
      ) {
        return;
      }
      const step = PHASE_STEP[snapshot.phase];
      set({
        flowId: snapshot.flowId,
        flow: snapshot,
        startError: undefined,
        view: "flow",
        ...(step === undefined ? {} : { lastStep: step }),
        ...(snapshot.phase === "consent" ? { lastConsentUri: snapshot.verificationUri } : {}),
        // A QR code being replaced passes through `preparing`: the full-screen view stays for the next one.
        ...(snapshot.phase === "showing_qr" || snapshot.phase === "preparing" ? {} : { fullscreenQr: false }),
      });
      if (snapshot.phase === "showing_qr") {
        const before = shownQr;
        shownQr = { flowId: snapshot.flowId, serial: snapshot.serial };
        // The code shown expired unscanned (or the version changed) and a fresh one replaced it: the old
        // picture no longer works, and the screen says so.
        if (before?.flowId === snapshot.flowId && before.serial < snapshot.serial) {
          get().announce(t("flow.qrWasReplaced"));
        }
      }
    };

    const onAccount = (account: AccountState) => {
      const before = get().account;
      set({ account });
      // Signed out elsewhere: back to the signed-out screen, which says why (one line).
      if (before?.status === "signed_in" && account.status === "signed_out" && get().view !== "flow") {
        set({ view: "welcome" });
      }
    };

    return {
      engine,
      preview,
      status: "starting",
      account: undefined,
      view: "welcome",
      afterHomeserver: undefined,
      flowId: undefined,
      flow: undefined,
      flowStart: undefined,
      startError: undefined,
      lastStep: 0,
      lastConsentUri: undefined,
      transcript: [],
      openRequest: undefined,
      fullscreenQr: false,
      notice: undefined,
      demo: undefined,
      demoScan: undefined,

      async init(options = {}) {
        unsubscribe.push(
          engine.on("flow.snapshot", onSnapshot),
          engine.on("account.state", onAccount),
          engine.on("transcript.entry", (entry) => {
            const transcript = [...get().transcript, entry];
            set({
              transcript:
                transcript.length > TRANSCRIPT_LIMIT ? transcript.slice(-TRANSCRIPT_LIMIT) : transcript,
            });
          }),
          engine.on("app.openRequest", (request) => {
            set({ openRequest: request });
          }),
          engine.on("demo.state", (demo) => {
            // Events never carry the password: keep the one the signed-in window was told.
            const password = get().demo?.password;
            set({ demo: { ...demo, ...(password === undefined ? {} : { password }) } });
          }),
          engine.on("demo.scanImage", ({ png }) => {
            demoScanId += 1;
            set({ demoScan: { png, id: demoScanId } });
          }),
        );
        try {
          const account = await call(engine, "account.get", {});
          // A canned flow may already be on screen; keep it.
          const view =
            get().view === "flow"
              ? "flow"
              : (options.initialView ?? (account.status === "signed_in" ? "home" : "welcome"));
          set({ account, status: "ready", view, fullscreenQr: options.fullscreen === true });
          const demo = await engine.invoke("demo.status", {});
          if (demo.ok && demo.value.active) set({ demo: demo.value });
        } catch (error) {
          console.error("could not load the account", error);
          set({ status: "failed" });
        }
      },

      go(view, options = {}) {
        set({ view, afterHomeserver: options.afterHomeserver });
      },

      setAccount(account) {
        onAccount(account);
      },

      async startFlow(request) {
        starting = true;
        const previous = get().flowId;
        if (previous !== undefined) left.add(previous);
        set({
          flowId: undefined,
          flow: undefined,
          flowStart: request,
          startError: undefined,
          lastStep: 0,
          lastConsentUri: undefined,
          transcript: [],
          view: "flow",
        });
        try {
          const outcome = await engine.invoke("flow.start", request);
          if (outcome.ok) {
            const flowId = outcome.value.flowId;
            const current = get().flow;
            set({
              flowId,
              ...(current !== undefined && current.flowId !== flowId ? { flow: undefined } : {}),
            });
          } else if ("error" in outcome) {
            set({ startError: plainFlowError(outcome.error) });
          } else {
            console.error("flow.start refused by the contract", outcome.contractError);
            set({
              startError: { code: "internal_error", retryable: true, message: outcome.contractError.message },
            });
          }
        } finally {
          starting = false;
        }
      },

      async send(command) {
        const flow = get().flow;
        if (flow === undefined || !flow.accepts.includes(command.type)) {
          return { type: "rejected", reason: "not_accepted_now", detail: `${command.type} not offered` };
        }
        const outcome = await engine.invoke("flow.command", { flowId: flow.flowId, command });
        if (outcome.ok) return outcome.value;
        const detail = "error" in outcome ? outcome.error.message : outcome.contractError.message;
        console.error(`flow.command ${command.type} failed: ${detail}`);
        return { type: "rejected", reason: "invalid_command", detail };
      },

      async retry() {
        const { flow, flowStart } = get();
        if (flow?.phase === "error" && flow.accepts.includes("newQr")) {
          await get().send({ type: "newQr" });
          return;
        }
        if (flowStart !== undefined) await get().startFlow(flowStart);
      },

      async leaveFlow() {
        const flow = get().flow;
        const flowId = get().flowId;
        if (flowId !== undefined) left.add(flowId);
        if (flow !== undefined && flow.accepts.includes("cancel")) await get().send({ type: "cancel" });
        set({
          flowId: undefined,
          flow: undefined,
          startError: undefined,
          fullscreenQr: false,
          view: homeView(),
        });
      },

      setFullscreenQr(open) {
        set({ fullscreenQr: open });
      },

      clearOpenRequest() {
        set({ openRequest: undefined });
      },

      setDemo(demo) {
        set({ demo });
      },

      announce(text) {
        noticeId += 1;
        set({ notice: { text, id: noticeId } });
        if (noticeTimer !== undefined) clearTimeout(noticeTimer);
        noticeTimer = setTimeout(() => {
          set({ notice: undefined });
        }, 5000);
      },

      dispose() {
        for (const off of unsubscribe.splice(0)) off();
        if (noticeTimer !== undefined) clearTimeout(noticeTimer);
      },
    };
  });
}
