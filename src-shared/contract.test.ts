import { describe, expect, it } from "vitest";
import {
  COMMANDS,
  EVENTS,
  MAX_MESSAGE_CHARS,
  SNAPSHOT_PHASES,
  flowSnapshotSchema,
  readRequest,
} from "./contract";
import { FLOW_PHASES } from "./flow";

describe("contract", () => {
  it("has a snapshot schema for every phase", () => {
    const options = flowSnapshotSchema.options.map((option) => option.shape.phase.value);
    expect([...options].sort()).toEqual([...FLOW_PHASES].sort());
    expect(SNAPSHOT_PHASES).toBe(FLOW_PHASES);
  });

  it("refuses extra keys, wrong types and oversize requests with a typed error", () => {
    expect(readRequest("flow.start", { kind: "link", side: "show" }).ok).toBe(true);
    expect(readRequest("flow.start", { kind: "link", side: "show", extra: 1 })).toMatchObject({
      ok: false,
      error: { code: "invalid_request" },
    });
    expect(readRequest("flow.start", { kind: "link", side: 3 })).toMatchObject({ ok: false });
    expect(readRequest("doctor.run", { homeserver: "x".repeat(MAX_MESSAGE_CHARS + 1) })).toMatchObject({
      ok: false,
      error: { code: "too_large" },
    });
  });

  it("names every command and event once", () => {
    expect(Object.keys(COMMANDS).length).toBeGreaterThan(10);
    expect(Object.keys(EVENTS)).toContain("flow.snapshot");
  });
});
