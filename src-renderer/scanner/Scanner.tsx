// The scanner: where a QR code's picture comes in, from the camera (the first choice, as in a phone's app), a
// window or screen of this computer, or an image (dropped, chosen, or pasted anywhere on the screen). One tab per
// source; the open tab's source runs, the others are off (a camera only runs while its tab is open). Every
// picture goes to one decoder worker, and only exact bytes come out (decoder.worker.ts).
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { flushSync } from "react-dom";
import { Camera, ImageUp, MonitorUp } from "lucide-react";
import type { FlowRole } from "../../src-shared/flow";
import { useApp } from "../app-context";
import { t, type PlainKey } from "../copy/format";
import { pictureBlob } from "../demo/LocalDemo";
import { CameraPanel } from "./CameraPanel";
import { ImagePanel, useImageScan } from "./ImagePanel";
import { openScreen } from "./media";
import { ScreenPanel } from "./ScreenPanel";
import { useQrDecoder } from "./use-stream-scan";

/** Where a picture of a QR code can come from. */
export type ScanSource = "camera" | "screen" | "image";

const TAB: Record<ScanSource, { readonly label: PlainKey; readonly icon: ReactNode }> = {
  camera: { label: "scanner.source.camera", icon: <Camera aria-hidden="true" size={18} /> },
  screen: { label: "scanner.source.screen", icon: <MonitorUp aria-hidden="true" size={18} /> },
  image: { label: "scanner.source.image", icon: <ImageUp aria-hidden="true" size={18} /> },
};

export interface ScannerProps {
  readonly sources: readonly ScanSource[];
  /** This device's role in the flow (the camera's error copy depends on it). */
  readonly role: FlowRole;
  /** Called with the exact bytes of the first QR code found. */
  readonly onBytes: (bytes: Uint8Array) => void;
  /** False once the flow no longer takes a scan (the bytes were sent): every source stops. */
  readonly enabled: boolean;
  /** Starts the other side of this flow (this device shows a QR code), offered when the camera fails. */
  readonly onShowQrInstead?: () => void;
}

export function Scanner({ sources, role, onBytes, enabled, onShowQrInstead }: ScannerProps) {
  const getDecoder = useQrDecoder();
  const [source, setSource] = useState<ScanSource>(sources[0] ?? "image");
  const [pendingScreen, setPendingScreen] = useState<Promise<MediaStream> | undefined>(undefined);
  const image = useImageScan(getDecoder, onBytes, enabled);
  const fileInput = useRef<HTMLInputElement>(null);
  const tabs = useRef(new Map<ScanSource, HTMLButtonElement>());
  const baseId = useId();

  // A pasted image anywhere on the screen is scanned (Ctrl+V after a screenshot to the clipboard).
  const pasteRef = useRef<(file: File) => void>(() => undefined);
  useEffect(() => {
    pasteRef.current = (file) => {
      setSource("image");
      void image.scan(file);
    };
  });
  useEffect(() => {
    if (!sources.includes("image")) return;
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find((item) => item.type.startsWith("image/"));
      if (file === undefined) return;
      event.preventDefault();
      pasteRef.current(file);
    };
    document.addEventListener("paste", onPaste);
    return () => {
      document.removeEventListener("paste", onPaste);
    };
  }, [sources]);

  // The local demo's other window sent a picture of its QR code: scanned as an image, by the same decoder.
  const demoScan = useApp((state) => state.demoScan);
  const scanned = useRef(demoScan?.id);
  useEffect(() => {
    if (demoScan === undefined || scanned.current === demoScan.id || !enabled) return;
    scanned.current = demoScan.id;
    pasteRef.current(new File([pictureBlob(demoScan.png)], "qr.png", { type: "image/png" }));
  }, [demoScan, enabled]);

  const select = (next: ScanSource) => {
    if (next !== "screen") setPendingScreen(undefined);
    setSource(next);
  };

  // Tabs as in the WAI-ARIA pattern: one tab stop, the arrows (and Home, End) move between them and open them.
  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    const index = sources.indexOf(source);
    const target =
      event.key === "ArrowRight"
        ? sources[(index + 1) % sources.length]
        : event.key === "ArrowLeft"
          ? sources[(index - 1 + sources.length) % sources.length]
          : event.key === "Home"
            ? sources[0]
            : event.key === "End"
              ? sources[sources.length - 1]
              : undefined;
    if (target === undefined) return;
    event.preventDefault();
    select(target);
    tabs.current.get(target)?.focus();
  };

  const panelId = `${baseId}-panel`;
  const tabId = (name: ScanSource) => `${baseId}-tab-${name}`;
  return (
    <section className="scanner" aria-label={t("scanner.sources")}>
      {sources.length > 1 ? (
        <div className="scanner-tabs" role="tablist" aria-label={t("scanner.sources")}>
          {sources.map((name) => (
            <button
              key={name}
              ref={(element) => {
                if (element === null) tabs.current.delete(name);
                else tabs.current.set(name, element);
              }}
              type="button"
              role="tab"
              id={tabId(name)}
              className="scanner-tab"
              aria-selected={source === name}
              aria-controls={panelId}
              tabIndex={source === name ? 0 : -1}
              onClick={() => {
                select(name);
              }}
              onKeyDown={onTabKey}
            >
              {TAB[name].icon}
              <span>{t(TAB[name].label)}</span>
            </button>
          ))}
        </div>
      ) : null}
      <div
        className="scanner-panel"
        id={panelId}
        {...(sources.length > 1 ? { role: "tabpanel", "aria-labelledby": tabId(source) } : {})}
        data-source={source}
      >
        {source === "camera" ? (
          <CameraPanel
            role={role}
            enabled={enabled}
            getDecoder={getDecoder}
            onBytes={onBytes}
            onShowQrInstead={onShowQrInstead}
            onUseScreen={() => {
              // Asked for here, in the click: the screen picker needs a user's gesture.
              setPendingScreen(openScreen());
              setSource("screen");
            }}
            onUseImage={() => {
              flushSync(() => {
                select("image");
              });
              fileInput.current?.focus();
            }}
          />
        ) : source === "screen" ? (
          <ScreenPanel enabled={enabled} getDecoder={getDecoder} onBytes={onBytes} pending={pendingScreen} />
        ) : (
          <ImagePanel enabled={enabled} image={image} inputRef={fileInput} />
        )}
      </div>
    </section>
  );
}
