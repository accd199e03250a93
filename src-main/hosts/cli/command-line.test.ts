import { describe, expect, it } from "vitest";
import { MAX_COMMAND_LINE, readCommandLine } from "./command-line";

describe("a --json command line", () => {
  it("reads a command in the contract's shape", () => {
    expect(readCommandLine('{"type":"submitCheckCode","code":"42"}')).toEqual({
      ok: true,
      command: { type: "submitCheckCode", code: "42" },
    });
  });

  it("refuses text that is not JSON", () => {
    expect(readCommandLine("cancel")).toEqual({
      ok: false,
      rejected: { type: "rejected", reason: "invalid_command", detail: "not a JSON object" },
    });
  });

  // Found by the fuzzer (cli.jsonCommand, seed 192026): the refusal quoted an unknown key raw, DEL included.
  it("escapes the sender's text it quotes in a refusal", () => {
    const read = readCommandLine('{"\u007f\u2029":"","type":"cancel"}');
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.rejected.detail).toContain("\\u007f\\u2029");
    // eslint-disable-next-line no-control-regex -- the point is to find control characters
    expect(read.rejected.detail).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  it("caps what a refusal quotes", () => {
    const read = readCommandLine(JSON.stringify({ type: "cancel", ["k".repeat(5000)]: 1 }));
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.rejected.detail?.length).toBeLessThanOrEqual(201);
  });

  it("refuses a line longer than any command before parsing it", () => {
    const read = readCommandLine(`{"type":"cancel","x":"${"x".repeat(MAX_COMMAND_LINE)}"}`);
    expect(read.ok ? undefined : read.rejected.detail).toMatch(
      /^a line of \d+ characters \(at most 65536\)$/,
    );
  });

  it("refuses deep nesting before parsing it", () => {
    const read = readCommandLine(`${"[".repeat(5000)}${"]".repeat(5000)}`);
    expect(read.ok ? undefined : read.rejected.detail).toBe("nested too deep for a command");
  });
});
