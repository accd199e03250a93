// `doctor <homeserver>`: the homeserver doctor (src-main/doctor, the same checks the app's report runs), every
// preflight check with its real cause. What it checks is what a device that is not signed in meets, except where
// the homeserver offers MSC4388 only to signed-in users: when the profile is signed in on that homeserver, its
// access token (refreshed if it is about to expire) makes the discovery and the create a signed-in user's, and the
// report says what really happens then. The token is never printed. Exit status 0 when a QR sign-in can work with
// that homeserver, 3 when it cannot; the last line names the missing piece. --json prints the one report object
// (src-shared/contract.ts DoctorReport) and nothing else.
import type { DoctorReport } from "../../../src-shared/contract";
import { runDoctor, type RunDoctorOptions } from "../../doctor";
import { isMatrixError, Profile } from "../../matrix";
import { DEFAULT_REFRESH_MARGIN_MS, discoverAuthMetadata, TokenRefresher } from "../../oauth";
import { createRuntime, type Runtime } from "../../protocol";
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

/** The profile's signed-in account for the doctor, or undefined when it has none (or cannot be opened now). */
async function openSignedIn(
  common: CommonArgs,
  say: (text: string) => void,
): Promise<{ profile: Profile; signedIn?: NonNullable<RunDoctorOptions["signedIn"]> } | undefined> {
  let profile: Profile;
  try {
    profile = await Profile.open({ location: common.location, app: "cli", create: false });
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    if (isMatrixError(error, "profile_in_use")) {
      say("The profile is in use by another program: checking as a device that is not signed in.");
      return undefined;
    }
    throw error;
  }
  const account = profile.account;
  const tokens = profile.tokens;
  if (account === undefined || tokens === undefined) return { profile };
  const runtime: Runtime = createRuntime();
  const allowInsecureHttp = common.allowInsecureHttp;
  return {
    profile,
    signedIn: {
      homeserver: account.homeserver,
      accessToken: async (signal) => {
        const expiresAt = tokens.expiresAt;
        if (expiresAt === undefined || expiresAt - runtime.now() > DEFAULT_REFRESH_MARGIN_MS) {
          return tokens.accessToken;
        }
        const clientId = profile.oauthClient?.clientId;
        if (clientId === undefined || tokens.refreshToken === undefined) return undefined;
        // About to expire: one refresh, kept in the profile as the app's refresher would (tokens rotate).
        const metadata = await discoverAuthMetadata(account.homeserver, {
          runtime,
          signal,
          allowInsecureHttp,
        });
        const refresher = new TokenRefresher({
          runtime,
          metadata,
          clientId,
          tokens: {
            scope: "",
            accessToken: tokens.accessToken,
            refreshToken: tokens.refreshToken,
            expiresAt,
          },
          allowInsecureHttp,
          onTokens: (fresh) =>
            profile.saveTokens({
              accessToken: fresh.accessToken,
              ...(fresh.refreshToken === undefined ? {} : { refreshToken: fresh.refreshToken }),
              ...(fresh.expiresAt === undefined ? {} : { expiresAt: fresh.expiresAt }),
            }),
        });
        try {
          return await refresher.accessToken(signal);
        } catch (error) {
          // The session ended elsewhere, or the account server failed: the check goes on as a device that is not
          // signed in, and says why.
          if (signal.aborted) throw error;
          say(
            `The profile's session could not be refreshed (${error instanceof Error ? error.message : String(error)}): checking as a device that is not signed in.`,
          );
          return undefined;
        }
      },
    },
  };
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
  const opened = await openSignedIn(common, (text) => {
    if (!out.json) out.say(text);
  });
  try {
    if (!out.json) out.say(t("doctor.checking", { homeserver }));
    const signedIn = opened?.signedIn;
    report = await runDoctor(homeserver, {
      runtime: createRuntime(),
      signal: stop.signal,
      allowInsecureHttp: common.allowInsecureHttp,
      ...(signedIn === undefined ? {} : { signedIn }),
    });
  } finally {
    stopInterrupt();
    await opened?.profile.close();
  }
  if (out.json) out.line(report);
  else for (const line of doctorLines(report)) out.result(line);
  return report.ok ? EXIT.ok : EXIT.failed;
}
