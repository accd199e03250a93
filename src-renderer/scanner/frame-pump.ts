// Feeds a live video (a camera or a shared screen) to the QR decoder worker: one frame every SCAN_INTERVAL_MS,
// with at most one frame in flight, so a slow decode lowers the rate instead of queueing frames. A frame leaves
// the page as a VideoFrame, which costs the page's thread almost nothing (a reference to the decoded frame);
// the worker reads its pixels. (createImageBitmap on a <video> copies and converts the frame on the page's
// thread: 11 to 32 ms per frame in Chromium without a GPU, measured, against a budget of 4 ms.)
import type { QrDecoder } from "./decode-client";
import type { DecodeImage } from "./decoder.worker";
import { SCAN_MEASURE, markFirstDecode, markFirstFrame, recordWorker, timed } from "./scan-timing";

/** The time between two frames sent to the decoder: 10 per second, as fast as a decode usually takes. */
export const SCAN_INTERVAL_MS = 100;

export interface FramePumpOptions {
  readonly video: HTMLVideoElement;
  readonly decoder: QrDecoder;
  /** The longest side a frame is decoded at. */
  readonly maxSide: number;
  /** Called once, with the bytes of the first QR code found; the pump has stopped by then. */
  readonly onBytes: (bytes: Uint8Array) => void;
  /** Called once, when the video shows its first frame. */
  readonly onFirstFrame?: () => void;
  readonly intervalMs?: number;
  /** Every so many frames, one is read as a still picture (every reading; slow on a textured scene). */
  readonly stillEvery?: number;
}

export interface FramePump {
  stop(): void;
}

/** The video's current frame, or undefined when it has none yet. */
function grabFrame(video: HTMLVideoElement): DecodeImage | Promise<ImageBitmap> | undefined {
  if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0) return undefined;
  if (typeof VideoFrame === "function") {
    try {
      return new VideoFrame(video);
    } catch (error) {
      // The element can lose its frame between the check above and here (a track ending): skip this tick.
      if (error instanceof DOMException && error.name === "InvalidStateError") return undefined;
      throw error;
    }
  }
  return createImageBitmap(video);
}

export function startFramePump(options: FramePumpOptions): FramePump {
  const { video, decoder, maxSide, onBytes } = options;
  let stopped = false;
  let inFlight = false;
  let frames = 0;
  let sawFirstFrame = false;

  // The pump runs only once the video shows a frame: a camera takes hundreds of ms to start, and every tick
  // before its first frame was page-thread work that found nothing to scan.
  let timer: ReturnType<typeof setInterval> | undefined;

  const stop = () => {
    stopped = true;
    clearInterval(timer);
    video.removeEventListener("loadeddata", onFirstFrame);
  };

  const tick = () => {
    if (stopped || inFlight) return;
    const frame = frames + 1;
    const grabbed = timed(SCAN_MEASURE.grab, frame, () => grabFrame(video));
    if (grabbed === undefined) return;
    frames = frame;
    inFlight = true;
    void Promise.resolve(grabbed)
      .then((image) => {
        if (stopped) {
          image.close();
          return undefined;
        }
        const still = options.stillEvery !== undefined && frame % options.stillEvery === 0;
        return timed(SCAN_MEASURE.post, frame, () =>
          decoder.decode(image, maxSide, still ? "still" : "frame"),
        );
      })
      .then(
        (outcome) => {
          const found = timed(SCAN_MEASURE.answer, frame, () => {
            inFlight = false;
            if (outcome === undefined || stopped) return undefined;
            recordWorker(frame, outcome.ms);
            if (!outcome.ok) return undefined;
            stop();
            markFirstDecode();
            return outcome.bytes;
          });
          if (found !== undefined) onBytes(found);
        },
        (error: unknown) => {
          inFlight = false;
          console.error("a video frame could not be scanned", error);
        },
      );
  };

  function onFirstFrame() {
    if (sawFirstFrame || stopped) return;
    sawFirstFrame = true;
    markFirstFrame();
    timer = setInterval(tick, options.intervalMs ?? SCAN_INTERVAL_MS);
    options.onFirstFrame?.();
    tick();
  }

  // The first frame is scanned as soon as it shows, not at the next tick. A video frame callback runs inside the
  // page's rendering step: the scan starts in a task of its own, so that it does not lengthen that frame's paint.
  if (typeof video.requestVideoFrameCallback === "function") {
    video.requestVideoFrameCallback(() => {
      setTimeout(onFirstFrame, 0);
    });
  }
  video.addEventListener("loadeddata", onFirstFrame);
  if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) onFirstFrame();
  return { stop };
}
