// The device authorization grant (RFC 8628, Matrix v1.18) on the devserver: the shared scenarios, as RFC 8628
// describes it and with masQuirks as MAS does it (also run against Synapse with the devserver as its MAS,
// test/synapse/), then the devserver's defaults and options, and the polling pace on real time while the
// rendezvous clock is frozen. The user acts on the real pages over HTTP (test/helpers/consent.ts); the Chromium run
// of the same pages is oauth-consent-browser.test.ts.
import { describe, expect, it } from "vitest";
import { describeDeviceGrant } from "../conformance/oauth";
import {
  devserverOAuthTarget,
  discover,
  matrixScope,
  pollOnce,
  registerClient,
  requestDeviceCode,
  sleep,
  useOAuthDevservers,
} from "./oauth-fixtures";

describeDeviceGrant(devserverOAuthTarget());

const start = useOAuthDevservers();

async function deviceAuthorization(options: Parameters<typeof start>[0]) {
  const server = await start(options);
  const as = await discover(server);
  return requestDeviceCode(as, await registerClient(as), matrixScope("NEWDEVICE01"));
}

describe("device grant settings on the devserver", () => {
  it("by default: device codes live 600 s, polling interval 5 s", async () => {
    const device = await deviceAuthorization({});
    expect(device.expires_in).toBe(600);
    expect(device.interval).toBe(5);
  });

  it("with masQuirks by default: MAS's 1200 s and 5 s", async () => {
    const device = await deviceAuthorization({ masQuirks: true });
    expect(device.expires_in).toBe(1200);
    expect(device.interval).toBe(5);
  });

  it("deviceCode options set expires_in and interval, with or without masQuirks", async () => {
    for (const masQuirks of [false, true]) {
      const device = await deviceAuthorization({ masQuirks, deviceCode: { ttlS: 90, intervalS: 2 } });
      expect(device.expires_in).toBe(90);
      expect(device.interval).toBe(2);
    }
  });
});

describe("the polling pace runs on real time, like the rest of OAuth", () => {
  const FROZEN_NOW = Date.parse("2026-11-27T12:00:00Z");

  it("with the devserver's clock frozen, a client polling at the interval stays pending, and one polling sooner gets slow_down", async () => {
    const server = await start({ now: () => FROZEN_NOW, deviceCode: { intervalS: 1 } });
    const as = await discover(server);
    const client = await registerClient(as);
    const device = await requestDeviceCode(as, client, matrixScope("FROZENCLK01"));
    expect(device.interval).toBe(1);
    const pending = { kind: "error", error: "authorization_pending", status: 400 };

    expect(await pollOnce(as, client, device.device_code)).toEqual(pending);
    // Sits out the interval on real time; a little over it, as a timer may fire a millisecond early by Date.now.
    await sleep(1050);
    expect(await pollOnce(as, client, device.device_code)).toEqual(pending);
    expect(await pollOnce(as, client, device.device_code)).toEqual({
      kind: "error",
      error: "slow_down",
      status: 400,
    });
    // The rendezvous side's clock never moved.
    expect(server.hooks.clock.now()).toBe(FROZEN_NOW);
  });
});
