// Server-side key backup: `/room_keys/version[/{version}]` and `/room_keys/keys[/{roomId}[/{sessionId}]]`, as
// Synapse's e2e_room_keys handler answers them: versions count up per user and are never reused; keys go only to
// the current version (else 403 `M_WRONG_ROOM_KEYS_VERSION`; its `current_version` names the current version, where
// Synapse names the requested one); a stored key is replaced only by a better one (`shouldReplace`); an upload
// that changes something, and every delete, moves the version's `etag`. Where Synapse leaves the key data
// unchecked, the devserver wants KeyBackupData (400 `M_BAD_JSON`); a non-boolean `is_verified` is 400
// `M_INVALID_PARAM`, as on Synapse.
import { MatrixError, sendJson } from "../http";
import type { Route, RouteRequest } from "../router";
import type { CsApiContext } from "./context";
import { badJson, missingParam, notFound, readJsonObject, requiredParam } from "./request";
import { isJsonObject, type JsonObject } from "./signing";

interface KeyBackupData {
  readonly first_message_index: number;
  readonly forwarded_count: number;
  readonly is_verified: boolean;
  readonly session_data: JsonObject;
}

interface BackupVersion {
  readonly version: string;
  algorithm: string;
  authData: JsonObject;
  etag: number;
  deleted: boolean;
  /** room → session → key. */
  readonly keys: Map<string, Map<string, KeyBackupData>>;
}

function checkKeyBackupData(roomId: string, sessionId: string, value: unknown): KeyBackupData {
  if (isJsonObject(value) && value.is_verified !== undefined && typeof value.is_verified !== "boolean") {
    throw new MatrixError(
      400,
      "M_INVALID_PARAM",
      `is_verified must be a boolean in keys for session ${sessionId} in room ${roomId}`,
    );
  }
  if (
    !isJsonObject(value) ||
    !Number.isSafeInteger(value.first_message_index) ||
    !Number.isSafeInteger(value.forwarded_count) ||
    typeof value.is_verified !== "boolean" ||
    !isJsonObject(value.session_data)
  ) {
    throw badJson(`The key for session ${sessionId} in room ${roomId} is not KeyBackupData`);
  }
  return value as unknown as KeyBackupData;
}

/**
 * Synapse's `_should_replace_room_key`, as it is: a verified key replaces an unverified one; otherwise a lower first
 * message index wins, and otherwise fewer forwards (whatever the index). The spec orders these strictly
 * (verification, then index, then forwards), so Synapse lets an unverified key with a lower index replace a
 * verified one; the devserver does the same.
 */
function shouldReplace(current: KeyBackupData | undefined, candidate: KeyBackupData): boolean {
  if (current === undefined) return true;
  if (candidate.is_verified && !current.is_verified) return true;
  if (candidate.first_message_index < current.first_message_index) return true;
  return candidate.forwarded_count < current.forwarded_count;
}

function countKeys(version: BackupVersion): number {
  let count = 0;
  for (const sessions of version.keys.values()) count += sessions.size;
  return count;
}

function describeVersion(version: BackupVersion): Record<string, unknown> {
  return {
    algorithm: version.algorithm,
    auth_data: version.authData,
    version: version.version,
    count: countKeys(version),
    etag: String(version.etag),
  };
}

/** Reads `{rooms: {room: {sessions: {session: data}}}}`, whichever level the path addresses. */
function keysFromBody(body: JsonObject, roomId: string | undefined, sessionId: string | undefined) {
  const uploaded = new Map<string, Map<string, KeyBackupData>>();
  const sessionsOf = (room: string, sessions: unknown): void => {
    if (!isJsonObject(sessions)) throw badJson(`rooms.${room}.sessions must be an object`);
    const stored = new Map<string, KeyBackupData>();
    for (const [session, data] of Object.entries(sessions))
      stored.set(session, checkKeyBackupData(room, session, data));
    uploaded.set(room, stored);
  };
  if (roomId !== undefined && sessionId !== undefined) sessionsOf(roomId, { [sessionId]: body });
  else if (roomId !== undefined) sessionsOf(roomId, body.sessions);
  else {
    if (!isJsonObject(body.rooms)) throw badJson("rooms must be an object");
    for (const [room, value] of Object.entries(body.rooms)) {
      if (!isJsonObject(value)) throw badJson(`rooms.${room} must be an object`);
      sessionsOf(room, value.sessions);
    }
  }
  return uploaded;
}

export function roomKeyRoutes(ctx: CsApiContext, prefix: string): Route[] {
  const backups = new Map<string, BackupVersion[]>();
  const versionsOf = (userId: string): BackupVersion[] => {
    const versions = backups.get(userId) ?? [];
    backups.set(userId, versions);
    return versions;
  };
  const latest = (userId: string): BackupVersion | undefined =>
    versionsOf(userId).findLast((version) => !version.deleted);
  const existing = (userId: string, version: string): BackupVersion | undefined =>
    versionsOf(userId).find((candidate) => candidate.version === version && !candidate.deleted);

  const createVersion: Route["handle"] = async ({ req, res, url }) => {
    const { userId } = await ctx.authenticate(req, url);
    const body = await readJsonObject(req);
    if (typeof body.algorithm !== "string") throw missingParam("algorithm must be a string");
    if (!isJsonObject(body.auth_data)) throw missingParam("auth_data must be an object");
    const versions = versionsOf(userId);
    const version = String(versions.length + 1);
    versions.push({
      version,
      algorithm: body.algorithm,
      authData: body.auth_data,
      etag: 0,
      deleted: false,
      keys: new Map(),
    });
    sendJson(res, 200, { version });
  };

  const getVersion = async ({ req, res, url, params }: RouteRequest): Promise<void> => {
    const { userId } = await ctx.authenticate(req, url);
    const found = params.version === undefined ? latest(userId) : existing(userId, params.version);
    if (found === undefined) throw notFound("No backup found");
    sendJson(res, 200, describeVersion(found));
  };

  const updateVersion = async ({ req, res, url, params }: RouteRequest): Promise<void> => {
    const { userId } = await ctx.authenticate(req, url);
    const body = await readJsonObject(req);
    if (params.version === undefined) throw missingParam("No version specified to update");
    if (body.version !== undefined && body.version !== params.version) {
      throw new MatrixError(400, "M_INVALID_PARAM", "Version in body does not match");
    }
    const found = existing(userId, params.version);
    if (found === undefined) throw notFound("Unknown backup version");
    if (body.algorithm !== found.algorithm)
      throw new MatrixError(400, "M_INVALID_PARAM", "Algorithm does not match");
    if (!isJsonObject(body.auth_data)) throw missingParam("auth_data must be an object");
    found.authData = body.auth_data;
    sendJson(res, 200, {});
  };

  const deleteVersion = async ({ req, res, url, params }: RouteRequest): Promise<void> => {
    const { userId } = await ctx.authenticate(req, url);
    if (params.version === undefined) {
      throw new MatrixError(400, "M_NOT_FOUND", "No version specified to delete");
    }
    const found = existing(userId, params.version);
    if (found === undefined) throw notFound("Unknown backup version");
    found.deleted = true;
    found.keys.clear();
    sendJson(res, 200, {});
  };

  /** The version named by `?version=` for reading or deleting keys: any existing one. */
  const readable = (userId: string, url: URL): BackupVersion => {
    const found = existing(userId, requiredParam(url, "version"));
    if (found === undefined) throw notFound("Unknown backup version");
    return found;
  };

  const putKeys = async ({ req, res, url, params }: RouteRequest): Promise<void> => {
    const { userId } = await ctx.authenticate(req, url);
    const version = requiredParam(url, "version");
    const body = await readJsonObject(req);
    const current = latest(userId);
    if (current === undefined || existing(userId, version) === undefined) {
      throw notFound(`Version '${version}' not found`);
    }
    if (current.version !== version) {
      throw new MatrixError(
        403,
        "M_WRONG_ROOM_KEYS_VERSION",
        `Wrong room_keys version. Current version is ${current.version}`,
        { current_version: current.version },
      );
    }
    let changed = false;
    for (const [roomId, sessions] of keysFromBody(body, params.roomId, params.sessionId)) {
      const stored = current.keys.get(roomId) ?? new Map<string, KeyBackupData>();
      current.keys.set(roomId, stored);
      for (const [sessionId, data] of sessions) {
        if (!shouldReplace(stored.get(sessionId), data)) continue;
        stored.set(sessionId, data);
        changed = true;
      }
    }
    if (changed) current.etag += 1;
    sendJson(res, 200, { etag: String(current.etag), count: countKeys(current) });
  };

  const getKeys = async ({ req, res, url, params }: RouteRequest): Promise<void> => {
    const { userId } = await ctx.authenticate(req, url);
    const found = readable(userId, url);
    const { roomId, sessionId } = params;
    if (roomId !== undefined && sessionId !== undefined) {
      const data = found.keys.get(roomId)?.get(sessionId);
      if (data === undefined) throw notFound("No room_keys found");
      sendJson(res, 200, data);
    } else if (roomId !== undefined) {
      sendJson(res, 200, { sessions: Object.fromEntries(found.keys.get(roomId) ?? []) });
    } else {
      const rooms = Object.fromEntries(
        [...found.keys]
          .filter(([, sessions]) => sessions.size > 0)
          .map(([room, sessions]) => [room, { sessions: Object.fromEntries(sessions) }]),
      );
      sendJson(res, 200, { rooms });
    }
  };

  const deleteKeys = async ({ req, res, url, params }: RouteRequest): Promise<void> => {
    const { userId } = await ctx.authenticate(req, url);
    const found = readable(userId, url);
    const { roomId, sessionId } = params;
    if (roomId !== undefined && sessionId !== undefined) found.keys.get(roomId)?.delete(sessionId);
    else if (roomId !== undefined) found.keys.delete(roomId);
    else found.keys.clear();
    // Synapse moves the etag on every delete, whether or not a key went.
    found.etag += 1;
    sendJson(res, 200, { etag: String(found.etag), count: countKeys(found) });
  };

  const keyPaths = [
    `${prefix}/room_keys/keys`,
    `${prefix}/room_keys/keys/{roomId}`,
    `${prefix}/room_keys/keys/{roomId}/{sessionId}`,
  ];
  return [
    { method: "POST", path: `${prefix}/room_keys/version`, handle: createVersion },
    { method: "GET", path: `${prefix}/room_keys/version`, handle: getVersion },
    { method: "PUT", path: `${prefix}/room_keys/version`, handle: updateVersion },
    { method: "DELETE", path: `${prefix}/room_keys/version`, handle: deleteVersion },
    { method: "GET", path: `${prefix}/room_keys/version/{version}`, handle: getVersion },
    { method: "PUT", path: `${prefix}/room_keys/version/{version}`, handle: updateVersion },
    { method: "DELETE", path: `${prefix}/room_keys/version/{version}`, handle: deleteVersion },
    ...keyPaths.flatMap((path) => [
      { method: "PUT", path, handle: putKeys },
      { method: "GET", path, handle: getKeys },
      { method: "DELETE", path, handle: deleteKeys },
    ]),
  ];
}
