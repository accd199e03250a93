// Our pair end to end (parts 2 and 3 of the flow benchmark): two devices of the app on our flows, as
// test/flows/harness.ts drives them on its success row, but on the production timings and with the person the
// benchmark plays. The existing device is one signed-in account with encryption set up; each run signs a new,
// empty profile in.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Devserver } from "../../devserver/index";
import { Account } from "../../src-main/engine/account";
import type { FlowController } from "../../src-main/flows/controller";
import type { FlowHost } from "../../src-main/flows/host";
import { startFlow } from "../../src-main/flows/start";
import { Profile } from "../../src-main/matrix";
import { discoverAuthMetadata, pollDeviceToken, startDeviceAuthorization } from "../../src-main/oauth";
import { createRuntime, type WireVersion } from "../../src-main/protocol";
import type { FlowSnapshot } from "../../src-shared/flow";
import type { TranscriptEntry } from "../../src-shared/transcript";
import {
  countRequests,
  postHook,
  until,
  userCodeOf,
  wait,
  type Direction,
  type E2eRun,
  type Hold,
  type Mark,
  type Person,
} from "./e2e-run";
import { asDevice, type DeviceLabel } from "./requests";

const SIGNAL = new AbortController().signal;

export interface OurWorld {
  readonly server: Devserver;
  readonly user: string;
  readonly existing: Account;
  /** Where each run's new profile is made. */
  readonly root: string;
  /** Runs so far (names each run's profile). */
  runs: number;
  close(): Promise<void>;
}

/** `user`'s existing device: signed in with the device grant (approved through the hook), encryption set up. */
export async function ourWorld(server: Devserver, user: string): Promise<OurWorld> {
  const root = await mkdtemp(join(tmpdir(), "mql-bench-"));
  const runtime = createRuntime();
  const profile = await Profile.open({ location: { dir: join(root, "existing") }, app: "bench" });
  const account = new Account({ runtime, profile, allowInsecureHttp: true });
  const options = { runtime, signal: SIGNAL, allowInsecureHttp: true };
  const metadata = await discoverAuthMetadata(server.baseUrl, options);
  const clientId = await account.clientId(metadata, SIGNAL);
  const deviceId = "BENCHEXISTING";
  const authorization = await startDeviceAuthorization({ ...options, metadata, clientId, deviceId });
  await postHook(server.baseUrl, "/_devserver/approve", {
    user_code: authorization.userCode,
    user,
    approve: true,
  });
  const tokens = await pollDeviceToken(authorization, options);
  const device = await account.signedIn(
    { baseUrl: server.baseUrl, metadata, clientId, deviceId, tokens },
    SIGNAL,
  );
  await device.setUpEncryption(SIGNAL);
  return {
    server,
    user,
    existing: account,
    root,
    runs: 0,
    close: async () => {
      await account.stop();
      await profile.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

interface Side {
  readonly device: DeviceLabel;
  readonly shows: boolean;
  readonly entries: TranscriptEntry[];
  readonly snapshots: FlowSnapshot[];
  /** When each phase was first shown. */
  readonly shown: Mark[];
  controller?: FlowController;
  ended?: { ok: boolean; at: number; detail: string };
}

function hostFor(side: Side, openUrl: (url: string) => Promise<void>): FlowHost {
  const runtime = createRuntime();
  return {
    ...runtime,
    transcript: (entry) => {
      side.entries.push(entry);
    },
    openUrl: async (url) => {
      void openUrl(url);
      return Promise.resolve("opened" as const);
    },
  };
}

/** One sign-in of a new device, from the QR code shown to the new device verified. */
export async function runOurPair(
  world: OurWorld,
  direction: Direction,
  version: WireVersion,
  person: Person,
): Promise<E2eRun> {
  world.runs += 1;
  const profile = await Profile.open({
    location: { dir: join(world.root, `new-${world.runs}`) },
    app: "bench",
  });
  await profile.updateSettings({ homeserver: world.server.baseUrl });
  const newAccount = new Account({ runtime: createRuntime(), profile, allowInsecureHttp: true });
  const existingShows = direction === "existing_shows";
  const sides: Record<DeviceLabel, Side> = {
    existing: { device: "existing", shows: existingShows, entries: [], snapshots: [], shown: [] },
    new: { device: "new", shows: !existingShows, entries: [], snapshots: [], shown: [] },
  };
  const generator = existingShows ? sides.existing : sides.new;
  const scanner = existingShows ? sides.new : sides.existing;
  const failures: unknown[] = [];
  const holds: Hold[] = [];
  let shownAt: number | undefined;
  let doneAt: number | undefined;

  // The person consents the moment the page opens (or after the consent hold).
  const consent = async (url: string): Promise<void> => {
    const start = Date.now();
    await wait(person.consentMs);
    if (person.consentMs > 0) holds.push({ what: "consent", start, end: Date.now() });
    await postHook(world.server.baseUrl, "/_devserver/approve", {
      user_code: userCodeOf(url),
      user: world.user,
      approve: true,
    });
  };
  const act = (what: Promise<unknown>): void => {
    what.catch((error: unknown) => failures.push(error));
  };
  const command = (side: Side, value: unknown): void => {
    const answer = side.controller?.command(value);
    if (answer?.type !== "accepted")
      failures.push(new Error(`${side.device} refused ${JSON.stringify(value)}: ${JSON.stringify(answer)}`));
  };
  let codeTyped = false;
  const react = (side: Side, snapshot: FlowSnapshot): void => {
    switch (snapshot.phase) {
      case "showing_qr":
        shownAt ??= Date.now();
        command(scanner, { type: "submitScannedQr", bytes: snapshot.qr });
        return;
      case "check_code_entry": {
        if (codeTyped) return;
        codeTyped = true;
        const shown = scanner.snapshots.find((s) => s.phase === "check_code_display");
        const start = Date.now();
        act(
          (async () => {
            await until("the scanner's check code", () =>
              scanner.snapshots.some((s) => s.phase === "check_code_display"),
            );
            const display = shown ?? scanner.snapshots.find((s) => s.phase === "check_code_display");
            await wait(person.checkCodeMs);
            if (person.checkCodeMs > 0) holds.push({ what: "check code", start, end: Date.now() });
            command(generator, {
              type: "submitCheckCode",
              code: display?.phase === "check_code_display" ? display.code : "",
            });
          })(),
        );
        return;
      }
      case "approve_device":
        command(side, { type: "approveDevice", approve: true });
        return;
      case "done":
        if (side.device === "new") doneAt ??= Date.now();
        return;
      default:
        return;
    }
  };
  const start = (side: Side): void => {
    const common = {
      host: hostFor(side, (url) => consent(url)),
      side: side.shows ? ("generator" as const) : ("scanner" as const),
      allowInsecureHttp: true,
      version,
    };
    const controller = asDevice(side.device, () =>
      side.device === "existing"
        ? startFlow({ ...common, role: "existing_device", account: world.existing.existingDevice() })
        : startFlow({ ...common, role: "new_device", account: newAccount.newDevice() }),
    );
    side.controller = controller;
    side.snapshots.push(controller.snapshot());
    controller.subscribe((snapshot) => {
      if (side.snapshots.at(-1)?.phase !== snapshot.phase)
        side.shown.push({ device: side.device, name: `shows ${snapshot.phase}`, atMs: Date.now() });
      side.snapshots.push(snapshot);
      react(side, snapshot);
    });
    void controller.finished.then((outcome) => {
      side.ended = { ok: outcome.ok, at: Date.now(), detail: JSON.stringify(outcome) };
    });
  };

  try {
    // The scanning device's camera is open before the QR code appears: the clock starts at the QR code.
    start(scanner);
    await until("the scanner's camera", () => scanner.snapshots.some((s) => s.phase === "scanning"));
    start(generator);
    await until(
      "both flows to end",
      () => (sides.existing.ended !== undefined && sides.new.ended !== undefined) || failures.length > 0,
    );
    if (failures.length > 0) throw failures[0];
    for (const side of [sides.existing, sides.new]) {
      if (side.ended?.ok !== true) throw new Error(`${side.device} ended ${side.ended?.detail ?? "running"}`);
    }
    const done = sides.new.snapshots.find((s) => s.phase === "done");
    if (done?.phase !== "done" || !done.verified) throw new Error("the new device did not end verified");
    if (shownAt === undefined || doneAt === undefined) throw new Error("no QR code shown or no end seen");
    const t0 = shownAt;
    return {
      totalMs: doneAt - t0,
      ...countRequests(t0, doneAt, holds),
      marks: [sides.existing, sides.new].flatMap((side) => [
        ...marksOf(side, t0),
        ...side.shown.map((mark) => ({ ...mark, atMs: mark.atMs - t0 })),
      ]),
    };
  } finally {
    for (const side of [sides.existing, sides.new]) side.controller?.cancel();
    await newAccount.stop();
    await profile.close();
  }
}

/** The numbered steps and the messages sent and received, from the side's transcript. */
function marksOf(side: Side, t0: number): Mark[] {
  const marks: Mark[] = [];
  for (const entry of side.entries) {
    if (entry.kind === "step" && entry.layer === "flow" && entry.step !== undefined)
      marks.push({ device: side.device, name: entry.step, atMs: entry.time - t0 });
    // The token endpoint's answers: when the device grant's polling looked.
    if (entry.kind === "http" && entry.layer === "oauth" && entry.path.endsWith("/token"))
      marks.push({
        device: side.device,
        name: `token ${entry.status ?? entry.error ?? ""}`,
        atMs: entry.time - t0,
      });
    if (entry.kind === "message")
      marks.push({
        device: side.device,
        name: `${entry.direction} ${entry.messageType}`,
        atMs: entry.time - t0,
      });
  }
  return marks;
}
