// The sequence diagram's layout, read as data: one arrow per HTTP call or login message that is not a poll that
// found nothing, such polls folded and counted, every arrow labelled with its step, the account provider's
// lifeline only when OAuth took part, and the secure channel's band from the end of the handshake on.
import { describe, expect, it } from "vitest";
import { WIRE_VERSIONS } from "../../src-shared/flow";
import { httpEntry, messageEntry, stepEntry, type TranscriptEntry } from "../../src-shared/transcript";
import { RUN_KEYS, cannedRun } from "./canned-transcripts";
import { layoutSequence } from "./sequence-layout";

const HS = "https://hs.example.org";
const SESSION = `${HS}/_synapse/client/rendezvous/01JVQ8ABCDEFGHJKMNPQRSTVWX`;
const V2025 = `${HS}/_matrix/client/unstable/io.element.msc4388/rendezvous`;
let clock = 1_000;

function get(status: number, extra: { etag?: string; sequenceToken?: string; step?: string } = {}) {
  clock += 1000;
  return httpEntry({ layer: "rendezvous", method: "GET", url: SESSION, status, time: clock, ...extra });
}

function step(id: string): TranscriptEntry {
  clock += 10;
  return stepEntry({ layer: "flow", step: id, name: `step ${id}`, time: clock });
}

describe("layoutSequence", () => {
  it("folds v2024 polls answered 304 into one dotted line per run, broken by anything else", () => {
    const entries = [
      step("A-G1"),
      httpEntry({
        layer: "rendezvous",
        method: "POST",
        url: HS + "/r",
        status: 201,
        etag: '"e0"',
        step: "A-G1",
      }),
      get(304, { etag: '"e0"', step: "A-G1" }),
      get(304, { etag: '"e0"', step: "A-G1" }),
      get(304, { etag: '"e0"', step: "A-G1" }),
      get(200, { etag: '"e1"', step: "A-G1" }),
      step("A-G3"),
      httpEntry({
        layer: "rendezvous",
        method: "PUT",
        url: SESSION,
        status: 202,
        etag: '"e2"',
        step: "A-G3",
      }),
      get(304, { etag: '"e2"', step: "A-G3" }),
    ];
    const layout = layoutSequence(entries);
    expect(layout.arrows.map((arrow) => arrow.index)).toEqual([1, 5, 7]);
    expect(layout.folds.map((fold) => fold.indices)).toEqual([[2, 3, 4], [8]]);
    expect(layout.folds.map((fold) => fold.count)).toEqual([3, 1]);
    expect(layout.folds[0]?.reason).toBe("not_modified");
    expect(layout.steps.map((mark) => mark.step)).toEqual(["A-G1", "A-G3"]);
    // Rows in transcript order: step, POST, fold, GET 200, step, PUT, fold.
    expect(layout.rowCount).toBe(7);
    const ys = [layout.steps[0], layout.arrows[0], layout.folds[0], layout.arrows[1]].map((item) => item?.y);
    expect([...ys].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(ys);
  });

  it("folds v2025 reads whose sequence token this device already knew, and no first read", () => {
    const entries = [
      httpEntry({
        layer: "rendezvous",
        method: "GET",
        url: `${V2025}/01J`,
        status: 200,
        sequenceToken: "t0",
      }),
      httpEntry({
        layer: "rendezvous",
        method: "PUT",
        url: `${V2025}/01J`,
        status: 200,
        sequenceToken: "t1",
      }),
      httpEntry({
        layer: "rendezvous",
        method: "GET",
        url: `${V2025}/01J`,
        status: 200,
        sequenceToken: "t1",
      }),
      httpEntry({
        layer: "rendezvous",
        method: "GET",
        url: `${V2025}/01J`,
        status: 200,
        sequenceToken: "t1",
      }),
      httpEntry({
        layer: "rendezvous",
        method: "GET",
        url: `${V2025}/01J`,
        status: 200,
        sequenceToken: "t2",
      }),
    ];
    const layout = layoutSequence(entries);
    expect(layout.arrows.map((arrow) => arrow.index)).toEqual([0, 1, 4]);
    expect(layout.folds).toHaveLength(1);
    expect(layout.folds[0]).toMatchObject({ indices: [2, 3], count: 2, reason: "same_token" });
  });

  it("labels each arrow with its step, method, short path, status and token", () => {
    const entries = [
      step("A-S2"),
      httpEntry({
        layer: "rendezvous",
        method: "PUT",
        url: SESSION,
        status: 202,
        etag: '"Jq3xK9vLmN0pQrStUvWxYz"',
        step: "A-S2",
      }),
      httpEntry({
        layer: "matrix",
        method: "GET",
        url: `${HS}/_matrix/client/v3/account/whoami`,
        status: 200,
        step: "A-S10",
      }),
      messageEntry({ direction: "sent", messageType: "m.login.success", step: "A-S10" }),
    ];
    const [put, whoami, success] = layoutSequence(entries).arrows;
    expect(put).toMatchObject({ step: "A-S2", label: "PUT rendezvous → 202", detail: 'ETag "Jq3xK9vL…"' });
    expect(whoami).toMatchObject({ step: "A-S10", label: "GET account/whoami → 200", detail: undefined });
    expect(success).toMatchObject({ step: "A-S10", label: "m.login.success", secure: true });
  });

  it("draws HTTP calls to the server they reached and messages between the devices", () => {
    const entries = [
      httpEntry({
        layer: "oauth",
        method: "POST",
        url: "https://auth.example.org/oauth2/device",
        status: 200,
      }),
      httpEntry({ layer: "matrix", method: "GET", url: `${HS}/_matrix/client/versions`, status: 200 }),
      messageEntry({ direction: "sent", messageType: "m.login.protocol" }),
      messageEntry({ direction: "received", messageType: "m.login.protocol_accepted" }),
    ];
    const layout = layoutSequence(entries, { width: 1200 });
    expect(layout.lifelines.map((line) => line.id)).toEqual([
      "account",
      "this_device",
      "server",
      "other_device",
    ]);
    expect(layout.lifelines.map((line) => line.x)).toEqual(
      [...layout.lifelines.map((line) => line.x)].sort((a, b) => a - b),
    );
    expect(layout.arrows.map((arrow) => [arrow.from, arrow.to])).toEqual([
      ["this_device", "account"],
      ["this_device", "server"],
      ["this_device", "other_device"],
      ["other_device", "this_device"],
    ]);
    expect(layout.lifelines.find((line) => line.id === "account")).toMatchObject({
      host: "auth.example.org",
      activeFrom: layout.arrows[0]?.y,
      activeTo: layout.arrows[0]?.y,
    });
  });

  it("has no account provider lifeline before an OAuth call reaches it", () => {
    const discovery = httpEntry({
      layer: "oauth",
      method: "GET",
      url: `${HS}/_matrix/client/v1/auth_metadata`,
      status: 200,
    });
    const layout = layoutSequence([step("A-G1"), get(200, { etag: '"a"' }), discovery]);
    expect(layout.lifelines.map((line) => line.id)).toEqual(["this_device", "server", "other_device"]);
    // The homeserver answers discovery itself.
    expect(layout.arrows.at(-1)?.to).toBe("server");
  });

  it("shows the secure channel as a band from the end of the handshake", () => {
    const entries = [
      step("A-S2"),
      httpEntry({ layer: "rendezvous", method: "PUT", url: SESSION, status: 202, etag: '"a"', step: "A-S2" }),
      step("A-S3"),
      get(200, { etag: '"b"', step: "A-S3" }),
      step("A-S4"),
      httpEntry({
        layer: "oauth",
        method: "POST",
        url: "https://auth.example.org/oauth2/device",
        status: 200,
      }),
      step("A-S5"),
      httpEntry({ layer: "rendezvous", method: "PUT", url: SESSION, status: 202, etag: '"c"', step: "A-S5" }),
      messageEntry({ direction: "sent", messageType: "m.login.protocol", step: "A-S5" }),
      httpEntry({ layer: "matrix", method: "POST", url: `${HS}/_matrix/client/v3/keys/query`, status: 200 }),
    ];
    const layout = layoutSequence(entries);
    expect(layout.bands).toHaveLength(1);
    const [band] = layout.bands;
    expect(band).toMatchObject({ startIndex: 4, endIndex: 8 });
    const a4 = layout.steps.find((mark) => mark.step === "A-S4");
    const message = layout.arrows.find((arrow) => arrow.index === 8);
    const handshakePut = layout.arrows.find((arrow) => arrow.index === 1);
    expect(band?.y1).toBeLessThan(a4?.y ?? 0);
    expect(band?.y2).toBeGreaterThan(message?.y ?? 0);
    expect(band?.y1).toBeGreaterThan(handshakePut?.y ?? 0);
    expect(band?.x1).toBe(layout.lifelines.find((line) => line.id === "this_device")?.x);
    expect(band?.x2).toBe(layout.lifelines.find((line) => line.id === "other_device")?.x);
  });

  it("starts no band before the handshake is over", () => {
    const layout = layoutSequence([step("A-G1"), step("A-G2"), step("A-G3"), step("A-G4")]);
    expect(layout.bands).toEqual([]);
  });

  it("treats the existing device's 404 for a device that must not exist yet as good news", () => {
    const check = httpEntry({
      layer: "matrix",
      method: "GET",
      url: `${HS}/_matrix/client/v3/devices/QWERTYUIOP`,
      status: 404,
      step: "A-G7",
    });
    const wait = { ...check, step: "A-G11" };
    const layout = layoutSequence([check, wait, wait]);
    expect(layout.arrows).toHaveLength(1);
    expect(layout.arrows[0]?.tone).toBe("normal");
    expect(layout.folds[0]).toMatchObject({ count: 2, reason: "not_yet" });
  });

  describe.each(WIRE_VERSIONS)("the canned success runs (%s)", (version) => {
    it.each(RUN_KEYS)("give one arrow per entry that is not a folded poll ($direction-$side)", (key) => {
      const run = cannedRun(key.direction, key.side, version);
      const layout = layoutSequence(run.entries);
      const drawable = run.entries.filter((entry) => entry.kind !== "step").length;
      expect(layout.folds.reduce((sum, fold) => sum + fold.count, 0)).toBe(run.emptyPolls);
      expect(layout.arrows).toHaveLength(drawable - run.emptyPolls);
      expect(layout.steps).toHaveLength(run.entries.filter((entry) => entry.kind === "step").length);
      // Each entry appears exactly once: as an arrow or in a fold.
      const seen = [
        ...layout.arrows.map((arrow) => arrow.index),
        ...layout.folds.flatMap((fold) => fold.indices),
      ];
      expect(new Set(seen).size).toBe(drawable);
      // Every arrow after the first step carries its step's ID.
      const firstStep = run.entries.findIndex((entry) => entry.kind === "step");
      for (const arrow of layout.arrows) {
        expect(arrow.step).toBe(run.entries[arrow.index]?.step);
        if (arrow.index > firstStep) expect(arrow.step, arrow.label).toMatch(/^[AB]-[GS]\d+$/);
      }
      // The account's own Matrix calls are there, each in its step: the existing device's device checks, the new
      // device's whoami and self-signing.
      const matrixSteps = layout.arrows.flatMap((arrow) =>
        arrow.entry.kind === "http" &&
        arrow.entry.layer === "matrix" &&
        arrow.entry.path.startsWith("/_matrix/client/v3/")
          ? [
              `${arrow.entry.method} ${arrow.entry.path
                .replace("/_matrix/client/v3/", "")
                .replace(/^devices\/.+$/, "devices/{id}")} ${arrow.step ?? ""}`,
            ]
          : [],
      );
      const [existing, created] = key.direction === "A" ? ["A-G7", "A-G11"] : ["B-S6", "B-S10"];
      const [signedIn, imported] = key.direction === "A" ? ["A-S10", "A-S11"] : ["B-G11", "B-G12"];
      const existingDevice = (key.direction === "A") === (key.side === "G");
      expect(matrixSteps).toEqual(
        existingDevice
          ? [`GET devices/{id} ${existing}`, `GET devices/{id} ${created}`]
          : [
              `GET account/whoami ${signedIn}`,
              `PUT devices/{id} ${imported}`,
              `POST keys/upload ${imported}`,
              `POST keys/signatures/upload ${imported}`,
            ],
      );
      expect(layout.bands).toHaveLength(1);
      expect(layout.lifelines.map((line) => line.id)).toContain("other_device");
    });
  });

  it("folds nothing but polls that found nothing: every other entry is one arrow, whatever it called", () => {
    const matrix = (method: string, path: string, extra: { status?: number; step?: string } = {}) => {
      clock += 50;
      return httpEntry({
        layer: "matrix",
        method,
        url: `${HS}/_matrix/client/v3${path}`,
        time: clock,
        status: extra.status ?? 200,
        ...(extra.step === undefined ? {} : { step: extra.step }),
      });
    };
    const entries = [
      step("A-S11"),
      get(304, { etag: '"e0"', step: "A-S11" }),
      get(304, { etag: '"e0"', step: "A-S11" }),
      matrix("PUT", "/devices/QWERTYUIOPAS", { step: "A-S11" }),
      get(304, { etag: '"e0"', step: "A-S11" }),
      matrix("POST", "/keys/upload", { step: "A-S11" }),
      get(200, { etag: '"e1"', step: "A-S11" }),
      messageEntry({
        direction: "received",
        messageType: "m.login.secrets",
        time: (clock += 10),
        step: "A-S11",
      }),
      matrix("POST", "/keys/signatures/upload", { step: "A-S11" }),
      // A call with no step (a transcript from before the client's housekeeping was left out) is an arrow too.
      matrix("GET", "/sync"),
    ];
    const layout = layoutSequence(entries);
    expect(layout.folds.map((fold) => [fold.reason, fold.indices])).toEqual([
      ["not_modified", [1, 2]],
      ["not_modified", [4]],
    ]);
    expect(layout.arrows.map((arrow) => arrow.index)).toEqual([3, 5, 6, 7, 8, 9]);
    expect(layout.arrows.map((arrow) => arrow.step)).toEqual([
      "A-S11",
      "A-S11",
      "A-S11",
      "A-S11",
      "A-S11",
      undefined,
    ]);
  });
});
