// What every endpoint of the devserver's client-server API slice does with a request before its own logic, as
// Synapse does it: no token is 401 `M_MISSING_TOKEN`, an unknown token 401 `M_UNKNOWN_TOKEN`; a body that is not
// JSON is 400 `M_NOT_JSON`, JSON that is not an object 400 `M_BAD_JSON`; a path nobody serves is 404
// `M_UNRECOGNIZED`, a served path with the wrong method 405 `M_UNRECOGNIZED`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevserver, type Devserver } from "../../devserver/index";
import { api, errorOf, mintDeviceToken, type DeviceToken } from "../helpers/csapi";

let server: Devserver;
let alice: DeviceToken;

beforeAll(async () => {
  server = await startDevserver({ testHooks: true, users: ["alice:secret"] });
  alice = await mintDeviceToken(server, "alice", "ALICEDEVICE");
});

afterAll(async () => {
  await server.close();
});

const USER = "@alice:{server}";
const ENDPOINTS: readonly (readonly [method: string, path: string, takesBody: boolean])[] = [
  ["GET", "/devices", false],
  ["GET", "/devices/ALICEDEVICE", false],
  ["PUT", "/devices/ALICEDEVICE", true],
  ["DELETE", "/devices/ALICEDEVICE", false],
  ["POST", "/keys/upload", true],
  ["POST", "/keys/query", true],
  ["POST", "/keys/claim", true],
  ["POST", "/keys/device_signing/upload", true],
  ["POST", "/keys/signatures/upload", true],
  ["POST", "/room_keys/version", true],
  ["GET", "/room_keys/version", false],
  ["GET", "/room_keys/version/1", false],
  ["PUT", "/room_keys/version/1", true],
  ["DELETE", "/room_keys/version/1", false],
  ["PUT", "/room_keys/keys?version=1", true],
  ["GET", "/room_keys/keys?version=1", false],
  ["DELETE", "/room_keys/keys/!room:x/session?version=1", false],
  ["GET", `/user/${USER}/account_data/m.test`, false],
  ["PUT", `/user/${USER}/account_data/m.test`, true],
  ["POST", `/user/${USER}/filter`, true],
  ["GET", `/user/${USER}/filter/0`, false],
  ["PUT", "/sendToDevice/m.test/txn1", true],
  ["GET", "/sync", false],
  ["GET", "/pushrules/", false],
  ["GET", "/capabilities", false],
  ["GET", `/profile/${USER}`, false],
  ["PUT", `/profile/${USER}/displayname`, true],
  ["POST", "/logout", false],
  ["POST", "/logout/all", false],
];

function pathOf(path: string): string {
  return path.replaceAll("{server}", server.serverName).replace(/@[^/]+:[^/]+(?=\/|$)/, encodeURIComponent);
}

describe("every endpoint checks the access token first", () => {
  it.each(ENDPOINTS)("%s %s without a token is 401 M_MISSING_TOKEN", async (method, path) => {
    const response = await api(server)(method, pathOf(path), method === "GET" ? undefined : {});
    expect(errorOf(response)).toEqual({ status: 401, errcode: "M_MISSING_TOKEN" });
  });

  it.each(ENDPOINTS)("%s %s with an unknown token is 401 M_UNKNOWN_TOKEN", async (method, path) => {
    const response = await api(server, "not-a-token")(
      method,
      pathOf(path),
      method === "GET" ? undefined : {},
    );
    expect(errorOf(response)).toEqual({ status: 401, errcode: "M_UNKNOWN_TOKEN" });
    expect(response.body.soft_logout).toBe(false);
  });

  it("takes the token from the access_token query parameter too, but not from both places at once", async () => {
    const viaQuery = await api(server)("GET", `/devices?access_token=${alice.access_token}`);
    expect(viaQuery.status).toBe(200);
    const both = await api(server, alice.access_token)("GET", `/devices?access_token=${alice.access_token}`);
    expect(errorOf(both)).toEqual({ status: 401, errcode: "M_MISSING_TOKEN" });
  });
});

describe("bodies", () => {
  const withBody = ENDPOINTS.filter(([, , takesBody]) => takesBody);

  it.each(withBody)("%s %s with a body that is not JSON is 400 M_NOT_JSON", async (method, path) => {
    const response = await api(server, alice.access_token)(method, pathOf(path), "{not json");
    expect(errorOf(response)).toEqual({ status: 400, errcode: "M_NOT_JSON" });
  });

  it.each(withBody)("%s %s with a JSON array is 400 M_BAD_JSON", async (method, path) => {
    const response = await api(server, alice.access_token)(method, pathOf(path), "[]");
    expect(errorOf(response)).toEqual({ status: 400, errcode: "M_BAD_JSON" });
  });

  it("a body over 1 MiB is 413 M_TOO_LARGE", async () => {
    const response = await api(server, alice.access_token)(
      "PUT",
      pathOf(`/user/${USER}/account_data/m.big`),
      { filler: "x".repeat(1024 * 1024) },
    );
    expect(errorOf(response)).toEqual({ status: 413, errcode: "M_TOO_LARGE" });
  });
});

describe("paths", () => {
  it.each([
    ["GET", "/_matrix/client/v3/rooms/!room:x/messages"],
    ["POST", "/_matrix/client/v3/delete_devices"],
    ["GET", "/_matrix/client/r0/devices"],
    ["GET", "/_matrix/client/v3/keys/changes?from=s0"],
    ["GET", "/_matrix/media/v3/config"],
  ])("%s %s is not served: 404 M_UNRECOGNIZED", async (method, path) => {
    const response = await api(server, alice.access_token)(method, path, method === "GET" ? undefined : {});
    expect(errorOf(response)).toEqual({ status: 404, errcode: "M_UNRECOGNIZED" });
  });

  it.each([
    ["POST", "/devices"],
    ["GET", "/keys/upload"],
    ["PUT", "/sync"],
    ["DELETE", "/capabilities"],
  ])("%s %s is a served path with the wrong method: 405 M_UNRECOGNIZED", async (method, path) => {
    const response = await api(server, alice.access_token)(method, path);
    expect(errorOf(response)).toEqual({ status: 405, errcode: "M_UNRECOGNIZED" });
  });

  it("GET /account/whoami keeps working", async () => {
    const response = await api(server, alice.access_token)("GET", "/account/whoami");
    expect(response).toEqual({
      status: 200,
      body: { user_id: alice.user_id, device_id: "ALICEDEVICE", is_guest: false },
    });
  });
});
