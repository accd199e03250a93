// The doctor's report as text lines: one per check, and a last line naming the missing piece.
import { describe, expect, it } from "vitest";
import { describeDoctorReport } from "./format";

describe("describeDoctorReport", () => {
  it("lists every check with its status, cause and detail, and ends with the missing piece", () => {
    expect(
      describeDoctorReport({
        homeserver: "example.org",
        baseUrl: "https://matrix.example.org",
        checks: [
          { id: "oauth_metadata", status: "ok", detail: "issuer https://auth.example.org/" },
          { id: "device_grant", status: "failed", cause: "no_device_grant", detail: "no endpoint" },
          { id: "registration", status: "skipped", cause: "no_device_grant" },
        ],
        ok: false,
        missing: "no_device_grant",
      }),
    ).toEqual([
      "homeserver example.org (https://matrix.example.org)",
      "  ok      oauth_metadata issuer https://auth.example.org/",
      "  FAILED  device_grant   [no_device_grant] no endpoint",
      "  skipped registration   [no_device_grant]",
      "QR sign-in cannot work with this homeserver: missing no_device_grant.",
    ]);
  });

  it("says so when a QR sign-in can work", () => {
    const lines = describeDoctorReport({ homeserver: "example.org", checks: [], ok: true });
    expect(lines.at(-1)).toBe("QR sign-in can work with this homeserver.");
  });
});
