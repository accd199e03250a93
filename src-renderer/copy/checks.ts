// What each check of the preflight and of the homeserver doctor is called, and how its status reads. The
// doctor may report checks this table does not know yet; those keep their id, shown as such.
import type { DoctorCheckId } from "../../src-shared/contract";
import type { PreflightCheck } from "../../src-shared/flow";
import { REASON_COPY } from "./errors";
import type { PlainKey } from "./format";

export const PREFLIGHT_CHECK_LABELS = {
  oauth_metadata: "check.oauth_metadata",
  device_grant: "check.device_grant",
  registration: "check.registration",
  rendezvous_v2024: "check.rendezvous_v2024",
  rendezvous_v2025: "check.rendezvous_v2025",
  cross_signing_keys: "check.cross_signing_keys",
} as const satisfies Record<PreflightCheck["id"], PlainKey>;

/** Every check the doctor runs has a label: a check added there fails to compile here until it has one. */
export const DOCTOR_CHECK_LABELS = {
  well_known: "check.well_known",
  versions: "check.versions",
  oauth_metadata: "check.oauth_metadata",
  device_grant: "check.device_grant",
  registration: "check.registration",
  device_authorization: "check.device_authorization",
  rendezvous_v2024: "check.rendezvous_v2024",
  round_trip_v2024: "check.round_trip_v2024",
  rendezvous_v2025: "check.rendezvous_v2025",
  round_trip_v2025: "check.round_trip_v2025",
} as const satisfies Record<DoctorCheckId, PlainKey>;

const CHECK_LABELS: Readonly<Record<string, PlainKey>> = {
  ...PREFLIGHT_CHECK_LABELS,
  ...DOCTOR_CHECK_LABELS,
};

export type CheckStatus = PreflightCheck["status"];

export const CHECK_STATUS = {
  ok: "doctor.status.ok",
  failed: "doctor.status.failed",
  skipped: "doctor.status.skipped",
  pending: "doctor.status.pending",
} as const satisfies Record<CheckStatus, PlainKey>;

/** The label of a check, or undefined for an id this table does not know. */
export function checkLabel(id: string): PlainKey | undefined {
  return Object.hasOwn(CHECK_LABELS, id) ? CHECK_LABELS[id] : undefined;
}

/** The plain-words cause of a failed or skipped check, or undefined for a cause this table does not know. */
export function causeCopy(cause: string): PlainKey | undefined {
  return Object.hasOwn(REASON_COPY, cause) ? REASON_COPY[cause] : undefined;
}
