// The sign-in QR code drawn as SVG from its module matrix: dark on white in every theme, a 4-module quiet zone,
// a whole number of pixels per module (a fractional size blurs module edges and costs phone cameras their
// grip), crisp edges. The matrix comes from the exact bytes (matrix.ts).
import { useLayoutEffect, useMemo, useRef } from "react";
import {
  QUIET_ZONE,
  base64ToBytes,
  modulePath,
  pixelsPerModule,
  qrMatrix,
  type ErrorCorrection,
} from "./matrix";

export interface QrCodeProps {
  /** The QR code's bytes, standard base64. */
  readonly bytes: string;
  readonly level: ErrorCorrection;
  /** The room for the symbol and its quiet zone, in CSS pixels; the drawing takes the largest whole module size. */
  readonly available: number;
  /** What a screen reader says instead. */
  readonly label: string;
}

export function QrCode({ bytes, level, available, label }: QrCodeProps) {
  const matrix = useMemo(() => qrMatrix(base64ToBytes(bytes), level), [bytes, level]);
  const path = useMemo(() => modulePath(matrix), [matrix]);
  const total = matrix.size + 2 * QUIET_ZONE;
  const px = pixelsPerModule(matrix, available);
  const ref = useRef<SVGSVGElement>(null);
  useSnapToPixels(ref);
  return (
    <svg
      ref={ref}
      className="qr-code"
      role="img"
      aria-label={label}
      width={total * px}
      height={total * px}
      viewBox={`0 0 ${total} ${total}`}
      shapeRendering="crispEdges"
      data-modules={matrix.size}
      data-module-px={px}
      data-quiet-zone={QUIET_ZONE}
    >
      <rect width={total} height={total} fill="#ffffff" />
      <path d={path} fill="#000000" />
    </svg>
  );
}

/**
 * Moves the element by less than a pixel so that its top-left corner sits on a device pixel: centring puts it
 * on half pixels as often as not, and then every module edge falls inside a pixel and blurs. Runs again when
 * the layout changes size, and when the element itself first gets a box (inside a dialog that opens after it
 * mounted, as the full-screen QR does).
 */
function useSnapToPixels(ref: { readonly current: SVGSVGElement | null }): void {
  useLayoutEffect(() => {
    const element = ref.current;
    if (element === null) return;
    const snap = () => {
      element.style.left = "0px";
      element.style.top = "0px";
      const rect = element.getBoundingClientRect();
      const ratio = window.devicePixelRatio || 1;
      element.style.left = `${Math.round(rect.x * ratio) / ratio - rect.x}px`;
      element.style.top = `${Math.round(rect.y * ratio) / ratio - rect.y}px`;
    };
    snap();
    const observer = new ResizeObserver(snap);
    observer.observe(document.documentElement);
    observer.observe(element);
    window.addEventListener("resize", snap);
    return () => {
      observer.disconnect();
      window.removeEventListener("resize", snap);
    };
  }, [ref]);
}
