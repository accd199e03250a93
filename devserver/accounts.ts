// The homeserver's account store: users, their devices, and the access tokens that act for a device. The
// client-server API slice reads it (`authenticate`, devices); the OAuth server signs users in against it and
// provisions the device a token is for before the token response leaves, as MAS does on a real Synapse.
//
// Two seams keep the OAuth side swappable for a remote homeserver later:
// - `HomeserverProvisioner` is what the OAuth server calls to create users and devices. This store implements it
//   locally; a Synapse-backed one would call `/_synapse/mas/provision_user` and `/_synapse/mas/upsert_device`.
// - `TokenResolver`s answer for tokens this store did not mint (the OAuth server's access tokens), so the
//   client-server API has one `authenticate` whoever issued the token.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Matrix user ID localpart grammar (spec "User Identifiers"; historical characters excluded). */
export const LOCALPART_PATTERN = /^[a-z0-9._=\-/+]+$/;

export interface UserCredentials {
  readonly localpart: string;
  readonly password: string;
}

export interface Device {
  readonly userId: string;
  readonly deviceId: string;
  /** Unix milliseconds. */
  readonly createdAt: number;
  /** Set by the client-server API (`PUT /devices/{deviceId}`); absent until then. */
  readonly displayName?: string;
}

/** Who an access token acts for. */
export interface AccessSession {
  readonly userId: string;
  readonly deviceId: string;
  readonly scopes: readonly string[];
}

/** Resolves an access token the store did not mint itself; null when it does not know the token. */
export type TokenResolver = (token: string) => Promise<AccessSession | null>;

/** What the OAuth side asks of the homeserver (the calls MAS makes on Synapse's `/_synapse/mas/*` API). */
export interface HomeserverProvisioner {
  provisionUser(localpart: string): Promise<void>;
  /** Creates the device if it does not exist; keeps it (and its tokens) if it does. */
  upsertDevice(localpart: string, deviceId: string): Promise<void>;
  /** Removes the device when its session ends; a device that does not exist is not an error. */
  deleteDevice(localpart: string, deviceId: string): Promise<void>;
}

/** Parses a `--user` value, `localpart:password` (the password may contain colons). */
export function parseUserSpec(spec: string): UserCredentials {
  const colon = spec.indexOf(":");
  const localpart = colon < 0 ? spec : spec.slice(0, colon);
  const password = colon < 0 ? "" : spec.slice(colon + 1);
  if (!LOCALPART_PATTERN.test(localpart)) {
    throw new TypeError(`user "${spec}": the localpart must match ${LOCALPART_PATTERN.source}`);
  }
  if (password === "") throw new TypeError(`user "${localpart}": give a password as ${localpart}:<password>`);
  return { localpart, password };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

interface StoredUser {
  readonly localpart: string;
  /** SHA-256 of the password; undefined for users provisioned without one (they cannot log in). */
  readonly passwordDigest: Buffer | undefined;
}

export interface AccountStoreOptions {
  readonly serverName: string;
  readonly users?: readonly UserCredentials[];
  /** Time source in Unix milliseconds (the devserver clock). */
  readonly now?: () => number;
}

export class AccountStore implements HomeserverProvisioner {
  readonly serverName: string;
  private readonly now: () => number;
  private readonly users = new Map<string, StoredUser>();
  /** userId → deviceId → device. */
  private readonly devices = new Map<string, Map<string, Device>>();
  /** SHA-256 (base64url) of a token this store minted → its session. */
  private readonly localTokens = new Map<string, AccessSession>();
  private readonly resolvers: TokenResolver[] = [];
  private readonly removalListeners: ((userId: string, deviceId: string) => void)[] = [];
  private readonly additionListeners: ((userId: string, deviceId: string) => void)[] = [];

  constructor({ serverName, users = [], now = Date.now }: AccountStoreOptions) {
    this.serverName = serverName;
    this.now = now;
    for (const { localpart, password } of users) {
      if (this.users.has(localpart)) throw new TypeError(`user "${localpart}" is configured twice`);
      this.users.set(localpart, { localpart, passwordDigest: digest(password) });
    }
  }

  userIdOf(localpart: string): string {
    return `@${localpart}:${this.serverName}`;
  }

  /** The localpart of a known user named by localpart or by full user ID on this server. */
  localpartOf(nameOrUserId: string): string | undefined {
    let localpart = nameOrUserId;
    if (nameOrUserId.startsWith("@")) {
      const colon = nameOrUserId.indexOf(":");
      if (colon < 0 || nameOrUserId.slice(colon + 1) !== this.serverName) return undefined;
      localpart = nameOrUserId.slice(1, colon);
    }
    return this.users.has(localpart) ? localpart : undefined;
  }

  /** The localpart when the password is right; compares in constant time. */
  checkPassword(nameOrUserId: string, password: string): string | undefined {
    const localpart = this.localpartOf(nameOrUserId.trim().toLowerCase());
    const stored = localpart === undefined ? undefined : this.users.get(localpart);
    const given = digest(password);
    // Compare even for unknown users, so that timing does not tell which user names exist.
    const expected = stored?.passwordDigest ?? digest(randomBytes(16).toString("hex"));
    return timingSafeEqual(given, expected) && stored?.passwordDigest !== undefined ? localpart : undefined;
  }

  provisionUser(localpart: string): Promise<void> {
    if (!LOCALPART_PATTERN.test(localpart))
      return Promise.reject(new TypeError(`bad localpart "${localpart}"`));
    if (!this.users.has(localpart)) this.users.set(localpart, { localpart, passwordDigest: undefined });
    return Promise.resolve();
  }

  async upsertDevice(localpart: string, deviceId: string): Promise<void> {
    await this.provisionUser(localpart);
    const userId = this.userIdOf(localpart);
    const devices = this.devices.get(userId) ?? new Map<string, Device>();
    this.devices.set(userId, devices);
    if (devices.has(deviceId)) return;
    devices.set(deviceId, { userId, deviceId, createdAt: this.now() });
    for (const listener of this.additionListeners) listener(userId, deviceId);
  }

  /** Sets (or, with undefined, clears) a device's display name; false when there is no such device. */
  setDeviceDisplayName(userId: string, deviceId: string, displayName: string | undefined): boolean {
    const devices = this.devices.get(userId);
    const device = devices?.get(deviceId);
    if (devices === undefined || device === undefined) return false;
    const { displayName: _old, ...rest } = device;
    devices.set(deviceId, displayName === undefined ? rest : { ...rest, displayName });
    return true;
  }

  onDeviceAdded(listener: (userId: string, deviceId: string) => void): void {
    this.additionListeners.push(listener);
  }

  getDevice(userId: string, deviceId: string): Device | undefined {
    return this.devices.get(userId)?.get(deviceId);
  }

  listDevices(userId: string): readonly Device[] {
    return [...(this.devices.get(userId)?.values() ?? [])];
  }

  deleteDevice(localpart: string, deviceId: string): Promise<void> {
    this.removeDevice(this.userIdOf(localpart), deviceId);
    return Promise.resolve();
  }

  /**
   * Removes a device; every token acting for it stops working (`authenticate` checks the device), and listeners
   * (the OAuth server) end the sessions behind it, so that no refresh brings it back.
   */
  removeDevice(userId: string, deviceId: string): boolean {
    const deleted = this.devices.get(userId)?.delete(deviceId) ?? false;
    for (const [key, session] of this.localTokens) {
      if (session.userId === userId && session.deviceId === deviceId) this.localTokens.delete(key);
    }
    if (deleted) for (const listener of this.removalListeners) listener(userId, deviceId);
    return deleted;
  }

  onDeviceRemoved(listener: (userId: string, deviceId: string) => void): void {
    this.removalListeners.push(listener);
  }

  /** Mints an opaque access token for an existing device. */
  issueAccessToken(session: AccessSession): string {
    if (this.getDevice(session.userId, session.deviceId) === undefined) {
      throw new TypeError(`no device ${session.deviceId} for ${session.userId}`);
    }
    const token = `dst_${randomBytes(24).toString("base64url")}`;
    this.localTokens.set(digest(token).toString("base64url"), { ...session, scopes: [...session.scopes] });
    return token;
  }

  revokeAccessToken(token: string): boolean {
    return this.localTokens.delete(digest(token).toString("base64url"));
  }

  /** Lets another issuer (the OAuth server) answer for its own tokens. */
  addTokenResolver(resolver: TokenResolver): void {
    this.resolvers.push(resolver);
  }

  /**
   * Who a token acts for, or null if nobody issued it, it was revoked or expired, or its device is gone. An arrow
   * property so that it can be handed around unbound (the rendezvous module's `authenticate` option).
   */
  readonly authenticate = async (token: string): Promise<AccessSession | null> => {
    let session = this.localTokens.get(digest(token).toString("base64url")) ?? null;
    for (const resolver of this.resolvers) {
      if (session !== null) break;
      session = await resolver(token);
    }
    if (session === null || this.getDevice(session.userId, session.deviceId) === undefined) return null;
    return session;
  };
}
