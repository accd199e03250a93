import { describe, expect, it } from "vitest";
import {
  COMMANDS,
  EVENTS,
  MAX_MESSAGE_CHARS,
  SNAPSHOT_PHASES,
  flowSnapshotSchema,
  MAX_FRAME_DEPTH,
  readCommand,
  readHostFrame,
  readInvokeFrame,
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

  // Found by the fuzzer (ipc.electron, minimal input `account.get` with the payload {"\u2029": ""}): zod names an
  // unknown key in its message, so a sender's key reached the contract error, and from there the page and the
  // hosts' log lines, with its line separator raw.
  it("escapes the sender's own keys and names in a refusal's message, which stays within its 300 characters", () => {
    const refused = readRequest("account.get", { "\u2029": "" });
    expect(refused).toEqual({
      ok: false,
      error: { code: "invalid_request", message: 'payload: Unrecognized key: "\\u2029"' },
    });
    const long = readRequest("account.get", { ["\n".repeat(400)]: "" });
    expect(long.ok).toBe(false);
    const message = long.ok ? "" : long.error.message;
    expect(message).not.toMatch(/[\n\u2029]/);
    expect(message.length).toBeLessThanOrEqual(300);
    // The page reads the host's refusal back with the same schema.
    expect(
      readHostFrame(JSON.stringify({ type: "refused", error: long.ok ? undefined : long.error })).ok,
    ).toBe(true);
    expect(readCommand("a\u0085b", {})).toEqual({
      ok: false,
      error: { code: "unknown_command", message: "no command named a\\u0085b" },
    });
    expect(readCommand(Object.create(null), {})).toMatchObject({
      ok: false,
      error: { code: "unknown_command", message: "no command named a object" },
    });
  });

  // Found by the fuzzer (ipc.pageFrame, minimal input 70,000 characters of "["): JSON.parse spends about a
  // microsecond per level of nesting, so a deep frame blocked the reader (a 5 MiB one, the host, for seconds).
  it("refuses a frame that nests deeper than any message before parsing it", () => {
    const deep = "[".repeat(70_000);
    const refusal = { code: "invalid_request", message: `a frame nests over ${MAX_FRAME_DEPTH} deep` };
    expect(readHostFrame(deep)).toEqual({ ok: false, error: refusal });
    expect(readInvokeFrame(`{"type":"invoke","id":1,"name":"account.get","request":${deep}`)).toEqual({
      ok: false,
      error: refusal,
    });
    // Brackets inside strings are text, not nesting; a real message passes.
    const inString = JSON.stringify({
      type: "invoke",
      id: 2,
      name: "account.get",
      request: {},
      x: "[".repeat(99),
    });
    expect(readInvokeFrame(inString)).toMatchObject({ ok: false, id: 2, error: { code: "invalid_request" } });
    const stringRead = readInvokeFrame(inString);
    expect(stringRead.ok ? undefined : stringRead.error).not.toEqual(refusal);
    expect(
      readInvokeFrame(JSON.stringify({ type: "invoke", id: 3, name: "account.get", request: {} })),
    ).toMatchObject({
      ok: true,
      id: 3,
    });
  });
});
