// Hooks the scanner's sources share: one decoder worker per scanner (created when first needed, closed with the
// scanner), and a live stream shown in a <video> and fed to that worker until a QR code is found, when the
// stream is stopped at once.
import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import { takeQrDecoder, type QrDecoder } from "./decode-client";
import { startFramePump } from "./frame-pump";
import { stopStream } from "./media";

/**
 * A getter for this scanner's decoder worker: the one started ahead of the screen (prewarmQrDecoder), or one
 * started with the scanner, while the camera starts. It is terminated when the scanner unmounts.
 */
export function useQrDecoder(): () => QrDecoder {
  const [holder] = useState<{ decoder: QrDecoder | undefined }>(() => ({ decoder: undefined }));
  useEffect(() => {
    holder.decoder ??= takeQrDecoder();
    return () => {
      holder.decoder?.close();
      holder.decoder = undefined;
    };
  }, [holder]);
  return useCallback(() => (holder.decoder ??= takeQrDecoder()), [holder]);
}

export interface StreamScanOptions {
  /** The stream to show and scan; undefined shows and scans nothing. */
  readonly stream: MediaStream | undefined;
  readonly maxSide: number;
  /** Every so many frames, one is read as a still picture (see FramePumpOptions). */
  readonly stillEvery?: number;
  readonly getDecoder: () => QrDecoder;
  /** The bytes of the QR code found; the stream has been stopped by then. */
  readonly onBytes: (bytes: Uint8Array) => void;
}

export function useStreamScan({ stream, maxSide, stillEvery, getDecoder, onBytes }: StreamScanOptions): {
  readonly videoRef: RefObject<HTMLVideoElement | null>;
  /** The stream shows its first frame. */
  readonly live: boolean;
} {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [showing, setShowing] = useState<MediaStream | undefined>(undefined);
  const onBytesRef = useRef(onBytes);
  useEffect(() => {
    onBytesRef.current = onBytes;
  });
  useEffect(() => {
    const video = videoRef.current;
    if (video === null || stream === undefined) return;
    video.srcObject = stream;
    video.play().catch((error: unknown) => {
      // Replacing or removing the stream interrupts play(); anything else is worth knowing.
      if (!(error instanceof DOMException && error.name === "AbortError")) {
        console.warn("the video preview did not start", error);
      }
    });
    const pump = startFramePump({
      video,
      decoder: getDecoder(),
      maxSide,
      ...(stillEvery === undefined ? {} : { stillEvery }),
      onFirstFrame: () => {
        setShowing(stream);
      },
      onBytes: (bytes) => {
        stopStream(stream);
        onBytesRef.current(bytes);
      },
    });
    return () => {
      pump.stop();
      video.srcObject = null;
    };
  }, [stream, maxSide, stillEvery, getDecoder]);
  return { videoRef, live: stream !== undefined && showing === stream };
}
