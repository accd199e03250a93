// The homeserver doctor against real Synapse 1.160 (the sandbox, open MSC4388 mode and MSC4108 on) with the
// devserver as its MAS: every check passes, both rendezvous round trips included, so a QR sign-in can work there.
import { expect, it } from "vitest";
import { describeDoctorReport, runDoctor } from "../../src-main/doctor/index";
import { createRuntime } from "../../src-main/protocol/index";
import { doctorReportSchema } from "../../src-shared/contract";
import { synapseLane } from "./lane";

const lane = synapseLane();

it("Synapse 1.160 with the devserver as its MAS: every check passes", async () => {
  const report = doctorReportSchema.parse(
    await runDoctor(lane.synapseUrl, {
      runtime: createRuntime(),
      signal: new AbortController().signal,
      // Both servers listen on http://127.0.0.1.
      allowInsecureHttp: true,
    }),
  );
  const statuses = Object.fromEntries(report.checks.map((check) => [check.id, check.status]));
  expect(statuses, describeDoctorReport(report).join("\n")).toEqual({
    well_known: "skipped",
    versions: "ok",
    oauth_metadata: "ok",
    device_grant: "ok",
    registration: "ok",
    device_authorization: "ok",
    rendezvous_v2024: "ok",
    round_trip_v2024: "ok",
    rendezvous_v2025: "ok",
    round_trip_v2025: "ok",
  });
  expect(report).toMatchObject({ baseUrl: lane.synapseUrl, ok: true });
  // Synapse hands out v2024 session URLs under its public_baseurl.
  expect(report.checks.find((check) => check.id === "round_trip_v2024")?.detail).toContain(
    `${lane.synapseUrl}/_synapse/client/rendezvous/`,
  );
});
