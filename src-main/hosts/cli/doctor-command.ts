// `doctor <homeserver>`: the engine's `doctor.run`, every preflight check with its real cause, on a throwaway
// profile (or the one named, whose sign-in lets the doctor check what needs one). Exit status 0 when a QR sign-in
// can work with that homeserver, 3 when it cannot; the last line names the missing piece. --json prints the one
// report object (src-shared/contract.ts DoctorReport) and nothing else.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DoctorReport } from "../../../src-shared/contract";
import type { CommonArgs } from "./args";
import { EXIT, outcomeError, type CliContext } from "./context";
import { causeCopy, checkLabel, t } from "./copy";
import { openEngine } from "./engine-session";

const MARK = { ok: "ok     ", failed: "FAILED ", skipped: "skipped" } as const;

/** The report as lines for a person: one per check, then whether a QR sign-in can work (the last line). */
export function doctorLines(report: DoctorReport): string[] {
  const width = Math.max(0, ...report.checks.map((check) => check.id.length));
  const lines = [
    `Homeserver ${report.homeserver}${report.baseUrl === undefined ? "" : ` (${report.baseUrl})`}`,
  ];
  for (const check of report.checks) {
    const label = checkLabel(check.id);
    const copy = check.cause === undefined ? undefined : causeCopy(check.cause);
    const cause =
      check.cause === undefined ? "" : ` [${check.cause}${copy === undefined ? "" : `: ${t(copy)}`}]`;
    const detail = check.detail === undefined ? "" : ` ${check.detail}`;
    lines.push(
      `  ${MARK[check.status]} ${check.id.padEnd(width)}  ${label === undefined ? "" : t(label)}${cause}${detail}`,
    );
  }
  if (report.ok) {
    lines.push(`QR sign-in can work with ${report.homeserver}.`);
  } else {
    const missing = report.missing ?? "unknown";
    const copy = causeCopy(missing);
    lines.push(
      `QR sign-in cannot work with ${report.homeserver}: missing ${missing}${copy === undefined ? "" : ` (${t(copy)})`}`,
    );
  }
  return lines;
}

export async function runDoctorCommand(
  context: CliContext,
  common: CommonArgs,
  homeserver: string,
): Promise<number> {
  const { out } = context;
  const throwaway = common.profileGiven
    ? undefined
    : await mkdtemp(join(tmpdir(), "matrix-qr-login-doctor-"));
  let report: DoctorReport;
  try {
    const engine = await openEngine({
      common,
      streams: context.streams,
      out,
      ...(throwaway === undefined ? {} : { location: { dir: throwaway } }),
    });
    try {
      if (!out.json) out.say(t("doctor.checking", { homeserver }));
      const outcome = await engine.invoke("doctor.run", { homeserver });
      if (outcome.ok) {
        report = outcome.value;
      } else {
        const error = outcomeError(outcome);
        report = { homeserver, checks: [], ok: false, missing: error.reason ?? error.code };
      }
    } finally {
      await engine.close();
    }
  } finally {
    if (throwaway !== undefined) await rm(throwaway, { recursive: true, force: true });
  }
  if (out.json) out.line(report);
  else for (const line of doctorLines(report)) out.result(line);
  return report.ok ? EXIT.ok : EXIT.failed;
}
