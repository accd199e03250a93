// Focus after a screen change. When a new screen or phase replaces the element that had focus (the button just
// pressed), the browser drops focus to the top of the page; a keyboard user would start over from the first
// control, and a screen reader would say nothing. Focus goes to the new screen's main region instead: its
// heading is read first, and Tab continues from there.
import { useEffect } from "react";

/** Moves focus to `#content` whenever `screen` changes and nothing else holds focus. */
export function useFocusOnScreenChange(screen: string): void {
  useEffect(() => {
    const active = document.activeElement;
    if (active !== null && active !== document.body) return;
    document.getElementById("content")?.focus({ preventScroll: true });
  }, [screen]);
}
