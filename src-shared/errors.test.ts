import { describe, expect, it } from "vitest";
import { ProtocolError, RendezvousError } from "../src-main/protocol";
import {
  FLOW_ERROR_CODES,
  FlowFailure,
  PROTOCOL_ERROR_TABLE,
  RENDEZVOUS_ERROR_TABLE,
  flowError,
  outsideText,
  receivedFailureToFlowError,
  toFlowError,
} from "./errors";

describe("toFlowError", () => {
  it.each(Object.entries(PROTOCOL_ERROR_TABLE))("folds ProtocolError %s into %s", (code, expected) => {
    const folded = toFlowError(new ProtocolError(code as keyof typeof PROTOCOL_ERROR_TABLE, "boom"));
    expect(folded.code).toBe(expected);
    expect(folded.reason).toBe(code === expected ? undefined : code);
    expect(JSON.parse(JSON.stringify(folded))).toEqual(folded);
  });

  it.each(Object.entries(RENDEZVOUS_ERROR_TABLE))("folds RendezvousError %s into %s", (code, expected) => {
    const folded = toFlowError(new RendezvousError(code as keyof typeof RENDEZVOUS_ERROR_TABLE, "boom"));
    expect(folded.code).toBe(expected);
  });

  it("keeps a rendezvous error's own reason (the proxy's evidence)", () => {
    const folded = toFlowError(new RendezvousError("proxy_interference", "x", { reason: "weak_etag" }));
    expect(folded).toMatchObject({ code: "proxy_interference", reason: "weak_etag", retryable: false });
  });

  it("reads an abort as cancelled here, and anything unknown as an internal error", () => {
    const controller = new AbortController();
    controller.abort();
    expect(toFlowError(controller.signal.reason).code).toBe("cancelled_here");
    expect(toFlowError(new TypeError("bug")).code).toBe("internal_error");
    expect(toFlowError("a string").code).toBe("internal_error");
  });

  it("passes a FlowFailure's error through unchanged", () => {
    const error = flowError("declined", "declined on the consent page");
    expect(toFlowError(new FlowFailure(error))).toBe(error);
  });

  it("uses only codes of the closed set", () => {
    for (const code of [...Object.values(PROTOCOL_ERROR_TABLE), ...Object.values(RENDEZVOUS_ERROR_TABLE)]) {
      expect(FLOW_ERROR_CODES).toContain(code);
    }
  });
});

describe("receivedFailureToFlowError", () => {
  it.each([
    ["user_cancelled", "cancelled_there"],
    ["unable_to_open_verification_uri", "cancelled_there"],
    ["authorization_expired", "authorization_expired"],
    ["device_already_exists", "device_already_exists"],
    ["device_not_found", "device_not_found"],
    ["unexpected_message_received", "unexpected_message"],
    ["something_new", "protocol_error"],
  ])("maps %s to %s, keeping the reason", (reason, code) => {
    expect(receivedFailureToFlowError(reason)).toMatchObject({ code, reason });
  });
});

describe("outsideText", () => {
  it("escapes control characters so a server's text cannot forge a log line", () => {
    expect(outsideText("a\nb\r\u0000c")).toBe("a\\u000ab\\u000d\\u0000c");
    expect(outsideText("line\nINFO forged")).not.toContain("\n");
  });

  it("caps the length", () => {
    expect(outsideText("x".repeat(1000))).toHaveLength(201);
  });
});
