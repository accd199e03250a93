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
import { obtainEngine } from "./engine";
import { createAppStore } from "./store";
import type { ViewName } from "./views";

async function start(): Promise<void> {
  const container = document.getElementById("root");
  if (!container) throw new Error("index.html has no #root element");
  const { engine, preview } = await obtainEngine(window);
  const store = createAppStore(engine, preview);
  const fake = (
    window as Window & { matrixQrLoginPreview?: { initialView?: ViewName; fullscreen?: boolean } }
  ).matrixQrLoginPreview;
  createRoot(container).render(
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
}

void start();
