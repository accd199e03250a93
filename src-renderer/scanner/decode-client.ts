// The page's side of the QR decoder: sends pictures to the decoder worker (transferred, not copied) and gets
// the exact bytes back. One worker per scanner screen, closed with it.
import type {
  DecodeEffort,
  DecodeImage,
  DecodeRequest,
  DecodeResponse,
  DecoderReady,
} from "./decoder.worker";
import { markDecoderReady } from "./scan-timing";

export type DecodeOutcome = (
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: "not_found" | "unreadable" }
) & {
  /** The worker's time on this picture (0 when it never answered). */
  readonly ms: number;
};

export interface QrDecoder {
  /**
   * Decodes `image`, read at most `maxSide` pixels on its longer side, with every reading for a still picture or
   * the quick ones for a video frame. The image is transferred and closed.
   */
  decode(image: DecodeImage, maxSide?: number, effort?: DecodeEffort): Promise<DecodeOutcome>;
  close(): void;
}

/** The longest side an image file is scaled down to before decoding: enough for a QR code, bounded work. */
export const IMAGE_MAX_SIDE = 2048;

export function createQrDecoder(): QrDecoder {
  const worker = new Worker(new URL("./decoder.worker.ts", import.meta.url), { type: "module" });
  const pending = new Map<number, (outcome: DecodeOutcome) => void>();
  let nextId = 1;
  worker.addEventListener("message", (event: MessageEvent<DecodeResponse | DecoderReady>) => {
    const answer = event.data;
    if ("ready" in answer) {
      markDecoderReady();
      return;
    }
    const resolve = pending.get(answer.id);
    pending.delete(answer.id);
    resolve?.(
      answer.ok
        ? { ok: true, bytes: answer.bytes, ms: answer.ms }
        : { ok: false, reason: answer.reason, ms: answer.ms },
    );
  });
  worker.addEventListener("error", (event) => {
    console.error("QR decoder worker failed", event.message);
    for (const resolve of pending.values()) resolve({ ok: false, reason: "unreadable", ms: 0 });
    pending.clear();
  });
  return {
    decode(image, maxSide = IMAGE_MAX_SIDE, effort = "still") {
      const id = nextId++;
      const request: DecodeRequest = { id, image, maxSide, effort };
      return new Promise((resolve) => {
        pending.set(id, resolve);
        worker.postMessage(request, [image]);
      });
    },
    close() {
      worker.terminate();
      for (const resolve of pending.values()) resolve({ ok: false, reason: "unreadable", ms: 0 });
      pending.clear();
    },
  };
}

/** How long a decoder started ahead of a scanner waits to be taken before it is closed. */
const PREWARM_MS = 60_000;

let prewarmed: { readonly decoder: QrDecoder; readonly timer: ReturnType<typeof setTimeout> } | undefined;

/**
 * Starts a decoder worker ahead of a scanner screen (as a flow that scans starts), so that it has loaded and
 * warmed up by the camera's first frame; loading takes longer than a camera takes to start. Closed if no
 * scanner takes it within a minute.
 */
export function prewarmQrDecoder(): void {
  if (prewarmed !== undefined) return;
  const decoder = createQrDecoder();
  prewarmed = {
    decoder,
    timer: setTimeout(() => {
      decoder.close();
      prewarmed = undefined;
    }, PREWARM_MS),
  };
}

/** The decoder started ahead, or a new one. */
export function takeQrDecoder(): QrDecoder {
  if (prewarmed === undefined) return createQrDecoder();
  clearTimeout(prewarmed.timer);
  const { decoder } = prewarmed;
  prewarmed = undefined;
  return decoder;
}

/** An image file or blob as a bitmap the worker can take, scaled down when it is very large. */
export async function bitmapFromBlob(blob: Blob): Promise<ImageBitmap> {
  const full = await createImageBitmap(blob);
  const longest = Math.max(full.width, full.height);
  if (longest <= IMAGE_MAX_SIDE) return full;
  const scale = IMAGE_MAX_SIDE / longest;
  const scaled = await createImageBitmap(full, {
    resizeWidth: Math.round(full.width * scale),
    resizeHeight: Math.round(full.height * scale),
    resizeQuality: "high",
  });
  full.close();
  return scaled;
}
