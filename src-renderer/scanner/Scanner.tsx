// The scanner: where a QR code's picture comes in. Its sources today are images (dropped, chosen, or pasted
// from the clipboard); the camera and the screen join the `sources` list later, each with its own panel. Every
// image goes to the decoder worker, and only exact bytes come out (decoder.worker.ts).
import { useEffect, useId, useRef, useState, type DragEvent } from "react";
import { ImageUp } from "lucide-react";
import { t } from "../copy/format";
import type { PlainKey } from "../copy/format";
import { bitmapFromBlob, createQrDecoder, type QrDecoder } from "./decode-client";

/** Where a picture of a QR code can come from. Only `image` exists so far. */
export type ScanSource = "image";

export interface ScannerProps {
  readonly sources: readonly ScanSource[];
  /** Called with the exact bytes of the first QR code found. */
  readonly onBytes: (bytes: Uint8Array) => void;
  /** False once the flow no longer takes a scan (the bytes were sent). */
  readonly enabled: boolean;
}

type Status = { readonly key: PlainKey; readonly tone: "info" | "error" } | undefined;

export function Scanner({ sources, onBytes, enabled }: ScannerProps) {
  const decoder = useRef<QrDecoder | undefined>(undefined);
  const [status, setStatus] = useState<Status>(undefined);
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const inputId = useId();
  const statusId = useId();

  useEffect(() => {
    const created = createQrDecoder();
    decoder.current = created;
    return () => {
      created.close();
      decoder.current = undefined;
    };
  }, []);

  const scan = async (blob: Blob) => {
    if (!enabled || decoder.current === undefined) return;
    if (!blob.type.startsWith("image/")) {
      setStatus({ key: "scanner.notImage", tone: "error" });
      return;
    }
    setBusy(true);
    setStatus({ key: "scanner.reading", tone: "info" });
    try {
      let bitmap: ImageBitmap;
      try {
        bitmap = await bitmapFromBlob(blob);
      } catch (error) {
        console.warn("image could not be opened", error);
        setStatus({ key: "scanner.unreadable", tone: "error" });
        return;
      }
      const outcome = await decoder.current.decode(bitmap);
      if (outcome.ok) {
        setStatus({ key: "scanner.found", tone: "info" });
        onBytes(outcome.bytes);
      } else {
        setStatus({
          key: outcome.reason === "not_found" ? "scanner.notFound" : "scanner.unreadable",
          tone: "error",
        });
      }
    } finally {
      setBusy(false);
    }
  };

  // A pasted image anywhere on the screen is scanned (Ctrl+V after a screenshot to the clipboard).
  const scanRef = useRef(scan);
  useEffect(() => {
    scanRef.current = scan;
  });
  useEffect(() => {
    if (!sources.includes("image")) return;
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find((item) => item.type.startsWith("image/"));
      if (file === undefined) return;
      event.preventDefault();
      void scanRef.current(file);
    };
    document.addEventListener("paste", onPaste);
    return () => {
      document.removeEventListener("paste", onPaste);
    };
  }, [sources]);

  if (!sources.includes("image")) return null;

  const onDrop = (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    setDragging(false);
    const file = [...event.dataTransfer.files][0];
    if (file !== undefined) void scan(file);
  };

  return (
    <section
      className={dragging ? "drop-zone drop-zone-active" : "drop-zone"}
      aria-describedby={statusId}
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => {
        setDragging(false);
      }}
      onDrop={onDrop}
    >
      <ImageUp aria-hidden="true" size={40} className="drop-icon" />
      <p className="drop-title">{t("scanner.dropTitle")}</p>
      <p className="drop-hint">{t("scanner.dropHint", { shortcut: t("scanner.pasteShortcut") })}</p>
      <input
        id={inputId}
        className="visually-hidden file-input"
        type="file"
        accept="image/*"
        disabled={!enabled || busy}
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = "";
          if (file !== undefined) void scan(file);
        }}
      />
      <label
        htmlFor={inputId}
        className={!enabled || busy ? "button button-primary button-disabled" : "button button-primary"}
      >
        <span>{t("scanner.choose")}</span>
      </label>
      <p
        id={statusId}
        className={status?.tone === "error" ? "scan-status scan-status-error" : "scan-status"}
        role="status"
      >
        {status === undefined ? "" : t(status.key)}
      </p>
    </section>
  );
}
