// createRendezvous: G creates a session for either wire version from the same options, without branching on the
// version itself; each version takes what it needs of them.
import { describe, expect, it } from "vitest";
import { createRendezvous } from "./create";
import { scriptedFetch, testRuntime } from "./doubles.testing";
import { V2024_CREATE_PATH } from "./v2024";
import { V2025_STABLE_PATH, V2025_UNSTABLE_PATH } from "./v2025";

const BASE_URL = "https://hs.example/matrix";
const signal = new AbortController().signal;

const v2024Created = () =>
  Response.json(
    { url: "https://hs.example/_synapse/client/rendezvous/ABC" },
    { status: 201, headers: { ETag: '"e0"' } },
  );
const v2025Created = () =>
  Response.json({ id: "ABC", sequence_token: "T1", expires_in_ms: 120_000 }, { status: 200 });

describe("createRendezvous(version, options)", () => {
  it("v2024: posts to the MSC4108 path under the base URL, without the access token", async () => {
    const fetch = scriptedFetch([v2024Created]);
    const session = await createRendezvous("v2024", {
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      accessToken: "syt_secret",
      api: "stable",
      signal,
    });
    expect(session.version).toBe("v2024");
    expect(session.url).toBe("https://hs.example/_synapse/client/rendezvous/ABC");
    expect(fetch.calls.map((call) => call.url)).toEqual([`${BASE_URL}${V2024_CREATE_PATH}`]);
    expect(fetch.calls[0]?.headers.get("authorization")).toBeNull();
  });

  it("v2025: posts to the chosen MSC4388 path with the access token, keeping the base URL for the QR", async () => {
    const fetch = scriptedFetch([v2025Created]);
    const session = await createRendezvous("v2025", {
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      accessToken: "syt_secret",
      api: "stable",
      signal,
    });
    expect(session).toMatchObject({ version: "v2025", baseUrl: BASE_URL, id: "ABC", api: "stable" });
    expect(fetch.calls.map((call) => call.url)).toEqual([`${BASE_URL}${V2025_STABLE_PATH}`]);
    expect(fetch.calls[0]?.headers.get("authorization")).toBe("Bearer syt_secret");
  });

  it("v2025: the unstable path and no Authorization header by default", async () => {
    const fetch = scriptedFetch([v2025Created]);
    const session = await createRendezvous("v2025", {
      runtime: testRuntime(fetch),
      baseUrl: BASE_URL,
      signal,
    });
    expect(session.api).toBe("unstable");
    expect(fetch.calls[0]?.url).toBe(`${BASE_URL}${V2025_UNSTABLE_PATH}`);
    expect(fetch.calls[0]?.headers.get("authorization")).toBeNull();
  });
});
