// The homeserver field with its live check under it: the engine's doctor runs shortly after the user stops
// typing, and the line under the field says whether QR sign-in can work there, or names the missing piece.
import { useEffect, useRef, useState } from "react";
import { CircleCheck, CircleX } from "lucide-react";
import type { DoctorReport } from "../../src-shared/contract";
import { useApp } from "../app-context";
import { causeCopy } from "../copy/checks";
import { t } from "../copy/format";
import { call } from "../store";
import { CheckList } from "./flow-parts";
import { Field, ProgressRing } from "./ui";

export type DoctorState =
  | { readonly state: "idle" }
  | { readonly state: "checking"; readonly homeserver: string }
  | { readonly state: "done"; readonly homeserver: string; readonly report: DoctorReport }
  | { readonly state: "failed"; readonly homeserver: string };

/** Runs the doctor for `homeserver` once it has stayed the same for `debounceMs`. */
export function useDoctor(homeserver: string, debounceMs = 600): DoctorState {
  const engine = useApp((state) => state.engine);
  const [result, setResult] = useState<DoctorState>({ state: "idle" });
  // The homeserver the screen opened with is checked at once; only typing waits for a pause.
  const first = useRef(true);
  useEffect(() => {
    const wait = first.current ? 0 : debounceMs;
    first.current = false;
    const name = homeserver.trim();
    if (name === "") {
      // Nothing to check: the field is empty.
      const timer = setTimeout(() => {
        setResult({ state: "idle" });
      }, 0);
      return () => {
        clearTimeout(timer);
      };
    }
    let current = true;
    const timer = setTimeout(() => {
      setResult({ state: "checking", homeserver: name });
      call(engine, "doctor.run", { homeserver: name }).then(
        (report) => {
          if (current) setResult({ state: "done", homeserver: name, report });
        },
        (error: unknown) => {
          console.warn("homeserver check failed", error);
          if (current) setResult({ state: "failed", homeserver: name });
        },
      );
    }, wait);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [engine, homeserver, debounceMs]);
  return result;
}

export function DoctorSummary({ doctor }: { readonly doctor: DoctorState }) {
  switch (doctor.state) {
    case "idle":
      return null;
    case "checking":
      return <ProgressRing label={t("doctor.checking", { homeserver: doctor.homeserver })} />;
    case "failed":
      return (
        <p className="doctor doctor-failed" role="status">
          <CircleX aria-hidden="true" size={20} />
          <span>{t("doctor.failed", { homeserver: doctor.homeserver })}</span>
        </p>
      );
    case "done": {
      const { report } = doctor;
      if (report.ok) {
        return (
          <p className="doctor doctor-ok" role="status">
            <CircleCheck aria-hidden="true" size={20} />
            <span>{t("doctor.ready", { homeserver: doctor.homeserver })}</span>
          </p>
        );
      }
      const missing = report.missing === undefined ? undefined : causeCopy(report.missing);
      return (
        <div className="doctor doctor-failed" role="status">
          <CircleX aria-hidden="true" size={20} />
          <div>
            <p>{t("doctor.notReady", { homeserver: doctor.homeserver })}</p>
            {missing === undefined ? null : <p>{t(missing)}</p>}
          </div>
        </div>
      );
    }
  }
}

export function DoctorDetails({ doctor }: { readonly doctor: DoctorState }) {
  if (doctor.state !== "done") return null;
  return <CheckList checks={doctor.report.checks} />;
}

export interface HomeserverFieldProps {
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly doctor: DoctorState;
  readonly onEnter?: () => void;
}

export function HomeserverField({ value, onChange, doctor, onEnter }: HomeserverFieldProps) {
  return (
    <div className="homeserver-field">
      <Field
        label={t("common.homeserver")}
        value={value}
        onChange={onChange}
        placeholder={t("common.homeserverPlaceholder")}
        hint={t("common.homeserverHint")}
        autoComplete="url"
        {...(onEnter === undefined ? {} : { onEnter })}
      />
      <div className="doctor-slot" aria-live="polite">
        <DoctorSummary doctor={doctor} />
      </div>
    </div>
  );
}
