// The camera as a scanner source: it starts as the panel opens, shows a live preview with a frame to aim at,
// and sends frames to the decoder until a QR code is found, when the camera goes off at once. It also goes off
// when the flow stops taking a scan and when the panel closes (another source, another screen). A refused or
// missing camera is `camera_unavailable`, shown here with the other ways to go on.
import { useEffect, useId, useState } from "react";
import { CameraOff } from "lucide-react";
import type { FlowRole } from "../../src-shared/flow";
import { Button, ProgressRing } from "../components/ui";
import { errorCopy } from "../copy/errors";
import { t } from "../copy/format";
import type { QrDecoder } from "./decode-client";
import {
  CameraUnavailableError,
  listCameras,
  openCamera,
  rememberCamera,
  rememberedCamera,
  stopStream,
  type CameraChoice,
  type CameraProblem,
} from "./media";
import { useStreamScan } from "./use-stream-scan";

/** The longest side a camera frame is decoded at: 1280x720 keeps several pixels per module for a QR code
 * that fills a third of the frame, and bounds the worker's time per frame. */
export const CAMERA_MAX_SIDE = 1280;

type CameraState =
  | { readonly kind: "starting" }
  | { readonly kind: "live"; readonly stream: MediaStream }
  | { readonly kind: "unavailable"; readonly reason: CameraProblem }
  | { readonly kind: "found" };

export interface CameraPanelProps {
  readonly role: FlowRole;
  readonly enabled: boolean;
  readonly getDecoder: () => QrDecoder;
  readonly onBytes: (bytes: Uint8Array) => void;
  /** The other ways, offered when the camera cannot be used. */
  readonly onUseScreen: () => void;
  readonly onUseImage: () => void;
  readonly onShowQrInstead: (() => void) | undefined;
}

async function openPreferred(deviceId: string | undefined): Promise<MediaStream> {
  try {
    return await openCamera(deviceId);
  } catch (error) {
    // The camera chosen last time may be unplugged: any camera will do.
    if (deviceId !== undefined && error instanceof CameraUnavailableError && error.reason === "no_camera") {
      return openCamera();
    }
    throw error;
  }
}

export function CameraPanel(props: CameraPanelProps) {
  const { enabled, getDecoder, onBytes } = props;
  const [state, setState] = useState<CameraState>({ kind: "starting" });
  const [deviceId, setDeviceId] = useState<string | undefined>(() => rememberedCamera());
  const [attempt, setAttempt] = useState(0);
  const [cameras, setCameras] = useState<readonly CameraChoice[]>([]);
  const selectId = useId();

  useEffect(() => {
    if (!enabled) return;
    // Set when this camera is no longer wanted, maybe before it has even opened.
    let unwanted = false;
    const wanted = () => !unwanted;
    let opened: MediaStream | undefined;
    openPreferred(deviceId)
      .then(async (stream) => {
        opened = stream;
        if (!wanted()) {
          stopStream(stream);
          return;
        }
        setState({ kind: "live", stream });
        const list = await listCameras();
        if (wanted()) setCameras(list);
      })
      .catch((error: unknown) => {
        if (!wanted()) return;
        if (error instanceof CameraUnavailableError) {
          console.warn(error.message, error.cause);
          setState({ kind: "unavailable", reason: error.reason });
        } else {
          console.error("the camera could not be opened", error);
          setState({ kind: "unavailable", reason: "camera_failed" });
        }
      });
    return () => {
      unwanted = true;
      if (opened !== undefined) stopStream(opened);
    };
  }, [enabled, deviceId, attempt]);

  const { videoRef, live } = useStreamScan({
    stream: enabled && state.kind === "live" ? state.stream : undefined,
    maxSide: CAMERA_MAX_SIDE,
    getDecoder,
    onBytes: (bytes) => {
      setState({ kind: "found" });
      onBytes(bytes);
    },
  });

  const restart = () => {
    setState({ kind: "starting" });
    setAttempt((count) => count + 1);
  };

  if (state.kind === "unavailable")
    return <CameraUnavailable {...props} reason={state.reason} retry={restart} />;

  // Desktop cameras face the user: a mirrored preview is what people expect when they aim at it.
  const facing =
    state.kind === "live" ? state.stream.getVideoTracks()[0]?.getSettings().facingMode : undefined;
  const status = !enabled
    ? ""
    : state.kind === "found"
      ? t("scanner.camera.found")
      : live
        ? t("scanner.camera.live")
        : "";
  const chosen = state.kind === "live" ? state.stream.getVideoTracks()[0]?.getSettings().deviceId : deviceId;
  return (
    <div className="camera">
      <div className={live ? "viewfinder viewfinder-live" : "viewfinder"}>
        {/* The preview is for the eyes; the status line below says what it shows. */}
        <video
          ref={videoRef}
          className={facing === "environment" ? "viewfinder-video" : "viewfinder-video viewfinder-mirrored"}
          muted
          playsInline
          aria-hidden="true"
        />
        <div className="viewfinder-frame" aria-hidden="true" />
        {enabled && state.kind === "starting" ? (
          <div className="viewfinder-overlay">
            <ProgressRing label={t("scanner.camera.starting")} />
          </div>
        ) : null}
      </div>
      <p className="scan-status" role="status">
        {status}
      </p>
      {cameras.length > 1 && state.kind !== "found" ? (
        <div className="field camera-choice">
          <label htmlFor={selectId}>{t("scanner.camera.label")}</label>
          <select
            id={selectId}
            value={chosen ?? ""}
            onChange={(event) => {
              rememberCamera(event.target.value);
              setState({ kind: "starting" });
              setDeviceId(event.target.value);
            }}
          >
            {cameras.map((camera, index) => (
              <option key={camera.deviceId} value={camera.deviceId}>
                {camera.label === "" ? `${t("scanner.camera.label")} ${index + 1}` : camera.label}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {state.kind === "found" && enabled ? (
        <div className="actions">
          <Button onClick={restart}>{t("scanner.camera.again")}</Button>
        </div>
      ) : null}
    </div>
  );
}

function CameraUnavailable({
  role,
  reason,
  retry,
  onUseScreen,
  onUseImage,
  onShowQrInstead,
}: CameraPanelProps & { readonly reason: CameraProblem; readonly retry: () => void }) {
  const copy = errorCopy({ code: "camera_unavailable", reason }, role);
  const titleId = useId();
  return (
    <section
      className="camera-unavailable"
      aria-labelledby={titleId}
      data-error="camera_unavailable"
      data-reason={reason}
    >
      <CameraOff aria-hidden="true" size={40} className="drop-icon" />
      <h2 id={titleId} className="camera-unavailable-title">
        {t(copy.title)}
      </h2>
      <p role="alert">{t(copy.cause)}</p>
      <p className="explain">{t(copy.next)}</p>
      <div className="actions">
        {onShowQrInstead === undefined ? null : (
          <Button kind="primary" onClick={onShowQrInstead}>
            {t("action.showQrInstead")}
          </Button>
        )}
        <Button onClick={onUseScreen}>{t("scanner.useScreen")}</Button>
        <Button onClick={onUseImage}>{t("scanner.useImage")}</Button>
      </div>
      <div className="quiet-actions">
        <button type="button" className="link-button" onClick={retry}>
          {t("scanner.camera.retry")}
        </button>
      </div>
    </section>
  );
}
