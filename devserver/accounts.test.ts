// The account store on its own: `--user` values, password checks by localpart or user ID, provisioned users who
// cannot log in, and which tokens `authenticate` accepts.
import { describe, expect, it } from "vitest";
import { AccountStore, parseUserSpec } from "./accounts";

const SERVER = "example.test";

function store(): AccountStore {
  return new AccountStore({ serverName: SERVER, users: [parseUserSpec("alice:secret")], now: () => 1234 });
}

describe("parseUserSpec", () => {
  it("splits at the first colon, so passwords may contain colons", () => {
    expect(parseUserSpec("alice:a:b:c")).toEqual({ localpart: "alice", password: "a:b:c" });
  });

  it("refuses a missing password and a localpart outside the Matrix grammar", () => {
    expect(() => parseUserSpec("alice")).toThrow("give a password as alice:<password>");
    expect(() => parseUserSpec("Alice:secret")).toThrow("localpart must match");
  });
});

describe("AccountStore", () => {
  it("checks a password by localpart or by user ID on this server, never on another server", () => {
    const accounts = store();
    expect(accounts.checkPassword("alice", "secret")).toBe("alice");
    expect(accounts.checkPassword(`@alice:${SERVER}`, "secret")).toBe("alice");
    expect(accounts.checkPassword("@alice:elsewhere.test", "secret")).toBeUndefined();
    expect(accounts.checkPassword("alice", "Secret")).toBeUndefined();
    expect(accounts.checkPassword("bob", "secret")).toBeUndefined();
  });

  it("a user provisioned by the OAuth side exists but cannot log in with any password", async () => {
    const accounts = store();
    await accounts.provisionUser("carol");
    expect(accounts.localpartOf("carol")).toBe("carol");
    expect(accounts.checkPassword("carol", "")).toBeUndefined();
  });

  it("upserting a device twice keeps the first one", async () => {
    const accounts = store();
    await accounts.upsertDevice("alice", "DEVICEAAAA");
    const first = accounts.getDevice(`@alice:${SERVER}`, "DEVICEAAAA");
    await accounts.upsertDevice("alice", "DEVICEAAAA");
    expect(accounts.getDevice(`@alice:${SERVER}`, "DEVICEAAAA")).toBe(first);
    expect(first).toEqual({ userId: `@alice:${SERVER}`, deviceId: "DEVICEAAAA", createdAt: 1234 });
  });

  it("authenticates its own tokens first, then asks resolvers, and only while the device exists", async () => {
    const accounts = store();
    const userId = `@alice:${SERVER}`;
    await accounts.upsertDevice("alice", "DEVICEAAAA");
    const own = accounts.issueAccessToken({ userId, deviceId: "DEVICEAAAA", scopes: [] });
    accounts.addTokenResolver((token) =>
      Promise.resolve(token === "from-oauth" ? { userId, deviceId: "DEVICEBBBB", scopes: [] } : null),
    );
    expect(await accounts.authenticate(own)).toMatchObject({ deviceId: "DEVICEAAAA" });
    expect(await accounts.authenticate("from-oauth")).toBeNull();
    await accounts.upsertDevice("alice", "DEVICEBBBB");
    expect(await accounts.authenticate("from-oauth")).toMatchObject({ deviceId: "DEVICEBBBB" });
    expect(accounts.removeDevice(userId, "DEVICEAAAA")).toBe(true);
    expect(await accounts.authenticate(own)).toBeNull();
  });

  it("mints tokens only for devices that exist", () => {
    expect(() =>
      store().issueAccessToken({ userId: `@alice:${SERVER}`, deviceId: "NOPE", scopes: [] }),
    ).toThrow("no device NOPE");
  });
});
