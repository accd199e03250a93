// The per-user endpoints clients call around end-to-end encryption: global account data (where secret storage
// lives), filters, profiles, push rules and capabilities; each user's own only (403 `M_FORBIDDEN` otherwise).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevserver, type Devserver } from "../../devserver/index";
import { api, CSAPI_DEVSERVER, errorOf, mintDeviceToken, type Api, type DeviceToken } from "../helpers/csapi";

let server: Devserver;
let alice: DeviceToken;
let bob: DeviceToken;
let asAlice: Api;

beforeAll(async () => {
  server = await startDevserver(CSAPI_DEVSERVER);
  alice = await mintDeviceToken(server, "alice", "PHONE");
  bob = await mintDeviceToken(server, "bob", "BOBPHONE");
  asAlice = api(server, alice.access_token);
});

afterAll(async () => {
  await server.close();
});

const user = (token: DeviceToken): string => encodeURIComponent(token.user_id);

describe("global account data", () => {
  it("stores and returns an event's content; a later PUT replaces it", async () => {
    const path = `/user/${user(alice)}/account_data/m.secret_storage.default_key`;
    expect(await asAlice("PUT", path, { key: "one" })).toEqual({ status: 200, body: {} });
    await asAlice("PUT", path, { key: "two" });
    expect(await asAlice("GET", path)).toEqual({ status: 200, body: { key: "two" } });
  });

  it("answers 404 M_NOT_FOUND for a type never set", async () => {
    expect(errorOf(await asAlice("GET", `/user/${user(alice)}/account_data/m.never`))).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
  });

  it("refuses another user's account data, to read or to write: 403 M_FORBIDDEN", async () => {
    const path = `/user/${user(bob)}/account_data/m.test`;
    expect(errorOf(await asAlice("GET", path))).toEqual({ status: 403, errcode: "M_FORBIDDEN" });
    expect(errorOf(await asAlice("PUT", path, {}))).toEqual({ status: 403, errcode: "M_FORBIDDEN" });
  });
});

describe("filters", () => {
  it("stores a filter and gives it back by the ID it answered", async () => {
    const filter = { room: { timeline: { limit: 1 } } };
    const created = await asAlice("POST", `/user/${user(alice)}/filter`, filter);
    expect(created.status).toBe(200);
    expect(created.body.filter_id).toMatch(/^\d+$/);
    const filterId = created.body.filter_id as string;
    expect(await asAlice("GET", `/user/${user(alice)}/filter/${filterId}`)).toEqual({
      status: 200,
      body: filter,
    });
  });

  it("answers 404 M_NOT_FOUND for an unknown filter and 400 M_INVALID_PARAM for an ID that is not one", async () => {
    expect(errorOf(await asAlice("GET", `/user/${user(alice)}/filter/999`))).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
    expect(errorOf(await asAlice("GET", `/user/${user(alice)}/filter/abc`))).toEqual({
      status: 400,
      errcode: "M_INVALID_PARAM",
    });
  });

  it("refuses another user's filters: 403 M_FORBIDDEN", async () => {
    expect(errorOf(await asAlice("POST", `/user/${user(bob)}/filter`, {}))).toEqual({
      status: 403,
      errcode: "M_FORBIDDEN",
    });
    expect(errorOf(await asAlice("GET", `/user/${user(bob)}/filter/0`))).toEqual({
      status: 403,
      errcode: "M_FORBIDDEN",
    });
  });
});

describe("profiles", () => {
  it("starts with the localpart as display name and no avatar", async () => {
    expect(await asAlice("GET", `/profile/${user(bob)}`)).toEqual({
      status: 200,
      body: { displayname: "bob" },
    });
    expect(errorOf(await asAlice("GET", `/profile/${user(bob)}/avatar_url`))).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
  });

  it("sets the user's own display name and avatar, which everyone then sees", async () => {
    expect(await asAlice("PUT", `/profile/${user(alice)}/displayname`, { displayname: "Alice" })).toEqual({
      status: 200,
      body: {},
    });
    await asAlice("PUT", `/profile/${user(alice)}/avatar_url`, { avatar_url: "mxc://example.org/alice" });
    const asBob = api(server, bob.access_token);
    expect((await asBob("GET", `/profile/${user(alice)}`)).body).toEqual({
      displayname: "Alice",
      avatar_url: "mxc://example.org/alice",
    });
    expect((await asBob("GET", `/profile/${user(alice)}/displayname`)).body).toEqual({
      displayname: "Alice",
    });
  });

  it("refuses to set another user's profile (403 M_FORBIDDEN), a missing field (400 M_MISSING_PARAM), a number (400 M_INVALID_PARAM)", async () => {
    expect(
      errorOf(await asAlice("PUT", `/profile/${user(bob)}/displayname`, { displayname: "Bobby" })),
    ).toEqual({
      status: 403,
      errcode: "M_FORBIDDEN",
    });
    expect(errorOf(await asAlice("PUT", `/profile/${user(alice)}/displayname`, {}))).toEqual({
      status: 400,
      errcode: "M_MISSING_PARAM",
    });
    expect(errorOf(await asAlice("PUT", `/profile/${user(alice)}/displayname`, { displayname: 7 }))).toEqual({
      status: 400,
      errcode: "M_INVALID_PARAM",
    });
  });

  it("answers 404 M_NOT_FOUND for an unknown user and 400 M_INVALID_PARAM for something that is no user ID", async () => {
    expect(
      errorOf(await asAlice("GET", `/profile/${encodeURIComponent(`@nobody:${server.serverName}`)}`)),
    ).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
    expect(errorOf(await asAlice("GET", "/profile/nobody"))).toEqual({
      status: 400,
      errcode: "M_INVALID_PARAM",
    });
  });
});

describe("push rules and capabilities", () => {
  it("serves the spec's predefined push rules for the user, with and without the trailing slash", async () => {
    const withSlash = await asAlice("GET", "/pushrules/");
    expect(withSlash.status).toBe(200);
    const global = withSlash.body.global as Record<string, { rule_id: string; pattern?: string }[]>;
    expect(Object.keys(global).sort()).toEqual(["content", "override", "room", "sender", "underride"]);
    expect(global.override?.map((rule) => rule.rule_id)).toContain(".m.rule.master");
    expect(global.underride?.map((rule) => rule.rule_id)).toContain(".m.rule.encrypted");
    expect(global.content).toEqual([
      expect.objectContaining({ rule_id: ".m.rule.contains_user_name", pattern: "alice" }),
    ]);
    expect((await asAlice("GET", "/pushrules")).body).toEqual(withSlash.body);
    expect((await asAlice("GET", "/pushrules/global/")).body).toEqual(global);
  });

  it("advertises what Synapse with MAS does: no password or 3PID changes here, profile changes allowed", async () => {
    const response = await asAlice("GET", "/capabilities");
    expect(response.status).toBe(200);
    expect(response.body.capabilities).toMatchObject({
      "m.change_password": { enabled: false },
      "m.3pid_changes": { enabled: false },
      "m.set_displayname": { enabled: true },
      "m.set_avatar_url": { enabled: true },
      "m.room_versions": { default: "10" },
    });
  });
});
