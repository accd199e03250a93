// Opening the camera and capturing the screen, with the failures a user can meet named: a refused permission,
// no camera at all, a camera that will not start. Those three are `camera_unavailable` (docs/ux.md §2), whose
// screen offers the other ways to scan. Streams are stopped by whoever opened them, the moment they are no
// longer needed: a camera left on is a light left on, and a privacy leak.

/** Why the camera cannot be used: the `reason` of a `camera_unavailable` error. */
export type CameraProblem = "camera_refused" | "no_camera" | "camera_failed";

export class CameraUnavailableError extends Error {
  override readonly name = "CameraUnavailableError";
  readonly code = "camera_unavailable";
  constructor(
    readonly reason: CameraProblem,
    options?: ErrorOptions,
  ) {
    super(`camera unavailable: ${reason}`, options);
  }
}

/** Why the screen could not be captured. */
export type ScreenProblem = "refused" | "unsupported" | "failed";

export class ScreenCaptureError extends Error {
  override readonly name = "ScreenCaptureError";
  constructor(
    readonly reason: ScreenProblem,
    options?: ErrorOptions,
  ) {
    super(`screen capture failed: ${reason}`, options);
  }
}

/** The media devices API: absent outside a secure context, and in some hosts. */
function mediaDevices(): Partial<MediaDevices> | undefined {
  return (globalThis.navigator as { mediaDevices?: Partial<MediaDevices> } | undefined)?.mediaDevices;
}

/** The size asked of a camera: enough for a QR code held at arm's length, without the cost of 4K frames. */
const CAMERA_SIZE = { width: { ideal: 1280 }, height: { ideal: 720 } };

function cameraProblem(error: unknown): CameraProblem {
  if (!(error instanceof DOMException)) throw error;
  switch (error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "camera_refused";
    case "NotFoundError":
    case "OverconstrainedError":
      return "no_camera";
    default:
      // NotReadableError (in use, or a hardware fault), AbortError, and whatever a platform invents.
      return "camera_failed";
  }
}

/** Opens a camera: the one chosen, else preferably one facing away from the user. */
export async function openCamera(deviceId?: string): Promise<MediaStream> {
  const media = mediaDevices();
  if (media?.getUserMedia === undefined) throw new CameraUnavailableError("no_camera");
  try {
    return await media.getUserMedia({
      audio: false,
      video:
        deviceId === undefined
          ? { ...CAMERA_SIZE, facingMode: { ideal: "environment" } }
          : { ...CAMERA_SIZE, deviceId: { exact: deviceId } },
    });
  } catch (error) {
    throw new CameraUnavailableError(cameraProblem(error), { cause: error });
  }
}

export interface CameraChoice {
  readonly deviceId: string;
  readonly label: string;
}

/** The cameras there are (named only once the user allowed one: browsers hide labels before). */
export async function listCameras(): Promise<CameraChoice[]> {
  const media = mediaDevices();
  if (media?.enumerateDevices === undefined) return [];
  const devices = await media.enumerateDevices();
  return devices
    .filter((device) => device.kind === "videoinput" && device.deviceId !== "")
    .map((device) => ({ deviceId: device.deviceId, label: device.label }));
}

/** Asks the user for a window, tab or screen to capture (the shell or the browser shows its picker). */
export async function openScreen(): Promise<MediaStream> {
  const media = mediaDevices();
  if (media?.getDisplayMedia === undefined) throw new ScreenCaptureError("unsupported");
  try {
    return await media.getDisplayMedia({ video: { frameRate: { ideal: 10 } }, audio: false });
  } catch (error) {
    if (!(error instanceof DOMException)) throw error;
    const reason: ScreenProblem =
      error.name === "NotAllowedError"
        ? "refused"
        : error.name === "NotSupportedError"
          ? "unsupported"
          : "failed";
    throw new ScreenCaptureError(reason, { cause: error });
  }
}

/** Stops every track of a stream: the camera's light goes off, the screen stops being shared. */
export function stopStream(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}

/** The camera chosen last on this computer (a per-machine choice, not a profile setting). */
const CAMERA_KEY = "matrix-qr-login.camera";

export function rememberedCamera(): string | undefined {
  try {
    return localStorage.getItem(CAMERA_KEY) ?? undefined;
  } catch (error) {
    console.warn("the camera choice could not be read", error);
    return undefined;
  }
}

export function rememberCamera(deviceId: string): void {
  try {
    localStorage.setItem(CAMERA_KEY, deviceId);
  } catch (error) {
    console.warn("the camera choice could not be saved", error);
  }
}
