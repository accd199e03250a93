// Small building blocks every screen uses: buttons that say their action, a text field with its label and
// hint, a progress ring, a modal dialog, a copy button, and `Msg` for catalogue text with elements in it.
import { useEffect, useId, useRef, useState, type ButtonHTMLAttributes, type ReactNode } from "react";
import { Copy } from "lucide-react";
import { useApp } from "../app-context";
import { parts, t, type PlainKey } from "../copy/format";
import type { MessageKey } from "../copy/messages";

type ButtonKind = "primary" | "secondary" | "quiet" | "danger";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  readonly kind?: ButtonKind;
  readonly icon?: ReactNode;
  readonly busy?: boolean;
}

export function Button({
  kind = "secondary",
  icon,
  busy = false,
  children,
  className,
  ...rest
}: ButtonProps) {
  return (
    <button
      type="button"
      {...rest}
      className={["button", `button-${kind}`, className].filter(Boolean).join(" ")}
      aria-busy={busy || undefined}
    >
      {busy ? <span className="spinner" aria-hidden="true" /> : icon}
      <span>{children}</span>
    </button>
  );
}

/** Catalogue text with elements where its placeholders stand ("Allow {device}" with the device in bold). */
export function Msg({
  k,
  values,
}: {
  readonly k: MessageKey;
  readonly values: Readonly<Record<string, ReactNode>>;
}) {
  return (
    <>
      {parts(k).map((part, index) =>
        "text" in part ? (
          <span key={index}>{part.text}</span>
        ) : (
          <span key={index}>{values[part.name] ?? `{${part.name}}`}</span>
        ),
      )}
    </>
  );
}

export interface FieldProps {
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly hint?: ReactNode;
  readonly placeholder?: string;
  readonly type?: "text" | "password" | "url";
  readonly autoComplete?: string;
  readonly spellCheck?: boolean;
  readonly onEnter?: () => void;
  readonly mono?: boolean;
  readonly autoFocus?: boolean;
}

export function Field({
  label,
  value,
  onChange,
  hint,
  placeholder,
  type = "text",
  autoComplete,
  spellCheck,
  onEnter,
  mono,
  autoFocus,
}: FieldProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className={mono === true ? "mono" : undefined}
        type={type}
        value={value}
        placeholder={placeholder}
        autoComplete={autoComplete ?? "off"}
        spellCheck={spellCheck ?? false}
        autoCapitalize="off"
        autoFocus={autoFocus}
        aria-describedby={hint === undefined ? undefined : `${id}-hint`}
        onChange={(event) => {
          onChange(event.target.value);
        }}
        onKeyDown={(event) => {
          if (event.key === "Enter" && onEnter !== undefined) {
            event.preventDefault();
            onEnter();
          }
        }}
      />
      {hint === undefined ? null : (
        <div className="field-hint" id={`${id}-hint`}>
          {hint}
        </div>
      )}
    </div>
  );
}

/** A ring that turns while the app waits (still under reduced motion), with what it waits for. */
export function ProgressRing({ label, large = false }: { readonly label: string; readonly large?: boolean }) {
  return (
    <div className={large ? "progress progress-large" : "progress"} role="status">
      <svg className="progress-ring" viewBox="0 0 48 48" aria-hidden="true">
        <circle className="progress-track" cx="24" cy="24" r="20" />
        <circle className="progress-arc" cx="24" cy="24" r="20" />
      </svg>
      <span className="progress-label">{label}</span>
    </div>
  );
}

export interface DialogProps {
  readonly title: string;
  readonly onClose: () => void;
  readonly children: ReactNode;
  readonly actions?: ReactNode;
  readonly className?: string;
}

/** A modal dialog (the platform's <dialog>: focus moves in, Escape closes, the page behind is inert). */
export function Dialog({ title, onClose, children, actions, className }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
    return () => {
      dialog?.close();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={["dialog", className].filter(Boolean).join(" ")}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId} className="dialog-title">
        {title}
      </h2>
      <div className="dialog-body">{children}</div>
      <div className="actions">
        {actions}
        <Button kind={actions === undefined ? "primary" : "secondary"} onClick={onClose}>
          {t("action.close")}
        </Button>
      </div>
    </dialog>
  );
}

/** Copies `text` to the clipboard and says so in the live region. */
export function useCopy(): (text: string, done?: PlainKey) => Promise<void> {
  const announce = useApp((state) => state.announce);
  return async (text, done = "action.copied") => {
    try {
      await navigator.clipboard.writeText(text);
      announce(t(done));
    } catch (error) {
      console.warn("clipboard write refused", error);
      announce(t("action.copyFailed"));
    }
  };
}

export function CopyButton({
  text,
  label,
  kind = "quiet",
}: {
  readonly text: string;
  readonly label: string;
  readonly kind?: ButtonKind;
}) {
  const copy = useCopy();
  return (
    <Button
      kind={kind}
      icon={<Copy aria-hidden="true" size={18} />}
      onClick={() => {
        void copy(text);
      }}
    >
      {label}
    </Button>
  );
}

/** Minutes and seconds, "0:48". */
export function clock(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  return `${minutes}:${String(total % 60).padStart(2, "0")}`;
}

/** Re-renders every `ms` milliseconds while mounted, returning the current time. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now());
    }, ms);
    return () => {
      clearInterval(timer);
    };
  }, [ms, setNow]);
  return now;
}
