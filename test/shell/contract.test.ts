// The contract, generated from its own schemas: every command's request and response and every event's payload
// survives the trip over a transport and is read back as it was sent; and every wrong message (extra keys, values
// of the wrong kind, not an object, oversize, a name the contract does not have) is refused with a typed error,
// never thrown.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  COMMAND_NAMES,
  COMMANDS,
  EVENT_NAMES,
  EVENTS,
  readCommand,
  readEvent,
  readInvokeFrame,
  readOutcome,
  readRequest,
  type CommandName,
  type EventName,
} from "../../src-shared/contract";
import { invalid, overTheWire, oversize, unknownName, valid } from "./contract-arbitraries";

const runs = { numRuns: 60 };

describe("the contract's names", () => {
  it("lists every command and event once, and the schemas cover exactly those names", () => {
    expect(Object.keys(COMMANDS).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(Object.keys(EVENTS).sort()).toEqual([...EVENT_NAMES].sort());
    expect(new Set(COMMAND_NAMES).size).toBe(COMMAND_NAMES.length);
    expect(new Set(EVENT_NAMES).size).toBe(EVENT_NAMES.length);
  });
});

describe.each(COMMAND_NAMES.map((name) => [name] as [CommandName]))("command %s", (name) => {
  const { request, response } = COMMANDS[name];

  it("reads back every valid request and response as sent", () => {
    fc.assert(
      fc.property(valid(request), valid(response), (sentRequest, sentResponse) => {
        const read = readRequest(name, overTheWire(sentRequest));
        expect(read).toEqual({ ok: true, value: sentRequest });
        const outcome = readOutcome(name, overTheWire({ ok: true, value: sentResponse }));
        expect(outcome).toEqual({ ok: true, value: sentResponse });
      }),
      runs,
    );
  });

  it("refuses extra keys, values of the wrong kind and non-objects with invalid_request", () => {
    fc.assert(
      fc.property(invalid(request), (payload) => {
        const read = readRequest(name, overTheWire(payload));
        expect(read.ok).toBe(false);
        if (!read.ok) expect(read.error.code).toBe("invalid_request");
      }),
      runs,
    );
  });

  it("refuses an oversize request with too_large before reading it", () => {
    fc.assert(
      fc.property(oversize(request), (payload) => {
        expect(readRequest(name, payload)).toMatchObject({ ok: false, error: { code: "too_large" } });
      }),
      { numRuns: 10 },
    );
  });

  it("reads an answer that breaks the response schema as invalid_response", () => {
    fc.assert(
      fc.property(invalid(response), (value) => {
        expect(readOutcome(name, overTheWire({ ok: true, value }))).toMatchObject({
          ok: false,
          contractError: { code: "invalid_response" },
        });
      }),
      runs,
    );
    expect(
      readOutcome(name, { ok: false, error: { code: "network", retryable: true, message: "m" } }),
    ).toEqual({
      ok: false,
      error: { code: "network", retryable: true, message: "m" },
    });
    expect(
      readOutcome(name, { ok: false, error: { code: "network", retryable: true, message: "m", token: "t" } }),
    ).toMatchObject({ ok: false, contractError: { code: "invalid_response" } });
    expect(readOutcome(name, "anything")).toMatchObject({
      ok: false,
      contractError: { code: "invalid_response" },
    });
  });
});

describe.each(EVENT_NAMES.map((name) => [name] as [EventName]))("event %s", (name) => {
  it("reads back every valid payload, and refuses wrong and oversize ones", () => {
    fc.assert(
      fc.property(valid(EVENTS[name]), (payload) => {
        expect(readEvent(name, overTheWire(payload))).toEqual({ ok: true, value: payload });
      }),
      runs,
    );
    fc.assert(
      fc.property(invalid(EVENTS[name]), (payload) => {
        expect(readEvent(name, overTheWire(payload))).toMatchObject({
          ok: false,
          error: { code: "invalid_response" },
        });
      }),
      runs,
    );
    fc.assert(
      fc.property(oversize(EVENTS[name]), (payload) => {
        expect(readEvent(name, payload)).toMatchObject({ ok: false, error: { code: "too_large" } });
      }),
      { numRuns: 5 },
    );
  });
});

describe("names from outside", () => {
  it("refuses a command name the contract does not have with unknown_command", () => {
    fc.assert(
      fc.property(unknownName, fc.jsonValue({ maxDepth: 1 }), (name, payload) => {
        expect(readCommand(name, payload)).toMatchObject({ ok: false, error: { code: "unknown_command" } });
        const frame = readInvokeFrame(JSON.stringify({ type: "invoke", id: 7, name, request: payload }));
        expect(frame).toMatchObject({ ok: false, id: 7, error: { code: "unknown_command" } });
      }),
      runs,
    );
  });

  it("refuses frames that are not an invoke frame, keeping the id when there is one", () => {
    expect(readInvokeFrame("not json")).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    expect(
      readInvokeFrame(JSON.stringify({ type: "invoke", id: 3, name: "account.get", request: {}, x: 1 })),
    ).toMatchObject({ ok: false, id: 3, error: { code: "invalid_request" } });
    expect(
      readInvokeFrame(JSON.stringify({ type: "invoke", id: -1, name: "account.get", request: {} })),
    ).toEqual({ ok: false, error: expect.objectContaining({ code: "invalid_request" }) as unknown });
    expect(
      readInvokeFrame(JSON.stringify({ type: "invoke", id: 4, name: "account.get", request: {} })),
    ).toEqual({
      ok: true,
      id: 4,
      name: "account.get",
      request: {},
    });
  });
});
