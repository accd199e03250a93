// The app: which screen shows, the theme, the live region for short notices, and the preview banner when the
// page runs on sample data.
import { useEffect } from "react";
import { useApp } from "./app-context";
import { useFocusOnScreenChange } from "./components/focus";
import { ProgressRing } from "./components/ui";
import { t } from "./copy/format";
import { LocalDemoBar } from "./demo/LocalDemo";
import { FlowView } from "./demo/ProjectorLayout";
import { Home, LinkChoice, SettingsScreen } from "./screens/signed-in";
import { HomeserverScreen, ManualSignIn, SignInChoice, Welcome } from "./screens/signed-out";
import type { ViewName } from "./views";

export function App() {
  const status = useApp((state) => state.status);
  const view = useApp((state) => state.view);
  const theme = useApp((state) => state.account?.settings.theme ?? "system");
  const preview = useApp((state) => state.preview);
  const notice = useApp((state) => state.notice);
  const phase = useApp((state) => state.flow?.phase);
  useFocusOnScreenChange(`${status}:${view}:${phase ?? ""}`);

  useEffect(() => {
    // `system` follows prefers-color-scheme in tokens.css; light and dark override it.
    if (theme === "system") delete document.documentElement.dataset["theme"];
    else document.documentElement.dataset["theme"] = theme;
  }, [theme]);

  return (
    <div className="app">
      <a className="skip-link" href="#content">
        {t("app.skipToContent")}
      </a>
      {preview ? (
        <aside className="preview-banner" aria-label={t("app.previewLabel")}>
          {t("app.preview")}
        </aside>
      ) : null}
      {status === "ready" ? <LocalDemoBar /> : null}
      <div className="view" key={view} data-view={view}>
        {status === "starting" ? (
          <div className="page">
            <main id="content" className="page-body">
              <ProgressRing label={t("app.loading")} large />
            </main>
          </div>
        ) : status === "failed" ? (
          <div className="page">
            <main id="content" className="page-body">
              <h1 className="page-heading">{t("app.name")}</h1>
              <p className="inline-error" role="alert">
                {t("app.engineFailed")}
              </p>
            </main>
          </div>
        ) : (
          <Screen view={view} />
        )}
      </div>
      <div className="notice" role="status" aria-live="polite">
        {notice === undefined ? null : <span key={notice.id}>{notice.text}</span>}
      </div>
    </div>
  );
}

function Screen({ view }: { readonly view: ViewName }) {
  switch (view) {
    case "welcome":
      return <Welcome />;
    case "sign_in_choice":
      return <SignInChoice />;
    case "manual_sign_in":
      return <ManualSignIn />;
    case "homeserver":
      return <HomeserverScreen />;
    case "home":
      return <Home />;
    case "link_choice":
      return <LinkChoice />;
    case "settings":
      return <SettingsScreen />;
    case "flow":
      // The flow screen, or projector mode's layout around it.
      return <FlowView />;
  }
}
