// The renderer's entry: bundled fonts and styles, the engine (the host's, or the fake one with sample data),
// the store, and the app.
import "./zod-config";
import "@fontsource/inter/400.css";
import "@fontsource/inter/500.css";
import "@fontsource/inter/600.css";
import "@fontsource/inter/700.css";
import "@fontsource/inconsolata/500.css";
import "@fontsource/inconsolata/700.css";
import "./styles/tokens.css";
import "./styles/app.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { StoreContext } from "./app-context";
import { resetDemoState } from "./demo/demo-state";
import { obtainEngine } from "./engine";
import { createAppStore } from "./store";
import type { ViewName } from "./views";

/** Renders the app on the engine this page's address names; returns how to take it down again. */
async function mount(container: HTMLElement): Promise<{ preview: boolean; unmount: () => void }> {
  const { engine, preview } = await obtainEngine(window);
  const store = createAppStore(engine, preview);
  const fake = (
    window as Window & { matrixQrLoginPreview?: { initialView?: ViewName; fullscreen?: boolean } }
  ).matrixQrLoginPreview;
  const root = createRoot(container);
  root.render(
    <StrictMode>
      <StoreContext value={store}>
        <App />
      </StoreContext>
    </StrictMode>,
  );
  await store.getState().init({
    ...(fake?.initialView === undefined ? {} : { initialView: fake.initialView }),
    fullscreen: fake?.fullscreen === true,
  });
  document.documentElement.dataset["ready"] = "true";
  return {
    preview,
    unmount: () => {
      root.unmount();
    },
  };
}

declare global {
  interface Window {
    /**
     * On a preview page only (sample data, no engine behind it): starts the app over on the sample data another
     * query names (`?canned=…&theme=…`), as a new page load would, without one. The e2e tests walk every canned
     * screen this way: a page load per screen (the bundle, the fonts, axe-core) was most of their time.
     */
    matrixQrLoginPreviewOpen?: (search: string) => Promise<void>;
  }
}

async function start(): Promise<void> {
  const container = document.getElementById("root");
  if (!container) throw new Error("index.html has no #root element");
  let app = await mount(container);
  if (!app.preview) return;
  window.matrixQrLoginPreviewOpen = async (search) => {
    app.unmount();
    delete document.documentElement.dataset["ready"];
    delete document.documentElement.dataset["theme"];
    document.documentElement.removeAttribute("style");
    window.scrollTo(0, 0);
    history.replaceState(null, "", `${location.pathname}${search}`);
    resetDemoState();
    app = await mount(container);
  };
}

void start();
