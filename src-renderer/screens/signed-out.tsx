// The screens of a signed-out device: the welcome screen, the choice of how to sign in with a QR code, signing
// in with a browser (authorization code with PKCE, run by the engine), and choosing the homeserver with the
// doctor's full report.
import { useState } from "react";
import { Globe, Info, Laptop, Monitor, QrCode, ScanLine } from "lucide-react";
import { useApp } from "../app-context";
import { DoctorDetails, HomeserverField, useDoctor } from "../components/HomeserverField";
import { Page } from "../components/Page";
import { Button, ProgressRing } from "../components/ui";
import { errorCopy } from "../copy/errors";
import { t } from "../copy/format";
import { EngineCallError, call } from "../store";

/** Saves the homeserver in this profile's settings when it changed (the QR code shown needs it). */
function useSaveHomeserver(): (homeserver: string) => Promise<void> {
  const engine = useApp((state) => state.engine);
  const setAccount = useApp((state) => state.setAccount);
  const saved = useApp((state) => state.account?.settings.homeserver);
  return async (homeserver) => {
    const name = homeserver.trim();
    if (name === "" || name === saved) return;
    setAccount(await call(engine, "settings.set", { homeserver: name }));
  };
}

export function Welcome() {
  const account = useApp((state) => state.account);
  const go = useApp((state) => state.go);
  const save = useSaveHomeserver();
  const [homeserver, setHomeserver] = useState(account?.settings.homeserver ?? "");
  const doctor = useDoctor(homeserver);
  const reason = account?.signedOutReason;
  const leave = (view: "sign_in_choice" | "manual_sign_in") => {
    void save(homeserver).then(() => {
      go(view);
    });
  };
  return (
    <Page heading={t("app.name")} settings lead={t("app.tagline")} className="welcome">
      {reason === undefined ? null : (
        <p className="banner" role="status">
          <Info aria-hidden="true" size={20} />
          <span>
            {t(reason === "signed_out" ? "welcome.signedOut.signed_out" : "welcome.signedOut.other")}
          </span>
        </p>
      )}
      <div className="actions actions-stack">
        <Button
          kind="primary"
          className="button-large"
          icon={<QrCode aria-hidden="true" size={22} />}
          onClick={() => {
            leave("sign_in_choice");
          }}
        >
          {t("welcome.signIn")}
        </Button>
        <p className="hint">{t("welcome.signInHint")}</p>
      </div>
      <div className="card">
        <HomeserverField value={homeserver} onChange={setHomeserver} doctor={doctor} />
        <p className="hint">{t("welcome.homeserverNeeded")}</p>
      </div>
      <div className="actions">
        <Button
          kind="quiet"
          icon={<Globe aria-hidden="true" size={18} />}
          onClick={() => {
            leave("manual_sign_in");
          }}
        >
          {t("action.signInWithBrowser")}
        </Button>
      </div>
      <TryLocally />
    </Page>
  );
}

/** "Try it on this computer": the local demo (a homeserver here, this window signed in, a second window new). */
function TryLocally() {
  const engine = useApp((state) => state.engine);
  const setAccount = useApp((state) => state.setAccount);
  const setDemo = useApp((state) => state.setDemo);
  const go = useApp((state) => state.go);
  const [starting, setStarting] = useState(false);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const start = () => {
    setStarting(true);
    setFailure(undefined);
    call(engine, "demo.tryLocally", {})
      .then(async (demo) => {
        setDemo(demo);
        setAccount(await call(engine, "account.get", {}));
        go("home");
      })
      .catch((error: unknown) => {
        console.error("the local demo did not start", error);
        setFailure(
          error instanceof EngineCallError ? (error.flowError?.message ?? error.message) : String(error),
        );
      })
      .finally(() => {
        setStarting(false);
      });
  };
  return (
    <section className="card local-demo-card" aria-labelledby="try-locally">
      <div className="actions actions-stack">
        <Button
          kind="secondary"
          className="button-large"
          id="try-locally"
          busy={starting}
          disabled={starting}
          icon={<Laptop aria-hidden="true" size={22} />}
          onClick={start}
        >
          {t("local.try")}
        </Button>
        <p className="hint">{starting ? t("local.starting") : t("local.tryHint")}</p>
        <p className="hint">{t("local.desktopOnly")}</p>
        {failure === undefined ? null : (
          <p className="inline-error" role="alert">
            {t("local.failed", { message: failure })}
          </p>
        )}
      </div>
    </section>
  );
}

export function SignInChoice() {
  const homeserver = useApp((state) => state.account?.settings.homeserver);
  const go = useApp((state) => state.go);
  const startFlow = useApp((state) => state.startFlow);
  return (
    <Page heading={t("signInChoice.title")} back="welcome" lead={t("signInChoice.lead")}>
      <div className="options">
        <button
          type="button"
          className="option"
          onClick={() => {
            if (homeserver === undefined || homeserver === "")
              go("homeserver", { afterHomeserver: "show_qr" });
            else void startFlow({ kind: "sign_in", side: "show", homeserver });
          }}
        >
          <Monitor aria-hidden="true" size={32} className="option-icon" />
          <span className="option-text">
            <span className="option-title">{t("signInChoice.show.title")}</span>
            <span className="option-body">{t("signInChoice.show.body")}</span>
            <span className="option-body">
              {homeserver === undefined || homeserver === ""
                ? t("signInChoice.show.chooseHomeserver")
                : t("signInChoice.show.homeserver", { homeserver })}
            </span>
          </span>
        </button>
        <button
          type="button"
          className="option"
          onClick={() => {
            void startFlow({ kind: "sign_in", side: "scan" });
          }}
        >
          <ScanLine aria-hidden="true" size={32} className="option-icon" />
          <span className="option-text">
            <span className="option-title">{t("signInChoice.scan.title")}</span>
            <span className="option-body">{t("signInChoice.scan.body")}</span>
          </span>
        </button>
      </div>
      <div className="actions">
        <Button
          kind="quiet"
          onClick={() => {
            go("homeserver");
          }}
        >
          {t("signInChoice.changeHomeserver")}
        </Button>
      </div>
    </Page>
  );
}

export function ManualSignIn() {
  const account = useApp((state) => state.account);
  const engine = useApp((state) => state.engine);
  const setAccount = useApp((state) => state.setAccount);
  const go = useApp((state) => state.go);
  const [homeserver, setHomeserver] = useState(account?.settings.homeserver ?? "");
  const doctor = useDoctor(homeserver);
  const [waiting, setWaiting] = useState(false);
  const [failure, setFailure] = useState<EngineCallError | Error | undefined>(undefined);
  const submit = () => {
    const name = homeserver.trim();
    if (name === "" || waiting) return;
    setWaiting(true);
    setFailure(undefined);
    call(engine, "account.login", { homeserver: name }).then(
      (next) => {
        setWaiting(false);
        setAccount(next);
        if (next.status === "signed_in") go("home");
      },
      (error: unknown) => {
        console.warn("browser sign-in failed", error);
        setWaiting(false);
        setFailure(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };
  const flowError = failure instanceof EngineCallError ? failure.flowError : undefined;
  const copy = flowError === undefined ? undefined : errorCopy(flowError, "new_device");
  return (
    <Page heading={t("manual.title")} back={waiting ? undefined : "welcome"} lead={t("manual.lead")}>
      {waiting ? (
        <div className="hero">
          <ProgressRing label={t("manual.waiting")} large />
        </div>
      ) : (
        <>
          <HomeserverField value={homeserver} onChange={setHomeserver} doctor={doctor} onEnter={submit} />
          {failure === undefined ? null : (
            <div className="inline-error" role="alert">
              <div>
                <p>
                  <strong>{copy === undefined ? t("manual.failed") : t(copy.title)}</strong>
                </p>
                {copy === undefined ? null : <p>{t(copy.cause)}</p>}
              </div>
            </div>
          )}
          <div className="actions">
            <Button
              kind="primary"
              icon={<Globe aria-hidden="true" size={18} />}
              disabled={homeserver.trim() === ""}
              onClick={submit}
            >
              {t("manual.continue")}
            </Button>
          </div>
        </>
      )}
    </Page>
  );
}

export function HomeserverScreen() {
  const account = useApp((state) => state.account);
  const afterHomeserver = useApp((state) => state.afterHomeserver);
  const go = useApp((state) => state.go);
  const startFlow = useApp((state) => state.startFlow);
  const save = useSaveHomeserver();
  const [homeserver, setHomeserver] = useState(account?.settings.homeserver ?? "");
  const doctor = useDoctor(homeserver, 400);
  const back =
    account?.status === "signed_in"
      ? "settings"
      : afterHomeserver === undefined
        ? "welcome"
        : "sign_in_choice";
  const use = () => {
    const name = homeserver.trim();
    if (name === "") return;
    void save(name).then(() => {
      if (afterHomeserver === "show_qr") void startFlow({ kind: "sign_in", side: "show", homeserver: name });
      else go(back);
    });
  };
  return (
    <Page heading={t("homeserver.title")} back={back} lead={t("homeserver.lead")}>
      <HomeserverField value={homeserver} onChange={setHomeserver} doctor={doctor} onEnter={use} />
      <div className="actions">
        <Button kind="primary" disabled={homeserver.trim() === ""} onClick={use}>
          {afterHomeserver === "show_qr" ? t("action.continue") : t("homeserver.saveAndContinue")}
        </Button>
      </div>
      <DoctorDetails doctor={doctor} />
    </Page>
  );
}
