// The diagram's colours as values, not CSS variables: an exported SVG must carry its own colours to look the
// same in a slide deck or a browser tab, and the app's CSP allows no style element inside it. The values are the
// theme tokens of styles/tokens.css (a unit test keeps them equal).
import { useSyncExternalStore } from "react";
import { useApp } from "../app-context";

export type ThemeName = "light" | "dark";

export interface Palette {
  readonly background: string;
  readonly surface: string;
  readonly text: string;
  readonly secondary: string;
  readonly accent: string;
  readonly accentSoft: string;
  readonly critical: string;
  readonly warning: string;
  readonly border: string;
  readonly lifeline: string;
  readonly focus: string;
}

export const PALETTES: Readonly<Record<ThemeName, Palette>> = {
  light: {
    background: "#ffffff",
    surface: "#f5f6f8",
    text: "#17191d",
    secondary: "#545b66",
    accent: "#0a6e4f",
    accentSoft: "#e2f3ec",
    critical: "#b3261e",
    warning: "#7a4d00",
    border: "#d3d8df",
    lifeline: "#808895",
    focus: "#1a5fd0",
  },
  dark: {
    background: "#181c22",
    surface: "#0f1216",
    text: "#eef0f3",
    secondary: "#a9b0bb",
    accent: "#4fd1a1",
    accentSoft: "#153429",
    critical: "#ff8a80",
    warning: "#f4c26b",
    border: "#333a44",
    lifeline: "#6f7885",
    focus: "#7fb0ff",
  },
};

/** Which token each palette colour is (the test reads tokens.css by these names). */
export const PALETTE_TOKENS: Readonly<Record<keyof Palette, string>> = {
  background: "--surface",
  surface: "--bg",
  text: "--text",
  secondary: "--text-secondary",
  accent: "--accent",
  accentSoft: "--accent-soft",
  critical: "--critical",
  warning: "--warning",
  border: "--border",
  lifeline: "--border-strong",
  focus: "--focus",
};

const DARK_QUERY = "(prefers-color-scheme: dark)";

function subscribe(onChange: () => void): () => void {
  if (typeof matchMedia === "undefined") return () => undefined;
  const query = matchMedia(DARK_QUERY);
  query.addEventListener("change", onChange);
  return () => {
    query.removeEventListener("change", onChange);
  };
}

function prefersDark(): boolean {
  return typeof matchMedia !== "undefined" && matchMedia(DARK_QUERY).matches;
}

/** The theme on screen: the account's setting, or the system's for `system` (as tokens.css decides). */
export function useResolvedTheme(): ThemeName {
  const setting = useApp((state) => state.account?.settings.theme ?? "system");
  const dark = useSyncExternalStore(subscribe, prefersDark, () => false);
  if (setting === "system") return dark ? "dark" : "light";
  return setting;
}
