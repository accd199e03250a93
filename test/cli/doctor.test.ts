// The homeserver doctor against the devserver in each configuration a real homeserver can be in (docs/ux.md,
// `server_unsupported`): every check names the real cause, and `missing` the one piece a QR sign-in lacks. The
// devserver is the real server here; only its switches and faults differ from test to test. Then the same
// configurations through the command line's `doctor`, as an admin runs it: exit status 3 and the missing piece on
// the last line when a QR sign-in cannot work, one report object with --json.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Devserver, DevserverOptions } from "../../devserver/index";
import { runDoctor, type DoctorCheckId, type RunDoctorOptions } from "../../src-main/doctor/index";
import { Profile } from "../../src-main/matrix/index";
import { createRuntime } from "../../src-main/protocol/index";
import { causeCopy, checkLabel } from "../../src-renderer/copy/checks";
import { doctorReportSchema, type DoctorReport } from "../../src-shared/contract";
import { cliEnv, ROOT, useBuiltCli } from "../helpers/cli";
import { mintDeviceToken } from "../helpers/csapi";
import { useDevservers } from "../helpers/devservers";

const start = useDevservers({ users: ["alice:secret"] });

/** Small limits: a failure shows within a second or two, never a long wait. */
const OPTIONS: Omit<RunDoctorOptions, "signal"> = {
  runtime: createRuntime(),
  allowInsecureHttp: true,
  timeouts: { requestTimeoutMs: 5_000, retryWindowMs: 1_000, roundTripMs: 5_000 },
};

async function doctor(
  server: Devserver,
  extra: Partial<RunDoctorOptions> = {},
  homeserver = server.baseUrl,
): Promise<DoctorReport> {
  const report = await runDoctor(homeserver, { ...OPTIONS, signal: new AbortController().signal, ...extra });
  return spokenInTheApp(report);
}

/**
 * Whatever it says, it says it in the shape the app's contract carries, and the app has words for it: a label for
 * every check and a plain-words cause for every failure (not the raw cause the screen falls back to).
 */
function spokenInTheApp(report: DoctorReport): DoctorReport {
  const parsed = doctorReportSchema.parse(report);
  for (const entry of parsed.checks) {
    expect(checkLabel(entry.id), `no label for the check ${entry.id}`).toBeDefined();
    if (entry.cause !== undefined) {
      expect(causeCopy(entry.cause), `no words for the cause ${entry.cause} of ${entry.id}`).toBeDefined();
    }
  }
  return parsed;
}

async function doctorFor(
  options: DevserverOptions,
  extra: Partial<RunDoctorOptions> = {},
): Promise<DoctorReport> {
  return doctor(await start(options), extra);
}

function statusOf(report: DoctorReport): Record<string, string> {
  return Object.fromEntries(
    report.checks.map((check) => [
      check.id,
      check.cause === undefined ? check.status : `${check.status}: ${check.cause}`,
    ]),
  );
}

function check(report: DoctorReport, id: DoctorCheckId): DoctorReport["checks"][number] | undefined {
  return report.checks.find((entry) => entry.id === id);
}

const ALL_GOOD = {
  well_known: "ok",
  versions: "ok",
  oauth_metadata: "ok",
  device_grant: "ok",
  registration: "ok",
  device_authorization: "ok",
  rendezvous_v2024: "ok",
  round_trip_v2024: "ok",
  rendezvous_v2025: "ok",
  round_trip_v2025: "ok",
};

describe("the homeserver doctor on the devserver", () => {
  it("all good: every check passes, by server name through .well-known", async () => {
    const server = await start();
    const report = await doctor(server, {}, server.serverName);
    expect(report.checks.map((entry) => entry.id)).toEqual(Object.keys(ALL_GOOD));
    expect(statusOf(report)).toEqual(ALL_GOOD);
    expect(report).toMatchObject({ homeserver: server.serverName, baseUrl: server.baseUrl, ok: true });
    expect(report.missing).toBeUndefined();
    expect(check(report, "round_trip_v2024")?.detail).toContain(
      `${server.publicBaseUrl}/_synapse/client/rendezvous/`,
    );
  });

  it("a base URL needs no .well-known", async () => {
    const report = await doctorFor({});
    expect(check(report, "well_known")).toMatchObject({ status: "skipped", cause: "not_needed" });
    expect(report.ok).toBe(true);
  });

  describe("the OAuth side", () => {
    it("no OAuth API: no_oauth_api, and nothing that needs it is tried", async () => {
      const report = await doctorFor({ authMetadata: false });
      expect(statusOf(report)).toMatchObject({
        oauth_metadata: "failed: no_oauth_api",
        device_grant: "skipped: no_oauth_api",
        registration: "skipped: no_oauth_api",
        device_authorization: "skipped: no_oauth_api",
        round_trip_v2024: "ok",
        round_trip_v2025: "ok",
      });
      expect(report).toMatchObject({ ok: false, missing: "no_oauth_api" });
    });

    it("registration refused: registration_refused, and no device code is asked for", async () => {
      const report = await doctorFor({ refuseRegistration: true });
      expect(statusOf(report)).toMatchObject({
        oauth_metadata: "ok",
        device_grant: "ok",
        registration: "failed: registration_refused",
        device_authorization: "skipped: registration_refused",
      });
      expect(report).toMatchObject({ ok: false, missing: "registration_refused" });
    });

    it("the device grant switched off on the account server: device_grant_disabled", async () => {
      const report = await doctorFor({ deviceCodeGrantEnabled: false });
      expect(statusOf(report)).toMatchObject({
        device_grant: "ok",
        registration: "ok",
        device_authorization: "failed: device_grant_disabled",
      });
      expect(report).toMatchObject({ ok: false, missing: "device_grant_disabled" });
    });
  });

  describe("the rendezvous", () => {
    it("no v2024 (no org.matrix.msc4108): named, and v2025 alone is enough", async () => {
      const report = await doctorFor({ rendezvous: { msc4108: false } });
      expect(statusOf(report)).toMatchObject({
        rendezvous_v2024: "failed: no_rendezvous",
        round_trip_v2024: "skipped: no_rendezvous",
        rendezvous_v2025: "ok",
        round_trip_v2025: "ok",
      });
      expect(report.ok).toBe(true);
    });

    it("MSC4388 off: no_rendezvous, and v2024 alone is enough", async () => {
      const report = await doctorFor({ rendezvous: { msc4388Mode: "off" } });
      expect(statusOf(report)).toMatchObject({
        rendezvous_v2025: "failed: no_rendezvous",
        round_trip_v2025: "skipped: no_rendezvous",
        round_trip_v2024: "ok",
      });
      expect(report.ok).toBe(true);
    });

    it("neither version: missing no_rendezvous", async () => {
      const report = await doctorFor({ rendezvous: { msc4108: false, msc4388Mode: "off" } });
      expect(report).toMatchObject({ ok: false, missing: "no_rendezvous" });
    });

    it("MSC4388 for signed-in users only: needs_sign_in, the piece missing when v2024 is off too", async () => {
      const report = await doctorFor({ rendezvous: { msc4108: false, msc4388Mode: "authenticated" } });
      expect(statusOf(report)).toMatchObject({
        rendezvous_v2025: "failed: needs_sign_in",
        round_trip_v2025: "skipped: needs_sign_in",
      });
      expect(report).toMatchObject({ ok: false, missing: "needs_sign_in" });
    });

    it("MSC4388 for signed-in users only, run signed in: the round trip creates with the token", async () => {
      const server = await start({
        testHooks: true,
        rendezvous: { msc4108: false, msc4388Mode: "authenticated" },
      });
      const { access_token: accessToken } = await mintDeviceToken(server, "alice", "DOCTORTEST1");
      const report = await doctor(server, { accessToken });
      expect(statusOf(report)).toMatchObject({ rendezvous_v2025: "ok", round_trip_v2025: "ok" });
      expect(report.ok).toBe(true);
    });

    it.each([
      ["weak", "weak_etag", "token_rewritten"],
      ["suffix", "precondition_loop", "token_rewritten"],
    ] as const)(
      "a proxy rewriting validators (%s): each version's round trip names the evidence",
      async (rewrite, v2024Reason, v2025Reason) => {
        const server = await start();
        server.hooks.addFault({ method: "*", pathPattern: "rendezvous", count: 1_000, rewriteEtag: rewrite });
        const report = await doctor(server);
        expect(statusOf(report)).toMatchObject({
          rendezvous_v2024: "ok",
          round_trip_v2024: `failed: ${v2024Reason}`,
          rendezvous_v2025: "ok",
          round_trip_v2025: `failed: ${v2025Reason}`,
        });
        expect(report).toMatchObject({ ok: false, missing: v2024Reason });
      },
    );

    it("a round trip that makes no progress in time: rendezvous_stalled, at the step it stalled", async () => {
      const server = await start({ testHooks: true });
      // Every create is held unanswered (a proxy that sits on requests) until the test is over.
      const hold = server.hooks.holdRequests({ method: "POST", pathPattern: "rendezvous$", count: 2 });
      try {
        const report = await doctor(server, { timeouts: { ...OPTIONS.timeouts, roundTripMs: 300 } });
        expect(statusOf(report)).toMatchObject({
          round_trip_v2024: "failed: rendezvous_stalled",
          round_trip_v2025: "failed: rendezvous_stalled",
        });
        expect(check(report, "round_trip_v2024")?.detail).toMatch(/^create: no progress within 300 ms/);
        expect(report).toMatchObject({ ok: false, missing: "rendezvous_stalled" });
      } finally {
        hold.release();
      }
    });

    it("a public base URL that leads to another server: the v2024 session URL is named unusable", async () => {
      const elsewhere = await start();
      const report = await doctorFor({
        publicBaseUrl: elsewhere.baseUrl,
        rendezvous: { msc4388Mode: "off" },
      });
      expect(statusOf(report)).toMatchObject({
        rendezvous_v2024: "ok",
        round_trip_v2024: "failed: rendezvous_url_unusable",
      });
      expect(check(report, "round_trip_v2024")?.detail).toContain(
        "does not know the session it just created",
      );
      expect(check(report, "round_trip_v2024")?.detail).toContain(
        `${elsewhere.baseUrl}/_synapse/client/rendezvous/`,
      );
      expect(report).toMatchObject({ ok: false, missing: "rendezvous_url_unusable" });
    });

    it("a public base URL nobody answers at: unusable too, while v2025 (base URL and ID) still works", async () => {
      const gone = await start();
      const nowhere = gone.baseUrl;
      await gone.close();
      const report = await doctorFor({ publicBaseUrl: nowhere });
      expect(statusOf(report)).toMatchObject({
        round_trip_v2024: "failed: rendezvous_url_unusable",
        round_trip_v2025: "ok",
      });
      expect(check(report, "round_trip_v2024")?.detail).toContain("cannot be reached");
    });
  });

  it("an unreachable homeserver: every check is skipped behind the one that failed", async () => {
    const gone = await start();
    const url = gone.baseUrl;
    await gone.close();
    const report = spokenInTheApp(await runDoctor(url, { ...OPTIONS, signal: new AbortController().signal }));
    expect(statusOf(report)).toMatchObject({
      well_known: "skipped: not_needed",
      versions: "failed: unreachable",
      oauth_metadata: "failed: unreachable",
      rendezvous_v2024: "skipped: unreachable",
    });
    expect(report).toMatchObject({ ok: false, missing: "unreachable" });
  });
});

describe("the doctor command", () => {
  const cli = useBuiltCli();
  let home: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "mql-cli-doctor-"));
  });

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  function runCli(
    args: readonly string[],
  ): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli.entry, ...args], { cwd: ROOT, env: cliEnv(home) });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.once("error", reject);
      child.once("close", (status) => {
        resolve({ status, stdout, stderr });
      });
    });
  }

  /** The doctor on `url`, once with --json and once for a person, side by side. */
  async function doctorCli(
    url: string,
  ): Promise<{ report: DoctorReport; status: number | null; last: string }> {
    const [json, human] = await Promise.all([
      runCli(["doctor", url, "--json", "--allow-insecure-http"]),
      runCli(["doctor", url, "--allow-insecure-http"]),
    ]);
    // --json: one report object on stdout, and nothing else there.
    const lines = json.stdout.trim().split("\n");
    expect(lines, json.stderr).toHaveLength(1);
    const report = doctorReportSchema.parse(JSON.parse(lines[0] ?? ""));
    expect(human.status).toBe(json.status);
    return { report, status: json.status, last: human.stdout.trim().split("\n").at(-1) ?? "" };
  }

  type Setup = () => Promise<Devserver>;
  const cases: [name: string, setup: Setup, missing: string, failed: Record<string, string>][] = [
    [
      "no OAuth API",
      () => start({ authMetadata: false }),
      "no_oauth_api",
      { oauth_metadata: "no_oauth_api" },
    ],
    [
      "registration refused",
      () => start({ refuseRegistration: true }),
      "registration_refused",
      { registration: "registration_refused" },
    ],
    [
      "the device grant disabled on the account server",
      () => start({ deviceCodeGrantEnabled: false }),
      "device_grant_disabled",
      { device_authorization: "device_grant_disabled" },
    ],
    [
      "no rendezvous at all (--no-msc4108 and --msc4388-mode off)",
      () => start({ rendezvous: { msc4108: false, msc4388Mode: "off" } }),
      "no_rendezvous",
      { rendezvous_v2024: "no_rendezvous", rendezvous_v2025: "no_rendezvous" },
    ],
    [
      "--no-msc4108 and --msc4388-mode authenticated",
      () => start({ rendezvous: { msc4108: false, msc4388Mode: "authenticated" } }),
      "needs_sign_in",
      { rendezvous_v2025: "needs_sign_in" },
    ],
    [
      "a proxy rewriting ETags",
      async () => {
        const server = await start();
        server.hooks.addFault({ method: "*", pathPattern: "rendezvous", count: 1_000, rewriteEtag: "weak" });
        return server;
      },
      "weak_etag",
      { round_trip_v2024: "weak_etag", round_trip_v2025: "token_rewritten" },
    ],
    [
      "a --public-base-url that does not lead back",
      async () => {
        const elsewhere = await start();
        return start({ publicBaseUrl: elsewhere.baseUrl, rendezvous: { msc4388Mode: "off" } });
      },
      "rendezvous_url_unusable",
      { round_trip_v2024: "rendezvous_url_unusable" },
    ],
  ];

  it.each(cases)(
    "%s: exit status 3, the missing piece on the last line",
    async (_name, setup, missing, failed) => {
      const server = await setup();
      const { report, status, last } = await doctorCli(server.baseUrl);
      expect(status).toBe(3);
      expect(report).toMatchObject({ ok: false, missing });
      const failedChecks = Object.fromEntries(
        report.checks.filter((entry) => entry.status === "failed").map((entry) => [entry.id, entry.cause]),
      );
      expect(failedChecks).toMatchObject(failed);
      expect(last).toMatch(
        new RegExp(`^QR sign-in cannot work with ${server.baseUrl}: missing ${missing}\\b`),
      );
    },
  );

  /** A profile signed in as alice on `server` (a device token of the devserver's own), closed again. */
  async function signedInProfile(server: Devserver, name: string): Promise<{ dir: string; token: string }> {
    const dir = join(home, name);
    const minted = await mintDeviceToken(server, "alice", `DOCTORCLI${name.toUpperCase()}`);
    const profile = await Profile.open({ location: { dir }, app: "test" });
    await profile.setAccount(
      { homeserver: server.baseUrl, userId: minted.user_id, deviceId: minted.device_id },
      { accessToken: minted.access_token },
    );
    await profile.close();
    return { dir, token: minted.access_token };
  }

  it("MSC4388 for signed-in users only, the profile signed in there: the create is tried with its token", async () => {
    const server = await start({
      testHooks: true,
      rendezvous: { msc4108: false, msc4388Mode: "authenticated" },
    });
    const { dir, token } = await signedInProfile(server, "here");
    // One after the other: each takes the profile's lock.
    const json = await runCli([
      "doctor",
      server.baseUrl,
      "--json",
      "--allow-insecure-http",
      "--profile-dir",
      dir,
    ]);
    const human = await runCli(["doctor", server.baseUrl, "--allow-insecure-http", "--profile-dir", dir]);
    const report = doctorReportSchema.parse(JSON.parse(json.stdout.trim()));
    expect(statusOf(report)).toMatchObject({ rendezvous_v2025: "ok", round_trip_v2025: "ok" });
    expect(report.ok).toBe(true);
    expect([json.status, human.status]).toEqual([0, 0]);
    expect(human.stdout.trim().split("\n").at(-1)).toBe(`QR sign-in can work with ${server.baseUrl}.`);
    // The token is used, never shown.
    for (const text of [json.stdout, json.stderr, human.stdout, human.stderr])
      expect(text).not.toContain(token);
  });

  it("the profile signed in on another homeserver: its token stays home, and the report is needs_sign_in", async () => {
    const home = await start({ testHooks: true });
    const server = await start({ rendezvous: { msc4108: false, msc4388Mode: "authenticated" } });
    const { dir } = await signedInProfile(home, "elsewhere");
    const json = await runCli([
      "doctor",
      server.baseUrl,
      "--json",
      "--allow-insecure-http",
      "--profile-dir",
      dir,
    ]);
    expect(json.status).toBe(3);
    const report = doctorReportSchema.parse(JSON.parse(json.stdout.trim()));
    expect(statusOf(report)).toMatchObject({ rendezvous_v2025: "failed: needs_sign_in" });
    expect(report).toMatchObject({ ok: false, missing: "needs_sign_in" });
    // Not offered to this server at all (which would have answered 401 to it too).
    expect(check(report, "rendezvous_v2025")?.detail).not.toMatch(/with the access token given/);
  });

  it.each([
    ["--no-msc4108", { rendezvous: { msc4108: false } }, "rendezvous_v2024"],
    ["--msc4388-mode off", { rendezvous: { msc4388Mode: "off" } }, "rendezvous_v2025"],
  ] as const)(
    "%s alone: the version is named missing, and a QR sign-in can still work (exit 0)",
    async (_name, options, id) => {
      const server = await start(options);
      const { report, status, last } = await doctorCli(server.baseUrl);
      expect(status).toBe(0);
      expect(report.ok).toBe(true);
      expect(check(report, id)).toMatchObject({ status: "failed", cause: "no_rendezvous" });
      expect(last).toBe(`QR sign-in can work with ${server.baseUrl}.`);
    },
  );
});
