// The homeserver doctor (docs/ux.md "Errors", `server_unsupported`): every preflight check against one homeserver,
// each naming its real cause, and the one piece missing for a QR sign-in. Plain Node over a Runtime; the command
// line and the app's "homeserver report" present its DoctorReport (src-shared/contract.ts).
export {
  DEFAULT_DOCTOR_TIMEOUTS,
  runDoctor,
  type DoctorCheck,
  type DoctorCheckId,
  type DoctorTimeouts,
  type RunDoctorOptions,
} from "./doctor";
export { describeDoctorReport } from "./format";
export {
  fetchServerVersions,
  rendezvousOffer,
  v2025Availability,
  type ServerVersions,
  type V2025Availability,
  type VersionOffer,
} from "./offer";
export { joinThroughQr } from "./rendezvous-pair";
