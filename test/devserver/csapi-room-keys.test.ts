// Server-side key backup on the devserver, as Synapse's room keys handler answers it: versions (create, latest,
// by number, update, delete), and keys at all three levels with `etag` and `count`, the better key winning.
import { describe, expect, it } from "vitest";
import type { Devserver } from "../../devserver/index";
import { api, CSAPI_DEVSERVER, errorOf, mintDeviceToken, type Api } from "../helpers/csapi";
import { useDevservers } from "../helpers/devservers";

const startServer = useDevservers(CSAPI_DEVSERVER);

const ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2";
const AUTH_DATA = { public_key: "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo", signatures: {} };
const ROOM = "!room:example.org";

function keyData(firstMessageIndex: number, forwardedCount: number, isVerified: boolean, tag = "a") {
  return {
    first_message_index: firstMessageIndex,
    forwarded_count: forwardedCount,
    is_verified: isVerified,
    session_data: { ciphertext: tag, ephemeral: "e", mac: "m" },
  };
}

async function aliceOnPhone(): Promise<{ server: Devserver; call: Api }> {
  const server = await startServer();
  return { server, call: api(server, (await mintDeviceToken(server, "alice", "PHONE")).access_token) };
}

async function withVersion(): Promise<{ call: Api; version: string }> {
  const { call } = await aliceOnPhone();
  const created = await call("POST", "/room_keys/version", { algorithm: ALGORITHM, auth_data: AUTH_DATA });
  return { call, version: created.body.version as string };
}

describe("backup versions", () => {
  it("has no backup at first: 404 M_NOT_FOUND", async () => {
    const { call } = await aliceOnPhone();
    expect(errorOf(await call("GET", "/room_keys/version"))).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
  });

  it("creates versions that count up, and serves the latest and each by number", async () => {
    const { call } = await aliceOnPhone();
    expect(await call("POST", "/room_keys/version", { algorithm: ALGORITHM, auth_data: AUTH_DATA })).toEqual({
      status: 200,
      body: { version: "1" },
    });
    const second = { ...AUTH_DATA, public_key: "second" };
    expect(
      (await call("POST", "/room_keys/version", { algorithm: ALGORITHM, auth_data: second })).body,
    ).toEqual({
      version: "2",
    });
    expect(await call("GET", "/room_keys/version")).toEqual({
      status: 200,
      body: { algorithm: ALGORITHM, auth_data: second, version: "2", count: 0, etag: "0" },
    });
    expect((await call("GET", "/room_keys/version/1")).body).toMatchObject({
      version: "1",
      auth_data: AUTH_DATA,
    });
    expect(errorOf(await call("GET", "/room_keys/version/3"))).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
  });

  it("keeps each user's backups apart", async () => {
    const { server, call } = await aliceOnPhone();
    await call("POST", "/room_keys/version", { algorithm: ALGORITHM, auth_data: AUTH_DATA });
    const bob = api(server, (await mintDeviceToken(server, "bob", "BOBPHONE")).access_token);
    expect(errorOf(await bob("GET", "/room_keys/version"))).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
    expect((await call("GET", "/room_keys/version")).status).toBe(200);
  });

  it("refuses a version without algorithm or auth_data: 400 M_MISSING_PARAM", async () => {
    const { call } = await aliceOnPhone();
    expect(errorOf(await call("POST", "/room_keys/version", { auth_data: AUTH_DATA }))).toEqual({
      status: 400,
      errcode: "M_MISSING_PARAM",
    });
    expect(errorOf(await call("POST", "/room_keys/version", { algorithm: ALGORITHM }))).toEqual({
      status: 400,
      errcode: "M_MISSING_PARAM",
    });
  });

  it("updates auth_data; refuses another algorithm or version in the body (400 M_INVALID_PARAM), an unknown version (404)", async () => {
    const { call, version } = await withVersion();
    const updated = { ...AUTH_DATA, signatures: { "@alice:x": { "ed25519:PHONE": "sig" } } };
    expect(
      await call("PUT", `/room_keys/version/${version}`, { algorithm: ALGORITHM, auth_data: updated }),
    ).toEqual({ status: 200, body: {} });
    expect((await call("GET", "/room_keys/version")).body.auth_data).toEqual(updated);
    const otherAlgorithm = await call("PUT", `/room_keys/version/${version}`, {
      algorithm: "x",
      auth_data: {},
    });
    expect(errorOf(otherAlgorithm)).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    const otherVersion = await call("PUT", `/room_keys/version/${version}`, {
      algorithm: ALGORITHM,
      auth_data: {},
      version: "9",
    });
    expect(errorOf(otherVersion)).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    const unknown = await call("PUT", "/room_keys/version/9", { algorithm: ALGORITHM, auth_data: {} });
    expect(errorOf(unknown)).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
    const noVersion = await call("PUT", "/room_keys/version", { algorithm: ALGORITHM, auth_data: {} });
    expect(errorOf(noVersion)).toEqual({ status: 400, errcode: "M_MISSING_PARAM" });
  });

  it("deletes a version: it is gone, the one before is latest again, and its number is not reused", async () => {
    const { call } = await withVersion();
    await call("POST", "/room_keys/version", { algorithm: ALGORITHM, auth_data: AUTH_DATA });
    expect(await call("DELETE", "/room_keys/version/2")).toEqual({ status: 200, body: {} });
    expect(errorOf(await call("GET", "/room_keys/version/2"))).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
    expect((await call("GET", "/room_keys/version")).body.version).toBe("1");
    expect(errorOf(await call("DELETE", "/room_keys/version/2"))).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
    expect(
      (await call("POST", "/room_keys/version", { algorithm: ALGORITHM, auth_data: AUTH_DATA })).body,
    ).toEqual({
      version: "3",
    });
    // As Synapse: a DELETE without a version says so (with M_NOT_FOUND).
    expect(errorOf(await call("DELETE", "/room_keys/version"))).toEqual({
      status: 400,
      errcode: "M_NOT_FOUND",
    });
  });
});

describe("backed-up keys", () => {
  it("stores keys at every level, answers etag and count, and reads them back at every level", async () => {
    const { call, version } = await withVersion();
    expect(
      await call("PUT", `/room_keys/keys?version=${version}`, {
        rooms: { [ROOM]: { sessions: { s1: keyData(0, 0, true) } } },
      }),
    ).toEqual({ status: 200, body: { etag: "1", count: 1 } });
    expect(
      await call("PUT", `/room_keys/keys/${encodeURIComponent(ROOM)}?version=${version}`, {
        sessions: { s2: keyData(0, 0, false) },
      }),
    ).toEqual({ status: 200, body: { etag: "2", count: 2 } });
    expect(
      await call(
        "PUT",
        `/room_keys/keys/${encodeURIComponent(ROOM)}/s3?version=${version}`,
        keyData(5, 1, false),
      ),
    ).toEqual({ status: 200, body: { etag: "3", count: 3 } });

    expect((await call("GET", `/room_keys/keys?version=${version}`)).body).toEqual({
      rooms: {
        [ROOM]: { sessions: { s1: keyData(0, 0, true), s2: keyData(0, 0, false), s3: keyData(5, 1, false) } },
      },
    });
    expect(
      (await call("GET", `/room_keys/keys/${encodeURIComponent(ROOM)}?version=${version}`)).body,
    ).toEqual({
      sessions: { s1: keyData(0, 0, true), s2: keyData(0, 0, false), s3: keyData(5, 1, false) },
    });
    expect(
      (await call("GET", `/room_keys/keys/${encodeURIComponent(ROOM)}/s3?version=${version}`)).body,
    ).toEqual(keyData(5, 1, false));
    expect((await call("GET", "/room_keys/version")).body).toMatchObject({ count: 3, etag: "3" });
  });

  it("answers empty rooms and sessions rather than errors, but 404 M_NOT_FOUND for one missing session", async () => {
    const { call, version } = await withVersion();
    expect((await call("GET", `/room_keys/keys?version=${version}`)).body).toEqual({ rooms: {} });
    expect(
      (await call("GET", `/room_keys/keys/${encodeURIComponent(ROOM)}?version=${version}`)).body,
    ).toEqual({
      sessions: {},
    });
    const missing = await call(
      "GET",
      `/room_keys/keys/${encodeURIComponent(ROOM)}/nosuch?version=${version}`,
    );
    expect(errorOf(missing)).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
  });

  it("replaces a key as Synapse does: when the new one is verified and the old not, or has a lower index, or fewer forwards", async () => {
    const { call, version } = await withVersion();
    const path = `/room_keys/keys/${encodeURIComponent(ROOM)}/s1?version=${version}`;
    const stored = async () => (await call("GET", path)).body;
    await call("PUT", path, keyData(5, 2, false, "first"));
    // Nothing better: kept out, and the etag does not move.
    expect((await call("PUT", path, keyData(6, 2, false, "later index"))).body).toEqual({
      etag: "1",
      count: 1,
    });
    expect((await call("PUT", path, keyData(5, 2, false, "same"))).body.etag).toBe("1");
    expect(await stored()).toEqual(keyData(5, 2, false, "first"));
    // Fewer forwards wins, even at a later index (Synapse compares each property on its own).
    expect((await call("PUT", path, keyData(6, 1, false, "fewer forwards"))).body).toEqual({
      etag: "2",
      count: 1,
    });
    expect(await stored()).toEqual(keyData(6, 1, false, "fewer forwards"));
    // A verified key replaces an unverified one, whatever its index.
    await call("PUT", path, keyData(9, 9, true, "verified"));
    expect(await stored()).toEqual(keyData(9, 9, true, "verified"));
    // An unverified key does not replace a verified one unless its index or forwards are lower.
    await call("PUT", path, keyData(9, 9, false, "unverified, same"));
    expect(await stored()).toEqual(keyData(9, 9, true, "verified"));
    await call("PUT", path, keyData(8, 9, false, "unverified, lower index"));
    expect(await stored()).toEqual(keyData(8, 9, false, "unverified, lower index"));
  });

  it("takes keys only for the current version: 403 M_WRONG_ROOM_KEYS_VERSION naming it, 404 for no such version", async () => {
    const { call } = await withVersion();
    await call("POST", "/room_keys/version", { algorithm: ALGORITHM, auth_data: AUTH_DATA });
    const old = await call(
      "PUT",
      `/room_keys/keys/${encodeURIComponent(ROOM)}/s1?version=1`,
      keyData(0, 0, false),
    );
    expect(old).toMatchObject({
      status: 403,
      body: { errcode: "M_WRONG_ROOM_KEYS_VERSION", current_version: "2" },
    });
    const unknown = await call(
      "PUT",
      `/room_keys/keys/${encodeURIComponent(ROOM)}/s1?version=7`,
      keyData(0, 0, false),
    );
    expect(errorOf(unknown)).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
  });

  it("refuses requests without ?version (400 M_MISSING_PARAM), keys that are not KeyBackupData (400 M_BAD_JSON) and a non-boolean is_verified (400 M_INVALID_PARAM)", async () => {
    const { call, version } = await withVersion();
    expect(errorOf(await call("GET", "/room_keys/keys"))).toEqual({
      status: 400,
      errcode: "M_MISSING_PARAM",
    });
    expect(errorOf(await call("PUT", "/room_keys/keys", { rooms: {} }))).toEqual({
      status: 400,
      errcode: "M_MISSING_PARAM",
    });
    const bad = await call("PUT", `/room_keys/keys/${encodeURIComponent(ROOM)}/s1?version=${version}`, {
      first_message_index: "0",
    });
    expect(errorOf(bad)).toEqual({ status: 400, errcode: "M_BAD_JSON" });
    const notBoolean = await call(
      "PUT",
      `/room_keys/keys/${encodeURIComponent(ROOM)}/s1?version=${version}`,
      {
        ...keyData(0, 0, false),
        is_verified: "yes",
      },
    );
    expect(errorOf(notBoolean)).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    const noRooms = await call("PUT", `/room_keys/keys?version=${version}`, { sessions: {} });
    expect(errorOf(noRooms)).toEqual({ status: 400, errcode: "M_BAD_JSON" });
  });

  it("deletes keys at every level; every delete moves the etag, as on Synapse", async () => {
    const { call, version } = await withVersion();
    await call("PUT", `/room_keys/keys?version=${version}`, {
      rooms: {
        [ROOM]: { sessions: { s1: keyData(0, 0, false), s2: keyData(0, 0, false) } },
        "!other:example.org": { sessions: { s3: keyData(0, 0, false) } },
      },
    });
    const room = encodeURIComponent(ROOM);
    expect((await call("DELETE", `/room_keys/keys/${room}/s1?version=${version}`)).body).toEqual({
      etag: "2",
      count: 2,
    });
    expect((await call("DELETE", `/room_keys/keys/${room}?version=${version}`)).body).toEqual({
      etag: "3",
      count: 1,
    });
    expect((await call("DELETE", `/room_keys/keys?version=${version}`)).body).toEqual({
      etag: "4",
      count: 0,
    });
    expect((await call("GET", `/room_keys/keys?version=${version}`)).body).toEqual({ rooms: {} });
    expect(errorOf(await call("DELETE", "/room_keys/keys?version=9"))).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
  });

  it("drops a deleted version's keys with it", async () => {
    const { call, version } = await withVersion();
    await call(
      "PUT",
      `/room_keys/keys/${encodeURIComponent(ROOM)}/s1?version=${version}`,
      keyData(0, 0, false),
    );
    await call("DELETE", `/room_keys/version/${version}`);
    expect(errorOf(await call("GET", `/room_keys/keys?version=${version}`))).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
  });
});
