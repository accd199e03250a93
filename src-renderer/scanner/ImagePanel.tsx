// An image as a scanner source: dropped here, chosen with the file picker, or pasted anywhere on the scanning
// screen (the scanner routes a paste here). Each image goes to the decoder worker whole (scaled down only
// when very large).
import { useId, useState, type DragEvent, type RefObject } from "react";
import { ImageUp } from "lucide-react";
import { t, type PlainKey } from "../copy/format";
import { bitmapFromBlob, type QrDecoder } from "./decode-client";

type Status = { readonly key: PlainKey; readonly tone: "info" | "error" } | undefined;

export interface ImageScan {
  readonly scan: (blob: Blob) => Promise<void>;
  readonly status: Status;
  readonly busy: boolean;
}

/** Scans one image at a time and keeps what the user should read about it. */
export function useImageScan(
  getDecoder: () => QrDecoder,
  onBytes: (bytes: Uint8Array) => void,
  enabled: boolean,
): ImageScan {
  const [status, setStatus] = useState<Status>(undefined);
  const [busy, setBusy] = useState(false);
  const scan = async (blob: Blob) => {
    if (!enabled) return;
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
      const outcome = await getDecoder().decode(bitmap);
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
  return { scan, status, busy };
}

export interface ImagePanelProps {
  readonly enabled: boolean;
  readonly image: ImageScan;
  /** The file input, so that another panel's "Use an image" can open the picker. */
  readonly inputRef: RefObject<HTMLInputElement | null>;
}

export function ImagePanel({ enabled, image, inputRef }: ImagePanelProps) {
  const [dragging, setDragging] = useState(false);
  const inputId = useId();
  const statusId = useId();
  const { scan, status, busy } = image;

  const onDrop = (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    setDragging(false);
    const file = [...event.dataTransfer.files][0];
    if (file !== undefined) void scan(file);
  };

  return (
    <div
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
        ref={inputRef}
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
    </div>
  );
}
