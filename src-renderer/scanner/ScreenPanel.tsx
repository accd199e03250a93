// The screen as a scanner source: the user picks a window, a browser tab or a whole screen (the shell's or the
// browser's own picker, behind the screen-capture permission), a small preview shows what is shared, and its
// frames go to the decoder until a QR code is found. Sharing stops then, when the user stops it, when the flow
// stops taking a scan, and when the panel closes.
import { useEffect, useState } from "react";
import { MonitorUp } from "lucide-react";
import { Button } from "../components/ui";
import { t } from "../copy/format";
import type { QrDecoder } from "./decode-client";
import { ScreenCaptureError, openScreen, stopStream, type ScreenProblem } from "./media";
import { useStreamScan } from "./use-stream-scan";

/** The longest side a shared screen is decoded at: a QR code is a small part of a whole screen. */
export const SCREEN_MAX_SIDE = 1920;

/** A shared screen is still and sharp: every fifth frame is worth every reading (decoder.worker.ts). */
const SCREEN_STILL_EVERY = 5;

type ScreenState =
  | { readonly kind: "idle" }
  | { readonly kind: "choosing"; readonly pending: Promise<MediaStream> }
  | { readonly kind: "live"; readonly stream: MediaStream }
  | { readonly kind: "found" }
  | { readonly kind: "failed"; readonly reason: ScreenProblem };

const FAILURE_COPY = {
  refused: "scanner.screen.refused",
  unsupported: "scanner.screen.unsupported",
  failed: "scanner.screen.failed",
} as const;

export interface ScreenPanelProps {
  readonly enabled: boolean;
  readonly getDecoder: () => QrDecoder;
  readonly onBytes: (bytes: Uint8Array) => void;
  /** A capture already asked for by the click that opened this panel (the picker needs a user's gesture). */
  readonly pending: Promise<MediaStream> | undefined;
}

export function ScreenPanel({ enabled, getDecoder, onBytes, pending }: ScreenPanelProps) {
  const [state, setState] = useState<ScreenState>(() =>
    pending === undefined ? { kind: "idle" } : { kind: "choosing", pending },
  );

  // The picker's answer.
  useEffect(() => {
    if (state.kind !== "choosing") return;
    let current = true;
    state.pending.then(
      (stream) => {
        if (!current) {
          stopStream(stream);
          return;
        }
        stream.getVideoTracks()[0]?.addEventListener("ended", () => {
          // Stopped from the shell's or the browser's own "Stop sharing".
          setState((now) => (now.kind === "live" && now.stream === stream ? { kind: "idle" } : now));
        });
        setState({ kind: "live", stream });
      },
      (error: unknown) => {
        if (!current) return;
        if (error instanceof ScreenCaptureError) {
          console.warn(error.message, error.cause);
          setState({ kind: "failed", reason: error.reason });
        } else {
          console.error("the screen could not be captured", error);
          setState({ kind: "failed", reason: "failed" });
        }
      },
    );
    return () => {
      current = false;
    };
  }, [state]);

  // Sharing ends with the live state: found, stopped, another screen, or the flow no longer scanning.
  const live = state.kind === "live" ? state.stream : undefined;
  useEffect(() => {
    if (live === undefined) return;
    if (!enabled) {
      stopStream(live);
      return;
    }
    return () => {
      stopStream(live);
    };
  }, [live, enabled]);

  const { videoRef, live: showing } = useStreamScan({
    stream: enabled ? live : undefined,
    maxSide: SCREEN_MAX_SIDE,
    stillEvery: SCREEN_STILL_EVERY,
    getDecoder,
    onBytes: (bytes) => {
      setState({ kind: "found" });
      onBytes(bytes);
    },
  });

  const start = () => {
    setState({ kind: "choosing", pending: openScreen() });
  };

  const status =
    state.kind === "choosing"
      ? t("scanner.screen.starting")
      : state.kind === "live" && showing
        ? t("scanner.screen.live")
        : state.kind === "found"
          ? t("scanner.screen.found")
          : state.kind === "failed"
            ? t(FAILURE_COPY[state.reason])
            : "";
  return (
    <div className="screen-source">
      <div className={state.kind === "live" ? "screen-preview screen-preview-live" : "screen-preview"}>
        <video ref={videoRef} className="screen-preview-video" muted playsInline aria-hidden="true" />
        {state.kind === "live" ? null : (
          <div className="screen-preview-idle">
            <MonitorUp aria-hidden="true" size={40} className="drop-icon" />
            <p className="drop-title">{t("scanner.screen.title")}</p>
            <p className="drop-hint">{t("scanner.screen.body")}</p>
          </div>
        )}
      </div>
      <p className={state.kind === "failed" ? "scan-status scan-status-error" : "scan-status"} role="status">
        {status}
      </p>
      <div className="actions">
        {state.kind === "live" ? (
          <Button
            onClick={() => {
              setState({ kind: "idle" });
            }}
          >
            {t("scanner.screen.stop")}
          </Button>
        ) : (
          <Button kind="primary" disabled={!enabled || state.kind === "choosing"} onClick={start}>
            {t("scanner.screen.start")}
          </Button>
        )}
      </div>
    </div>
  );
}
