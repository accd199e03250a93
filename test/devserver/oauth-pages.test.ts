// The sign-in pages over HTTP: each failure the user can meet is said in plain words on the page (wrong password,
// unknown code, expired code, code already used, a stale sign-in page), MAS's `?code=` link pre-fills the code,
// and the pages load nothing from anywhere and run no scripts.
import type * as oauth from "oauth4webapi";
import { beforeEach, describe, expect, it } from "vitest";
import type { Devserver, DevserverOptions } from "../../devserver/index";
import { approveOverHttp, type ConsentRequest } from "../helpers/consent";
import {
  USERS,
  discover,
  matrixScope,
  registerClient,
  requestDeviceCode,
  sleep,
  useOAuthDevservers,
} from "./oauth-fixtures";

const start = useOAuthDevservers();
let server: Devserver;
let device: oauth.DeviceAuthorizationResponse;

async function setUp(options: DevserverOptions = {}): Promise<void> {
  server = await start(options);
  const as = await discover(server);
  device = await requestDeviceCode(as, await registerClient(as), matrixScope("PAGESDEV01"));
}

beforeEach(async () => {
  await setUp();
});

function asAlice(overrides: Partial<ConsentRequest> = {}): ConsentRequest {
  return {
    verificationUri: device.verification_uri,
    userCode: device.user_code,
    user: "alice",
    password: USERS.alice,
    approve: true,
    ...overrides,
  };
}

describe("errors on the pages, in plain words", () => {
  it("a wrong password", async () => {
    await expect(approveOverHttp(asAlice({ password: "wrong" }))).rejects.toThrow(
      "login page says: Wrong username or password. Try again.",
    );
  });

  it("an unknown user is the same message as a wrong password", async () => {
    await expect(approveOverHttp(asAlice({ user: "mallory" }))).rejects.toThrow(
      "login page says: Wrong username or password. Try again.",
    );
  });

  it("a code that does not exist", async () => {
    await expect(approveOverHttp(asAlice({ userCode: "BBBBBB" }))).rejects.toThrow(
      "code entry page says: That code is not valid. Check the code shown on your device and try again.",
    );
  });

  it("an expired code", async () => {
    await setUp({ deviceCode: { ttlS: 1 } });
    await sleep(1100);
    await expect(approveOverHttp(asAlice())).rejects.toThrow(
      "code entry page says: That code has expired. Start signing in again on your device to get a new code.",
    );
  });

  it("a code already used", async () => {
    await approveOverHttp(asAlice());
    await expect(approveOverHttp(asAlice())).rejects.toThrow(
      "code entry page says: That code has already been used.",
    );
  });

  it("an empty code", async () => {
    await expect(approveOverHttp(asAlice({ userCode: " " }))).rejects.toThrow(
      "code entry page says: Enter the code shown on your device.",
    );
  });

  it("a sign-in page opened without its browser session (no interaction cookie)", async () => {
    const response = await fetch(`${server.baseUrl}/interaction/someinteraction`);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('data-page="error"');
    expect(html).toContain("This sign-in page has expired or was opened in a different browser.");
  });
});

describe("the code entry page", () => {
  it("MAS's ?code= link pre-fills the code like verification_uri_complete does", async () => {
    const html = await (await fetch(`${device.verification_uri}?code=${device.user_code}`)).text();
    expect(html).toContain(`value="${device.user_code}"`);
    const { userCode: _typedByNobody, ...request } = asAlice();
    const outcome = await approveOverHttp({
      ...request,
      verificationUri: `${device.verification_uri}?code=${device.user_code}`,
    });
    expect(outcome).toEqual({ kind: "result", result: "approved" });
  });

  it("accepts the code typed in lower case with a separator", async () => {
    const typed = `${device.user_code.slice(0, 3)}-${device.user_code.slice(3)}`.toLowerCase();
    expect(await approveOverHttp(asAlice({ userCode: typed }))).toEqual({
      kind: "result",
      result: "approved",
    });
  });

  it("loads nothing from anywhere and runs no scripts (CSP, no script or external resource)", async () => {
    const response = await fetch(device.verification_uri);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    expect(html).not.toMatch(/<script|<link|\bsrc=|@import|url\(/i);
    expect(html).toContain('<label for="user_code">');
  });
});
