// The screens of a signed-in device: home (who and where, this device's verification with its fix, "Link new
// device", the device list, sign out), the choice of how to link a new device, and settings.
import { useEffect, useState } from "react";
import {
  CircleCheck,
  CircleExclamationPoint,
  KeyRound,
  LogOut,
  Monitor,
  ScanLine,
  Smartphone,
} from "lucide-react";
import type { CommandResponse, Settings } from "../../src-shared/contract";
import { useApp } from "../app-context";
import { Page } from "../components/Page";
import { Button, CopyButton, Dialog, Field, ProgressRing } from "../components/ui";
import { t } from "../copy/format";
import type { PlainKey } from "../copy/format";
import { openable } from "./flow/phases";
import { call } from "../store";

type Device = CommandResponse<"account.devices">["devices"][number];

export function Home() {
  const account = useApp((state) => state.account);
  const go = useApp((state) => state.go);
  if (account === undefined) return null;
  return (
    <Page heading={t("home.title")} settings>
      <section className="card account-card" aria-label={t("home.title")}>
        <dl className="facts">
          <div>
            <dt>{t("home.signedInAs")}</dt>
            <dd>{account.userId}</dd>
          </div>
          <div>
            <dt>{t("home.homeserver")}</dt>
            <dd className="mono">{account.homeserver}</dd>
          </div>
          <div>
            <dt>{t("home.thisDevice")}</dt>
            <dd className="mono">{account.deviceId}</dd>
          </div>
        </dl>
        <Verification />
      </section>
      <div className="actions actions-stack">
        <Button
          kind="primary"
          className="button-large"
          icon={<Smartphone aria-hidden="true" size={22} />}
          onClick={() => {
            go("link_choice");
          }}
        >
          {t("home.linkNewDevice")}
        </Button>
        <p className="hint">{t("home.linkNewDeviceHint")}</p>
      </div>
      <DeviceList />
      <SignOut />
    </Page>
  );
}

function Verification() {
  const account = useApp((state) => state.account);
  const engine = useApp((state) => state.engine);
  const [dialog, setDialog] = useState<"recover" | "reset" | undefined>(undefined);
  const [recoveryKey, setRecoveryKey] = useState<string | undefined>(undefined);
  if (account === undefined) return null;
  const verified = account.verified === true;
  const body: PlainKey = verified
    ? "home.verifiedBody"
    : account.crossSigning === "not_set_up"
      ? "home.notSetUpBody"
      : "home.notVerifiedBody";
  return (
    <div className={verified ? "status status-ok" : "status status-warn"}>
      <div className="status-line">
        {verified ? (
          <CircleCheck aria-hidden="true" size={22} />
        ) : (
          <CircleExclamationPoint aria-hidden="true" size={22} />
        )}
        <strong>{t(verified ? "home.verified" : "home.notVerified")}</strong>
      </div>
      <p>{t(body)}</p>
      <p className="hint">{t(account.backup === true ? "home.backupOn" : "home.backupOff")}</p>
      {verified ? null : (
        <div className="actions actions-start">
          {account.crossSigning === "not_set_up" ? (
            <Button
              kind="primary"
              icon={<KeyRound aria-hidden="true" size={18} />}
              onClick={() => {
                void call(engine, "account.bootstrap", {}).then(
                  (answer) => {
                    setRecoveryKey(answer.recoveryKey);
                  },
                  (error: unknown) => {
                    console.error("recovery set-up failed", error);
                  },
                );
              }}
            >
              {t("home.setUpRecovery")}
            </Button>
          ) : (
            <>
              <Button
                kind="primary"
                icon={<KeyRound aria-hidden="true" size={18} />}
                onClick={() => {
                  setDialog("recover");
                }}
              >
                {t("home.enterRecoveryKey")}
              </Button>
              <Button
                kind="danger"
                onClick={() => {
                  setDialog("reset");
                }}
              >
                {t("home.resetIdentity")}
              </Button>
            </>
          )}
        </div>
      )}
      {dialog === "recover" ? (
        <RecoverDialog
          onClose={() => {
            setDialog(undefined);
          }}
        />
      ) : null}
      {dialog === "reset" ? (
        <Dialog
          title={t("home.resetTitle")}
          onClose={() => {
            setDialog(undefined);
          }}
          actions={
            <Button
              kind="danger"
              onClick={() => {
                void call(engine, "account.resetIdentity", {}).then(
                  (answer) => {
                    setDialog(undefined);
                    setRecoveryKey(answer.recoveryKey);
                  },
                  (error: unknown) => {
                    console.error("identity reset failed", error);
                  },
                );
              }}
            >
              {t("home.resetConfirm")}
            </Button>
          }
        >
          <p>{t("home.resetBody")}</p>
        </Dialog>
      ) : null}
      {recoveryKey === undefined ? null : (
        // Shown once: the key is dropped from memory when the dialog closes.
        <Dialog
          title={t("home.recoveryKeyTitle")}
          onClose={() => {
            setRecoveryKey(undefined);
          }}
        >
          <p>{t("home.recoveryKeyBody")}</p>
          <p className="mono recovery-key">{recoveryKey}</p>
          <CopyButton text={recoveryKey} label={t("action.copy")} kind="secondary" />
        </Dialog>
      )}
    </div>
  );
}

function RecoverDialog({ onClose }: { readonly onClose: () => void }) {
  const engine = useApp((state) => state.engine);
  const setAccount = useApp((state) => state.setAccount);
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const submit = () => {
    if (key.trim() === "" || busy) return;
    setBusy(true);
    setFailed(false);
    call(engine, "account.recover", { recoveryKey: key }).then(
      (next) => {
        setKey("");
        setBusy(false);
        setAccount(next);
        onClose();
      },
      (error: unknown) => {
        console.warn("recovery key refused", error);
        setBusy(false);
        setFailed(true);
      },
    );
  };
  return (
    <Dialog
      title={t("home.recoveryTitle")}
      onClose={onClose}
      actions={
        <Button kind="primary" busy={busy} disabled={key.trim() === "" || busy} onClick={submit}>
          {t("home.recoverySubmit")}
        </Button>
      }
    >
      <p>{t("home.recoveryBody")}</p>
      <Field
        label={t("home.recoveryLabel")}
        value={key}
        onChange={setKey}
        type="password"
        mono
        autoFocus
        onEnter={submit}
      />
      {failed ? (
        <p className="inline-error" role="alert">
          {t("home.recoveryFailed")}
        </p>
      ) : null}
    </Dialog>
  );
}

function DeviceList() {
  const engine = useApp((state) => state.engine);
  const announce = useApp((state) => state.announce);
  const [devices, setDevices] = useState<readonly Device[] | "loading" | "failed">("loading");
  useEffect(() => {
    let current = true;
    call(engine, "account.devices", {}).then(
      (answer) => {
        if (current) setDevices(answer.devices);
      },
      (error: unknown) => {
        console.warn("device list failed", error);
        if (current) setDevices("failed");
      },
    );
    return () => {
      current = false;
    };
  }, [engine]);
  const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium" });
  return (
    <section className="devices" aria-labelledby="devices-title">
      <h2 id="devices-title" className="section-title">
        {t("home.devices")}
      </h2>
      {devices === "loading" ? (
        <ProgressRing label={t("home.devicesLoading")} />
      ) : devices === "failed" ? (
        <p className="inline-error">{t("home.devicesFailed")}</p>
      ) : (
        <ul className="device-list">
          {devices.map((device) => (
            <li key={device.deviceId} className="device">
              <Monitor aria-hidden="true" size={24} className="device-icon" />
              <div className="device-text">
                <div className="device-name">{device.displayName ?? device.deviceId}</div>
                <div className="device-meta">
                  <span className="mono">{device.deviceId}</span>
                  {device.lastSeenTs === undefined ? null : (
                    <span>{t("home.deviceLastSeen", { date: dateFormat.format(device.lastSeenTs) })}</span>
                  )}
                </div>
                <div className="device-badges">
                  {device.current ? <span className="badge">{t("home.deviceCurrent")}</span> : null}
                  <span className={device.verified ? "badge badge-ok" : "badge badge-warn"}>
                    {t(device.verified ? "home.deviceVerified" : "home.deviceNotVerified")}
                  </span>
                </div>
              </div>
              {device.current ? null : (
                <Button
                  kind="quiet"
                  aria-label={t("home.deviceSignOutLabel", { device: device.displayName ?? device.deviceId })}
                  onClick={() => {
                    void call(engine, "account.signOutDevice", { deviceId: device.deviceId }).then(
                      (answer) => {
                        if (openable(answer.url)) window.open(answer.url, "_blank", "noopener,noreferrer");
                        announce(
                          t("home.deviceSignOutOpened", { device: device.displayName ?? device.deviceId }),
                        );
                      },
                      (error: unknown) => {
                        console.error("device sign-out failed", error);
                      },
                    );
                  }}
                >
                  {t("home.deviceSignOut")}
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function SignOut() {
  const engine = useApp((state) => state.engine);
  const setAccount = useApp((state) => state.setAccount);
  const go = useApp((state) => state.go);
  const [confirm, setConfirm] = useState(false);
  return (
    <div className="actions">
      <Button
        kind="quiet"
        icon={<LogOut aria-hidden="true" size={18} />}
        onClick={() => {
          setConfirm(true);
        }}
      >
        {t("home.signOut")}
      </Button>
      {confirm ? (
        <Dialog
          title={t("home.signOutConfirmTitle")}
          onClose={() => {
            setConfirm(false);
          }}
          actions={
            <Button
              kind="danger"
              onClick={() => {
                void call(engine, "account.signOut", {}).then(
                  (next) => {
                    setAccount(next);
                    setConfirm(false);
                    go("welcome");
                  },
                  (error: unknown) => {
                    console.error("sign-out failed", error);
                  },
                );
              }}
            >
              {t("home.signOut")}
            </Button>
          }
        >
          <p>{t("home.signOutConfirmBody")}</p>
        </Dialog>
      ) : null}
    </div>
  );
}

export function LinkChoice() {
  const account = useApp((state) => state.account);
  const startFlow = useApp((state) => state.startFlow);
  const ready = account?.crossSigning === "ready" && account.verified === true;
  return (
    <Page heading={t("linkChoice.title")} back="home" lead={t("linkChoice.lead")}>
      {ready ? null : (
        <p className="banner banner-warn" role="status">
          <CircleExclamationPoint aria-hidden="true" size={20} />
          <span>{t("linkChoice.cannotApprove")}</span>
        </p>
      )}
      <div className="options">
        <button
          type="button"
          className="option"
          onClick={() => {
            void startFlow({ kind: "link", side: "show" });
          }}
        >
          <Smartphone aria-hidden="true" size={32} className="option-icon" />
          <span className="option-text">
            <span className="option-title">{t("linkChoice.show.title")}</span>
            <span className="option-body">{t("linkChoice.show.body")}</span>
            <span className="badge badge-accent">{t("linkChoice.show.badge")}</span>
          </span>
        </button>
        <button
          type="button"
          className="option"
          onClick={() => {
            void startFlow({ kind: "link", side: "scan" });
          }}
        >
          <ScanLine aria-hidden="true" size={32} className="option-icon" />
          <span className="option-text">
            <span className="option-title">{t("linkChoice.scan.title")}</span>
            <span className="option-body">{t("linkChoice.scan.body")}</span>
          </span>
        </button>
      </div>
    </Page>
  );
}

interface Choice<V extends string> {
  readonly value: V;
  readonly label: PlainKey;
}

function Choices<V extends string>({
  legend,
  name,
  value,
  choices,
  onChange,
}: {
  readonly legend: PlainKey;
  readonly name: string;
  readonly value: V;
  readonly choices: readonly Choice<V>[];
  readonly onChange: (value: V) => void;
}) {
  return (
    <fieldset className="choices">
      <legend>{t(legend)}</legend>
      {choices.map((choice) => (
        <label key={choice.value} className="choice">
          <input
            type="radio"
            name={name}
            value={choice.value}
            checked={value === choice.value}
            onChange={() => {
              onChange(choice.value);
            }}
          />
          <span>{t(choice.label)}</span>
        </label>
      ))}
    </fieldset>
  );
}

export function SettingsScreen() {
  const account = useApp((state) => state.account);
  const engine = useApp((state) => state.engine);
  const setAccount = useApp((state) => state.setAccount);
  const announce = useApp((state) => state.announce);
  const go = useApp((state) => state.go);
  if (account === undefined) return null;
  const settings = account.settings;
  const change = (patch: Partial<Settings>) => {
    call(engine, "settings.set", patch).then(
      (next) => {
        setAccount(next);
        announce(t("settings.saved"));
      },
      (error: unknown) => {
        console.error("settings not saved", error);
      },
    );
  };
  return (
    <Page heading={t("settings.title")} back={account.status === "signed_in" ? "home" : "welcome"}>
      <div className="card">
        <Choices
          legend="settings.theme"
          name="theme"
          value={settings.theme}
          choices={[
            { value: "system", label: "settings.theme.system" },
            { value: "light", label: "settings.theme.light" },
            { value: "dark", label: "settings.theme.dark" },
          ]}
          onChange={(theme) => {
            change({ theme });
          }}
        />
        <Choices
          legend="settings.version"
          name="version"
          value={settings.defaultVersion}
          choices={[
            { value: "v2024", label: "settings.version.v2024" },
            { value: "v2025", label: "settings.version.v2025" },
          ]}
          onChange={(defaultVersion) => {
            change({ defaultVersion });
          }}
        />
        <Choices
          legend="settings.qrLevel"
          name="qr-level"
          value={settings.qrErrorCorrection}
          choices={[
            { value: "L", label: "settings.qrLevel.L" },
            { value: "M", label: "settings.qrLevel.M" },
            { value: "Q", label: "settings.qrLevel.Q" },
            { value: "H", label: "settings.qrLevel.H" },
          ]}
          onChange={(qrErrorCorrection) => {
            change({ qrErrorCorrection });
          }}
        />
      </div>
      <div className="actions">
        <Button
          kind="quiet"
          onClick={() => {
            go("homeserver");
          }}
        >
          {t("action.checkHomeserver")}
        </Button>
      </div>
    </Page>
  );
}
