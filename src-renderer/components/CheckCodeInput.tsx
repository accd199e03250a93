// The check code's entry on the device that shows the QR code: two one-digit boxes that take typing, pasting
// ("42" into either box fills both) and the arrow and backspace keys, each labelled for screen readers
// ("Digit 1 of 2"). Continue is enabled only at two digits. It never knows the right code: the engine compares.
import { useRef, useState, type ClipboardEvent, type KeyboardEvent } from "react";
import { t } from "../copy/format";
import { Button } from "./ui";

const LENGTH = 2;

export interface CheckCodeInputProps {
  readonly onSubmit: (code: string) => void;
  readonly busy?: boolean;
  /** Ids of elements that describe the field (the mismatch message). */
  readonly describedBy?: string;
}

export function CheckCodeInput({ onSubmit, busy = false, describedBy }: CheckCodeInputProps) {
  const [digits, setDigits] = useState<string[]>(() => Array.from({ length: LENGTH }, () => ""));
  const boxes = useRef<(HTMLInputElement | null)[]>([]);
  const complete = digits.every((digit) => /^\d$/.test(digit));

  const focus = (index: number) => {
    boxes.current[Math.max(0, Math.min(LENGTH - 1, index))]?.focus();
  };

  /** Puts `text`'s digits into the boxes from `start` on, and moves focus after the last one placed. */
  const place = (start: number, text: string) => {
    const incoming = text.replace(/\D/g, "").split("");
    if (incoming.length === 0) return;
    const next = [...digits];
    let index = start;
    for (const digit of incoming) {
      if (index >= LENGTH) break;
      next[index] = digit;
      index++;
    }
    setDigits(next);
    focus(index >= LENGTH ? LENGTH - 1 : index);
  };

  const onKeyDown = (index: number) => (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Backspace" && digits[index] === "" && index > 0) {
      event.preventDefault();
      const next = [...digits];
      next[index - 1] = "";
      setDigits(next);
      focus(index - 1);
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      focus(index - 1);
    } else if (event.key === "ArrowRight") {
      event.preventDefault();
      focus(index + 1);
    }
  };

  const onPaste = (index: number) => (event: ClipboardEvent<HTMLInputElement>) => {
    event.preventDefault();
    place(index, event.clipboardData.getData("text"));
  };

  return (
    <form
      className="check-code-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (complete && !busy) onSubmit(digits.join(""));
      }}
    >
      <fieldset className="digit-boxes" aria-describedby={describedBy}>
        <legend className="visually-hidden">{t("phase.check_code_entry.inputLabel")}</legend>
        {digits.map((digit, index) => (
          <input
            key={index}
            ref={(element) => {
              boxes.current[index] = element;
            }}
            className="digit-box"
            inputMode="numeric"
            pattern="[0-9]"
            autoComplete="off"
            maxLength={LENGTH}
            value={digit}
            aria-label={t("phase.check_code_entry.digit", { index: index + 1, total: LENGTH })}
            onChange={(event) => {
              const value = event.target.value.replace(/\D/g, "");
              if (value.length > 1) {
                // Typed over a filled box, or an input method sent two digits at once.
                place(index, digit !== "" && value.startsWith(digit) ? value.slice(1) : value);
                return;
              }
              const next = [...digits];
              next[index] = value;
              setDigits(next);
              if (value !== "") focus(index + 1);
            }}
            onKeyDown={onKeyDown(index)}
            onPaste={onPaste(index)}
            onFocus={(event) => {
              event.target.select();
            }}
          />
        ))}
      </fieldset>
      <div className="actions">
        <Button kind="primary" type="submit" disabled={!complete || busy} busy={busy}>
          {t("action.continue")}
        </Button>
      </div>
    </form>
  );
}
