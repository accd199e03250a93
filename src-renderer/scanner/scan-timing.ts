// Timing of the scanning pipeline, for `npm run bench:ui`: a `performance.measure` around each step the page's
// thread does per frame (taking the frame, handing it to the worker, taking the answer), the worker's own time
// per frame, and the time from the first frame to the first decoded QR code. Off unless the page's address has
// `scan-timing` in its query: user-timing entries pile up for as long as a page lives.

export const SCAN_MEASURE = {
  /** Taking the current frame from the video (page thread). */
  grab: "scan:grab",
  /** Handing it to the worker (page thread). */
  post: "scan:post",
  /** Taking the worker's answer (page thread). */
  answer: "scan:answer",
  /** The worker's time on the frame (recorded by the page from the worker's answer). */
  worker: "scan:worker",
  /** From the first frame shown to the first QR code decoded. */
  firstDecode: "scan:first-decode",
} as const;

export const FIRST_FRAME_MARK = "scan:first-frame";
/** The decoder worker has loaded and warmed up. */
export const DECODER_READY_MARK = "scan:decoder-ready";

const enabled = typeof location !== "undefined" && new URLSearchParams(location.search).has("scan-timing");

/** Runs `step`, recording its duration under `name` for frame number `frame` when timing is on. */
export function timed<T>(name: string, frame: number, step: () => T): T {
  if (!enabled) return step();
  const start = performance.now();
  try {
    return step();
  } finally {
    performance.measure(name, { start, end: performance.now(), detail: { frame } });
  }
}

/** Records the worker's time on one frame. */
export function recordWorker(frame: number, ms: number): void {
  if (!enabled) return;
  const end = performance.now();
  performance.measure(SCAN_MEASURE.worker, { start: end - ms, end, detail: { frame } });
}

export function markFirstFrame(): void {
  if (enabled) performance.mark(FIRST_FRAME_MARK);
}

export function markDecoderReady(): void {
  if (enabled) performance.mark(DECODER_READY_MARK);
}

export function markFirstDecode(): void {
  if (enabled && performance.getEntriesByName(FIRST_FRAME_MARK, "mark").length > 0) {
    performance.measure(SCAN_MEASURE.firstDecode, { start: FIRST_FRAME_MARK, end: performance.now() });
  }
}
