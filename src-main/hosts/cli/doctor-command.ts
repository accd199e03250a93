// `doctor <homeserver>`: the homeserver doctor (src-main/doctor, the same checks the app's report runs), every
// preflight check with its real cause. It opens no profile: what it checks is what a device that is not signed
// in meets. Exit status 0 when a QR sign-in can work with that homeserver, 3 when it cannot; the last line names
// the missing piece. --json prints the one report object (src-shared/contract.ts DoctorReport) and nothing else.
import type { DoctorReport } from "../../../src-shared/contract";
import { runDoctor } from "../../doctor";
import { createRuntime } from "../../protocol";
import type { CommonArgs } from "./args";
import { EXIT, type CliContext } from "./context";
import { causeCopy, checkLabel, t } from "./copy";

const MARK = { ok: "ok     ", failed: "FAILED ", skipped: "skipped" } as const;

/**
 * The report as lines for a person: one per check with the app's words for it and its cause, then whether a QR
 * sign-in can work (the last line, naming the missing piece).
 */
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
  const stop = new AbortController();
  const stopInterrupt = context.onInterrupt(() => {
    stop.abort(new Error("interrupted"));
  });
  let report: DoctorReport;
  try {
    if (!out.json) out.say(t("doctor.checking", { homeserver }));
    report = await runDoctor(homeserver, {
      runtime: createRuntime(),
      signal: stop.signal,
      allowInsecureHttp: common.allowInsecureHttp,
    });
  } finally {
    stopInterrupt();
  }
  if (out.json) out.line(report);
  else for (const line of doctorLines(report)) out.result(line);
  return report.ok ? EXIT.ok : EXIT.failed;
}
