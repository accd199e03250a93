// A DoctorReport as plain text lines, for the command line and logs: one line per check (status, id, cause,
// detail), then one last line that says whether a QR sign-in can work and, if not, the missing piece.
import type { DoctorReport } from "../../src-shared/contract";

const MARK = { ok: "ok     ", failed: "FAILED ", skipped: "skipped" } as const;

export function describeDoctorReport(report: DoctorReport): string[] {
  const width = Math.max(...report.checks.map((check) => check.id.length));
  const lines = [
    `homeserver ${report.homeserver}${report.baseUrl === undefined ? "" : ` (${report.baseUrl})`}`,
  ];
  for (const check of report.checks) {
    const cause = check.cause === undefined ? "" : ` [${check.cause}]`;
    const detail = check.detail === undefined ? "" : ` ${check.detail}`;
    lines.push(`  ${MARK[check.status]} ${check.id.padEnd(width)}${cause}${detail}`);
  }
  lines.push(
    report.ok
      ? "QR sign-in can work with this homeserver."
      : `QR sign-in cannot work with this homeserver: missing ${report.missing ?? "an unknown piece"}.`,
  );
  return lines;
}
