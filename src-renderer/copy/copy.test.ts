// The copy tables are complete: every error code, every phase, every direction and every known reason has
// words in the catalogue, and the catalogue's placeholders are well formed.
import { describe, expect, it } from "vitest";
import { FLOW_ERROR_CODES } from "../../src-shared/errors";
import { FLOW_PHASES, type FlowRole, type FlowSide } from "../../src-shared/flow";
import { CHECK_STATUS, PREFLIGHT_CHECK_LABELS } from "./checks";
import { ERROR_COPY, PROXY_REASONS, REASON_COPY, errorCopy } from "./errors";
import { parts, placeholdersOf, t, tCount } from "./format";
import { DIRECTIONS, INSTRUCTIONS, PHASE_STEP, instructionsFor, stepsOf } from "./instructions";
import { MESSAGES, type MessageKey } from "./messages";
import { phaseTitle } from "./phases";

const ROLES: readonly FlowRole[] = ["new_device", "existing_device"];
const SIDES: readonly FlowSide[] = ["generator", "scanner"];

function expectMessage(key: string): void {
  expect(Object.hasOwn(MESSAGES, key), `no message ${key}`).toBe(true);
  expect((MESSAGES as Record<string, string>)[key]?.trim(), `empty message ${key}`).not.toBe("");
}

describe("the copy tables", () => {
  it("give every FlowErrorCode a title, a cause and a next step, on either device", () => {
    expect(Object.keys(ERROR_COPY).sort()).toEqual([...FLOW_ERROR_CODES].sort());
    for (const code of FLOW_ERROR_CODES) {
      for (const role of ROLES) {
        const copy = errorCopy({ code }, role);
        expectMessage(copy.title);
        expectMessage(copy.cause);
        expectMessage(copy.next);
        // Titles differ between codes: two errors that look the same on screen would hide which one it was.
      }
    }
    const titles = FLOW_ERROR_CODES.map((code) => errorCopy({ code }, "new_device").title);
    expect(new Set(titles.map((key) => MESSAGES[key])).size).toBe(titles.length);
  });

  it("give every known reason its own cause", () => {
    for (const [reason, key] of Object.entries(REASON_COPY)) {
      expectMessage(key);
      expect(errorCopy({ code: "server_unsupported", reason }, "new_device").cause, reason).toBe(key);
    }
    for (const reason of PROXY_REASONS) {
      expect(errorCopy({ code: "proxy_interference", reason }, "existing_device").cause).toBe("reason.proxy");
    }
    for (const reason of [
      "no_oauth_api",
      "no_device_grant",
      "registration_refused",
      "device_grant_disabled",
      "no_rendezvous",
      "needs_sign_in",
    ]) {
      expect(Object.hasOwn(REASON_COPY, reason), reason).toBe(true);
    }
  });

  it("say which role a wrong QR code belongs to, and what to scan instead", () => {
    const asNew = errorCopy({ code: "wrong_qr" }, "new_device");
    const asExisting = errorCopy({ code: "wrong_qr" }, "existing_device");
    expect(asNew.cause).not.toBe(asExisting.cause);
    expect(asNew.next).not.toBe(asExisting.next);
    expect(errorCopy({ code: "wrong_qr", reason: "not_a_login_qr" }, "new_device").cause).toBe(
      "reason.not_a_login_qr",
    );
  });

  it("give every phase a heading in every direction", () => {
    for (const phase of FLOW_PHASES) {
      expect(Object.hasOwn(PHASE_STEP, phase), phase).toBe(true);
      if (phase === "error") continue;
      for (const role of ROLES) for (const side of SIDES) expectMessage(phaseTitle(phase, role, side));
    }
  });

  it("give every direction numbered instructions and steps", () => {
    for (const direction of DIRECTIONS) {
      const steps = INSTRUCTIONS[direction];
      expect(steps.length, direction).toBeGreaterThanOrEqual(3);
      for (const key of steps) expectMessage(key);
    }
    for (const side of SIDES) for (const key of stepsOf(side)) expectMessage(key);
    for (const role of ROLES) expectMessage(`flow.title.${role}`);
  });

  it("name no app that cannot scan a version 2025 QR code, and Element X for version 2024", () => {
    for (const role of ROLES) {
      for (const side of SIDES) {
        for (const key of instructionsFor(role, side, "v2025")) expectMessage(key);
        expect(instructionsFor(role, side, "v2024")).toEqual(INSTRUCTIONS[`${role}.${side}`]);
      }
      // No shipped Element app reads a v2025 code (MSC4388), so the showing side names none.
      const showing = instructionsFor(role, "generator", "v2025").map((key) => t(key));
      expect(showing.join(" "), role).not.toMatch(/Element/);
      expect(showing.join(" "), role).toMatch(/MSC4388/);
      expect(
        instructionsFor(role, "generator", "v2024")
          .map((key) => t(key))
          .join(" "),
      ).toMatch(/Element X/);
    }
  });

  it("give the scanning side's check code screen what it asks and what it waits for, per role", () => {
    for (const role of ROLES) {
      expectMessage(`phase.check_code_display.lead.${role}`);
      expectMessage(`phase.check_code_display.waiting.${role}`);
    }
  });

  it("name every preflight check and status", () => {
    for (const key of Object.values(PREFLIGHT_CHECK_LABELS)) expectMessage(key);
    for (const key of Object.values(CHECK_STATUS)) expectMessage(key);
  });
});

describe("the catalogue", () => {
  it("has only well-formed placeholders", () => {
    for (const [key, message] of Object.entries(MESSAGES)) {
      const stripped = message.replace(/\{[A-Za-z][A-Za-z0-9_]*\}/g, "");
      expect(stripped, key).not.toMatch(/[{}]/);
    }
  });

  it("fills placeholders by name and refuses a missing one", () => {
    expect(t("phase.approve_device.lead", { device: "ABCDEF", user: "@alice:example.org" })).toBe(
      "ABCDEF will be signed in as @alice:example.org.",
    );
    expect(() => t("doctor.ready", {} as { homeserver: string })).toThrow(TypeError);
    expect(placeholdersOf("phase.confirm_homeserver.lead")).toEqual(["from", "to"]);
    expect(parts("phase.approve_device.lead")).toEqual([
      { name: "device" },
      { text: " will be signed in as " },
      { name: "user" },
      { text: "." },
    ]);
  });

  it("picks plural forms by count", () => {
    const forms = {
      one: "phase.check_code_entry.attemptsLeft.one",
      other: "phase.check_code_entry.attemptsLeft.other",
    } as const satisfies Record<string, MessageKey>;
    expect(tCount(1, forms)).toBe("1 try left.");
    expect(tCount(2, forms)).toBe("2 tries left.");
  });

  it("names the two codes differently wherever they appear", () => {
    const checkCode = MESSAGES["phase.check_code_display.codeLabel"];
    const userCode = MESSAGES["phase.waiting_for_approval.codeLabel"];
    expect(checkCode).not.toBe(userCode);
    // Each explanation says it is not the other code.
    expect(MESSAGES["phase.check_code_display.explain"]).toMatch(/not the code your account provider/);
    expect(MESSAGES["phase.waiting_for_approval.explain"]).toMatch(/not the 2-digit check code/);
  });
});
