// The devserver's test hooks for the Matrix device's suites: approving a cross-signing reset (what MAS's account
// page does), signing a device out (likewise), holding requests at the moment they arrive, and the log of
// client-server API requests (paths and statuses, never a body or a token).
import { describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import { api, CSAPI_DEVSERVER, mintDeviceToken, TestCrossSigning } from "../helpers/csapi";
import { useDevservers } from "../helpers/devservers";

const start = useDevservers(CSAPI_DEVSERVER);
const FROZEN_NOW = Date.parse("2026-11-27T12:00:00Z");

function hook(server: Devserver, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe("POST /_devserver/cross-signing-reset", () => {
  it("lets the user's cross-signing keys be replaced without user-interactive auth", async () => {
    const server = await start({ now: () => FROZEN_NOW });
    const alice = await mintDeviceToken(server, "alice");
    const call = api(server, alice.access_token);
    expect(
      (await call("POST", "/keys/device_signing/upload", new TestCrossSigning(alice.user_id).uploadBody()))
        .status,
    ).toBe(200);
    const replacement = new TestCrossSigning(alice.user_id).uploadBody();

    const refused = await call("POST", "/keys/device_signing/upload", replacement);
    expect(refused.status).toBe(401);
    expect(refused.body.flows).toContainEqual({ stages: ["org.matrix.cross_signing_reset"] });

    const approved = await hook(server, "POST", "/_devserver/cross-signing-reset", { user: "alice" });
    expect(approved.status).toBe(200);
    const { updatable_without_uia_before_ms } = (await approved.json()) as {
      updatable_without_uia_before_ms: number;
    };
    expect(updatable_without_uia_before_ms - server.hooks.clock.now()).toBe(10 * 60 * 1000);
    expect((await call("POST", "/keys/device_signing/upload", replacement)).status).toBe(200);
    // The approval went with the replaced key: a further replacement needs a new one.
    const again = await call(
      "POST",
      "/keys/device_signing/upload",
      new TestCrossSigning(alice.user_id).uploadBody(),
    );
    expect(again.status).toBe(401);
  });

  it("expires after ten minutes", async () => {
    const server = await start({ now: () => FROZEN_NOW });
    const alice = await mintDeviceToken(server, "alice");
    const call = api(server, alice.access_token);
    await call("POST", "/keys/device_signing/upload", new TestCrossSigning(alice.user_id).uploadBody());
    await hook(server, "POST", "/_devserver/cross-signing-reset", { user: "alice" });
    server.hooks.clock.advance(10 * 60 * 1000);
    const late = await call(
      "POST",
      "/keys/device_signing/upload",
      new TestCrossSigning(alice.user_id).uploadBody(),
    );
    expect(late.status).toBe(401);
  });

  it("needs a configured user", async () => {
    const server = await start();
    expect((await hook(server, "POST", "/_devserver/cross-signing-reset", { user: "mallory" })).status).toBe(
      400,
    );
  });
});

describe("POST /_devserver/sign-out", () => {
  it("ends the device's session: its token is unknown and the device gone", async () => {
    const server = await start();
    const alice = await mintDeviceToken(server, "alice");
    const other = await mintDeviceToken(server, "alice");
    const signedOut = await hook(server, "POST", "/_devserver/sign-out", {
      user: "alice",
      device_id: alice.device_id,
    });
    expect(signedOut.status).toBe(200);
    const refused = await api(server, alice.access_token)("GET", "/devices");
    expect({ status: refused.status, errcode: refused.body.errcode }).toEqual({
      status: 401,
      errcode: "M_UNKNOWN_TOKEN",
    });
    expect((await api(server, other.access_token)("GET", `/devices/${alice.device_id}`)).status).toBe(404);
    expect(
      (await hook(server, "POST", "/_devserver/sign-out", { user: "alice", device_id: alice.device_id }))
        .status,
    ).toBe(404);
  });
});

describe("holding requests", () => {
  it("holds a matching request unanswered and unapplied until released, then serves it", async () => {
    const server = await start();
    const alice = await mintDeviceToken(server, "alice");
    const hold = server.hooks.holdRequests({ method: "PUT", pathPattern: "/devices/[^/]+$" });
    const put = api(server, alice.access_token)("PUT", `/devices/${alice.device_id}`, {
      display_name: "held",
    });

    expect(await hold.arrived).toEqual({
      method: "PUT",
      path: `/_matrix/client/v3/devices/${alice.device_id}`,
    });
    const listed = (await (await hook(server, "GET", "/_devserver/holds")).json()) as {
      holds: { held: unknown[] }[];
    };
    expect(listed.holds[0]?.held).toHaveLength(1);
    expect(server.accounts.getDevice(alice.user_id, alice.device_id)?.displayName).toBeUndefined();

    hold.release();
    expect((await put).status).toBe(200);
    expect(server.accounts.getDevice(alice.user_id, alice.device_id)?.displayName).toBe("held");
    // Only `count` requests (default one) are held.
    expect(
      (await api(server, alice.access_token)("PUT", `/devices/${alice.device_id}`, { display_name: "x" }))
        .status,
    ).toBe(200);
  });

  it("takes holds over HTTP, and DELETE releases them", async () => {
    const server = await start();
    const alice = await mintDeviceToken(server, "alice");
    const added = await hook(server, "POST", "/_devserver/holds", {
      method: "GET",
      pathPattern: "^/_matrix/client/v3/devices$",
    });
    expect(added.status).toBe(200);
    const pending = api(server, alice.access_token)("GET", "/devices");
    for (;;) {
      const { holds } = (await (await hook(server, "GET", "/_devserver/holds")).json()) as {
        holds: { held: unknown[] }[];
      };
      if (holds[0]?.held.length === 1) break;
    }
    expect((await hook(server, "DELETE", "/_devserver/holds")).status).toBe(200);
    expect((await pending).status).toBe(200);
    expect(
      (await hook(server, "POST", "/_devserver/holds", { method: "GET", pathPattern: "(" })).status,
    ).toBe(400);
  });
});

describe("the client-server API log", () => {
  it("records method, path and status of /_matrix/client requests, never a query, body or token", async () => {
    const server = await start();
    const alice = await mintDeviceToken(server, "alice");
    await hook(server, "DELETE", "/_devserver/client-api-log");
    await api(server, alice.access_token)("PUT", `/devices/${alice.device_id}?access_token=x`, {
      display_name: "secret-name",
    });
    const log = (await (await hook(server, "GET", "/_devserver/client-api-log")).json()) as Record<
      string,
      unknown
    >[];
    expect(log).toEqual([
      expect.objectContaining({
        method: "PUT",
        path: `/_matrix/client/v3/devices/${alice.device_id}`,
        status: 401,
      }),
    ]);
    expect(JSON.stringify(log)).not.toContain("secret-name");
    expect(JSON.stringify(log)).not.toContain(alice.access_token);
    expect(server.hooks.clientApiLog()).toEqual(log);
  });
});
