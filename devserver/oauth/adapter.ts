// oidc-provider's storage, one in-memory store per devserver. The library's own memory adapter shares one
// module-wide LRU of 1000 entries between every provider in the process and forgets an entry the moment it expires,
// so a client polling an expired device code would get `invalid_grant` instead of RFC 8628's `expired_token` and
// the code entry page could not say "expired". This store keeps expired entries for a while (oidc-provider checks
// `exp` itself on every read) and is private to one server.
import type { Adapter, AdapterPayload } from "oidc-provider";

/** How long an entry stays readable after it expired, so that lookups can still say "expired". */
const RETAIN_EXPIRED_MS = 60 * 60 * 1000;

interface Entry {
  payload: AdapterPayload;
  /** When the entry may be dropped (expiry plus the retention), or undefined for never. */
  dropAt: number | undefined;
}

export interface OAuthStore {
  /** The `adapter` configuration value: one adapter per oidc-provider model name. */
  readonly adapterFor: (modelName: string) => Adapter;
}

export function createOAuthStore(now: () => number = Date.now): OAuthStore {
  const entries = new Map<string, Entry>();
  const byUserCode = new Map<string, string>();
  const byUid = new Map<string, string>();
  const grantMembers = new Map<string, Set<string>>();

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry?.dropAt !== undefined && entry.dropAt <= now()) {
      remove(key);
      return undefined;
    }
    return entry;
  }

  function remove(key: string): void {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    const { userCode, uid, grantId } = entry.payload;
    if (userCode !== undefined && byUserCode.get(userCode) === key) byUserCode.delete(userCode);
    if (uid !== undefined && byUid.get(uid) === key) byUid.delete(uid);
    if (grantId !== undefined) grantMembers.get(grantId)?.delete(key);
  }

  function sweep(): void {
    const time = now();
    for (const [key, entry] of entries) {
      if (entry.dropAt !== undefined && entry.dropAt <= time) remove(key);
    }
  }

  return {
    adapterFor(modelName: string): Adapter {
      const keyOf = (id: string): string => `${modelName}:${id}`;
      const findKey = (key: string | undefined): Promise<AdapterPayload | undefined> =>
        Promise.resolve(key === undefined ? undefined : live(key)?.payload);
      return {
        upsert(id, payload, expiresIn) {
          sweep();
          const key = keyOf(id);
          remove(key);
          const dropAt = expiresIn === undefined ? undefined : now() + expiresIn * 1000 + RETAIN_EXPIRED_MS;
          entries.set(key, { payload: { ...payload }, dropAt });
          if (payload.userCode !== undefined) byUserCode.set(payload.userCode, key);
          if (modelName === "Session" && payload.uid !== undefined) byUid.set(payload.uid, key);
          if (payload.grantId !== undefined) {
            const members = grantMembers.get(payload.grantId) ?? new Set<string>();
            members.add(key);
            grantMembers.set(payload.grantId, members);
          }
          return Promise.resolve();
        },
        find: (id) => findKey(keyOf(id)),
        findByUserCode: (userCode) => findKey(byUserCode.get(userCode)),
        findByUid: (uid) => findKey(byUid.get(uid)),
        consume(id) {
          const entry = live(keyOf(id));
          if (entry !== undefined) entry.payload = { ...entry.payload, consumed: Math.floor(now() / 1000) };
          return Promise.resolve();
        },
        destroy(id) {
          remove(keyOf(id));
          return Promise.resolve();
        },
        revokeByGrantId(grantId) {
          for (const key of grantMembers.get(grantId) ?? []) remove(key);
          grantMembers.delete(grantId);
          return Promise.resolve();
        },
      };
    },
  };
}
