// The in-process controls a local demo uses, without the HTTP test hooks: answering a device code as the consent
// page would, and switching rendezvous lifetimes for sessions created from then on.
import { describe, expect, it } from "vitest";
import { useDevservers } from "../helpers/devservers";
import {
  discoverAt,
  expectTokens,
  matrixScope,
  pollOnce,
  registerClient,
  requestDeviceCode,
} from "../helpers/oauth-client";

const start = useDevservers({ users: ["demo:pw"], deviceCode: { intervalS: 1 } });

describe("the devserver's in-process hooks", () => {
  it("answers a device code as the consent page would, with the HTTP hooks off", async () => {
    const server = await start();
    const as = await discoverAt(server.baseUrl, server.issuer);
    const client = await registerClient(as);
    const approved = await requestDeviceCode(as, client, matrixScope("DEMODEVICE01"));
    await server.hooks.answerDeviceCode(approved.user_code, "demo", true);
    expect(expectTokens(await pollOnce(as, client, approved.device_code)).access_token).toMatch(/\S/);

    const denied = await requestDeviceCode(as, client, matrixScope("DEMODEVICE02"));
    await server.hooks.answerDeviceCode(denied.user_code, "demo", false);
    expect(await pollOnce(as, client, denied.device_code)).toMatchObject({ error: "access_denied" });
    await expect(server.hooks.answerDeviceCode("NOSUCHCODE", "demo", true)).rejects.toThrow();
    // Nothing of it is reachable over HTTP.
    expect((await fetch(`${server.baseUrl}/_devserver/approve`, { method: "POST" })).status).toBe(404);
  });

  it("switches the rendezvous lifetimes for sessions created from then on", async () => {
    const server = await start();
    expect(server.hooks.rendezvousLifetimes()).toEqual({ v2024S: 60, v2025S: 120 });
    server.hooks.setRendezvousLifetimes({ v2024S: 600 });
    const created = await fetch(`${server.baseUrl}/_matrix/client/unstable/io.element.msc4388/rendezvous`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: "" }),
    });
    expect(((await created.json()) as { expires_in_ms: number }).expires_in_ms).toBe(120_000);
    const v2024 = await fetch(`${server.baseUrl}/_matrix/client/unstable/org.matrix.msc4108/rendezvous`, {
      method: "POST",
      headers: { "Content-Type": "text/plain", "Content-Length": "0" },
    });
    const lifetime =
      Date.parse(v2024.headers.get("expires") ?? "") - Date.parse(v2024.headers.get("date") ?? "");
    expect(lifetime).toBe(600_000);
    expect(() => {
      server.hooks.setRendezvousLifetimes({ v2025S: -1 });
    }).toThrow(TypeError);
  });
});
