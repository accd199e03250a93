// G's QR code is built from the rendezvous session and the channel it will speak, so that the base URL and ID
// in the QR are exactly the bytes the session binds into the AAD, and the framing names the channel's profile.
import { describe, expect, it } from "vitest";
import { createGeneratorChannel } from "./channel/create";
import { loginQrForSession } from "./login-qr";
import { decodeLoginQr, encodeLoginQr } from "./qr/codec";
import { testRuntime } from "./rendezvous/doubles.testing";
import type { FetchFunction } from "./rendezvous/transport";
import { createV2024Rendezvous, V2024_CREATE_PATH } from "./rendezvous/v2024";
import { createV2025Rendezvous } from "./rendezvous/v2025";
import { RUST_SDK_BRANCH_PROFILE, profileForQrFraming } from "./v2025-profile";

const signal = new AbortController().signal;
const ID = "01HX9K00Q1H6KPD47EG4G1T3XG";
const SESSION_URL = `https://hs.example/_synapse/client/rendezvous/${ID}`;

const v2025Created: FetchFunction = () =>
  Promise.resolve(Response.json({ id: ID, sequence_token: "T1", expires_in_ms: 120_000 }));
const v2024Created: FetchFunction = (url) => {
  expect(url).toBe(`https://hs.example${V2024_CREATE_PATH}`);
  return Promise.resolve(Response.json({ url: SESSION_URL }, { status: 201, headers: { ETag: '"e0"' } }));
};

describe("loginQrForSession (G shows the QR code)", () => {
  it("v2025: the QR carries the session's base URL byte for byte, its ID, and the prefix of its API path", async () => {
    for (const [baseUrl, api, prefix] of [
      ["https://hs.example/matrix/", "unstable", "IO_ELEMENT_MSC4388"],
      ["https://hs.example", "stable", "MATRIX"],
    ] as const) {
      const session = await createV2025Rendezvous({
        runtime: testRuntime(v2025Created),
        baseUrl,
        api,
        signal,
      });
      const channel = createGeneratorChannel("v2025");
      const qr = loginQrForSession(session, channel, "new_device");
      const scanned = decodeLoginQr(encodeLoginQr(qr));
      expect(scanned).toMatchObject({
        version: "v2025",
        intent: "new_device",
        baseUrl: session.baseUrl,
        rendezvousId: session.id,
        prefix,
        idLength: "u8",
        baseUrlLength: "u8",
      });
      expect(scanned.publicKey).toEqual(channel.publicKey);
    }
  });

  it("v2025: a channel in the rust-sdk branch profile gets that profile's framing, which the scanner reads back", async () => {
    const session = await createV2025Rendezvous({
      runtime: testRuntime(v2025Created),
      baseUrl: "https://hs.example",
      signal,
    });
    const channel = createGeneratorChannel("v2025", { profile: RUST_SDK_BRANCH_PROFILE });
    const scanned = decodeLoginQr(encodeLoginQr(loginQrForSession(session, channel, "existing_device")));
    if (scanned.version !== "v2025") throw new Error("expected v2025");
    expect(scanned.baseUrlLength).toBe("u16");
    expect(profileForQrFraming(scanned)).toBe(RUST_SDK_BRANCH_PROFILE);
  });

  it("v2024: the session URL, and for an existing device the homeserver URL in the server-name field", async () => {
    const session = await createV2024Rendezvous({
      runtime: testRuntime(v2024Created),
      homeserverUrl: "https://hs.example",
      signal,
    });
    const channel = createGeneratorChannel("v2024");
    expect(loginQrForSession(session, channel, "new_device")).toEqual({
      version: "v2024",
      intent: "new_device",
      publicKey: channel.publicKey,
      rendezvousUrl: SESSION_URL,
    });
    expect(
      loginQrForSession(session, channel, "existing_device", { homeserverUrl: "https://hs.example/" }),
    ).toMatchObject({ intent: "existing_device", serverName: "https://hs.example/" });
  });

  it("refuses what our own code got wrong: versions that differ, an existing-device v2024 QR without a URL", async () => {
    const v2024 = await createV2024Rendezvous({
      runtime: testRuntime(v2024Created),
      homeserverUrl: "https://hs.example",
      signal,
    });
    expect(() => loginQrForSession(v2024, createGeneratorChannel("v2025"), "new_device")).toThrow(TypeError);
    expect(() => loginQrForSession(v2024, createGeneratorChannel("v2024"), "existing_device")).toThrow(
      TypeError,
    );
    expect(() =>
      loginQrForSession(v2024, createGeneratorChannel("v2024"), "existing_device", {
        homeserverUrl: "matrix.org",
      }),
    ).toThrow(TypeError);
  });
});
