import { describe, expect, it } from "vitest";
import { MatrixError } from "./errors";
import { readWhoamiAnswer } from "./whoami";

describe("readWhoamiAnswer", () => {
  it("reads the user ID of a token granted for this device", () => {
    expect(
      readWhoamiAnswer(200, { user_id: "@alice:hs.example", device_id: "ABCDEFGHIJ" }, "ABCDEFGHIJ"),
    ).toBe("@alice:hs.example");
  });

  // Found by the fuzzer (csapi.whoami, minimal input a user_id of 80 "x"): any string was taken for the user ID.
  it("refuses an answer whose user_id is no user ID", () => {
    for (const userId of [
      "x".repeat(80),
      "@alice",
      "alice:hs.example",
      "@al ice:hs",
      `@${"a".repeat(255)}:hs`,
    ]) {
      const read = () => readWhoamiAnswer(200, { user_id: userId, device_id: "ABCDEFGHIJ" }, "ABCDEFGHIJ");
      expect(read).toThrow(MatrixError);
      expect(read).toThrow(expect.objectContaining({ code: "server_error", reason: "invalid_user_id" }));
    }
  });
});
