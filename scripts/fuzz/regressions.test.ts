// Every defect the fuzzer found whose fix lives in no unit test of its own: its minimal input (as fast-check
// shrank it, seed 192026) replayed through the target that found it, ending now in the typed outcome named.
// The others are tested beside their fix (test/matrix/http.test.ts, src-shared/contract.test.ts,
// src-main/protocol/messages/messages.test.ts, src-main/matrix/whoami.test.ts, and the earlier ones their commits name).
import { describe, expect, it } from "vitest";
import type { AnswerSpec } from "./network";
import { FUZZ_TARGETS } from "./targets";

function target(name: string) {
  const found = FUZZ_TARGETS.find((candidate) => candidate.name === name);
  if (found === undefined) throw new TypeError(`no fuzz target ${name}`);
  return found;
}

const json = (value: unknown, status = 200): AnswerSpec => ({
  kind: "answer",
  status,
  headers: [],
  body: { kind: "json", value },
});
const limited = json({ errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 100 }, 429);

describe("fuzz regressions (seed 192026)", () => {
  // csapi.devices: `account_management_uri: ""` reached `new URL` (accountPageUrl): a TypeError "Invalid URL".
  it("an account page that is no URL is the server's error", async () => {
    const outcome = await target("csapi.devices").run([
      [json({ devices: [{ device_id: "ABCDEFGHIJ" }, { device_id: "OTHERDEVICE" }] }), limited],
      [json({ device_id: "ABCDEFGHIJ" }), limited],
      [json({ issuer: "https://auth.example/", account_management_uri: "" }), limited],
    ]);
    expect(outcome).toBe("MatrixError:server_error@accountPage");
  });

  // oauth.deviceGrant: `expires_in: {"toString": "x..."}`: oauth4webapi's check put the value into its message
  // and failed with "Cannot convert object to primitive value", a TypeError that escaped as such.
  it("a device authorization whose expires_in cannot become text is invalid_response", async () => {
    const outcome = await target("oauth.deviceGrant").run([
      json({
        device_code: "d",
        user_code: "X",
        verification_uri: "https://auth.example/link",
        expires_in: { toString: "x".repeat(300) },
      }),
    ]);
    expect(outcome).toBe("OAuthError:invalid_response@authorize");
  });

  // oauth.discoverMetadata (the 1,000,000-input run): the issuer's OpenID discovery document named `" "` as its
  // issuer; oauth4webapi parsed it with `new URL` before comparing and threw its TypeError "Invalid URL".
  it("an OpenID discovery document whose issuer is no URL is invalid_response", async () => {
    const outcome = await target("oauth.discoverMetadata").run([
      json({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }, 400),
      json(0, 404),
      json({ issuer: "https://auth.example/" }),
      json({ issuer: " " }),
      { kind: "network_error" },
    ]);
    expect(outcome).toBe("OAuthError:invalid_response@discover");
  });

  // oauth.deviceGrant (the 1,000,000-input run): the token endpoint's answer to a poll had
  // `expires_in: {"toString": true}`; the poll read it without the check the other answers get, and oauth4webapi's
  // "Cannot convert object to primitive value" escaped as a TypeError.
  it("a token answer whose expires_in cannot become text is invalid_response", async () => {
    const outcome = await target("oauth.deviceGrant").run([
      json({
        device_code: "device-code",
        user_code: "WDJB-MJHT",
        verification_uri: "https://auth.example/link",
        verification_uri_complete: "https://auth.example/link?code=WDJB-MJHT",
        expires_in: 600,
        interval: 5,
      }),
      json({
        access_token: "mat_access",
        token_type: "Bearer",
        refresh_token: "mar_refresh",
        expires_in: { toString: true },
        scope: "urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ",
      }),
    ]);
    expect(outcome).toBe("OAuthError:invalid_response@poll");
  });
});
