import { describe, expect, it } from "vitest";
import { FLOW_ERROR_CODES, toFlowError } from "../../src-shared/errors";
import { MATRIX_ERROR_TABLE, MatrixError, type MatrixErrorCode } from "./errors";

describe("MatrixError", () => {
  it.each(Object.entries(MATRIX_ERROR_TABLE))("folds %s into %s", (code, expected) => {
    const folded = toFlowError(new MatrixError(code as MatrixErrorCode, "boom"));
    expect(folded.code).toBe(expected);
    expect(FLOW_ERROR_CODES).toContain(expected);
    expect(JSON.parse(JSON.stringify(folded))).toEqual(folded);
  });

  it("keeps its own reason, and names the holder and the file", () => {
    const error = new MatrixError("secrets_mismatch", "x", { reason: "master_key" });
    expect(toFlowError(error)).toMatchObject({ code: "protocol_error", reason: "master_key" });
    const inUse = new MatrixError("profile_in_use", "in use", { holder: "cli (process 1 on h)" });
    expect(inUse).toMatchObject({ name: "MatrixError", holder: "cli (process 1 on h)" });
    expect(toFlowError(inUse)).toMatchObject({ code: "profile_in_use", retryable: false });
  });
});
