// What the endpoint families share: the account store, the stream `/sync` reads, the key store, and the small
// trackers several families write to (device list changes, last-seen times).
import type { IncomingMessage } from "node:http";
import type { AccessSession, AccountStore } from "../accounts";
import type { Clock } from "../clock";
import { requireSession } from "../http";
import { AccountDataStore } from "./account-data";
import { EventStream } from "./event-stream";
import { KeyStore } from "./key-store";
import { ToDeviceStore } from "./to-device";

/**
 * Whose device lists changed, as each user sees it (a device added or removed, new device keys, cross-signing
 * keys or signatures). `/sync` puts these users in `device_lists.changed`. With no rooms on the devserver, a user
 * tracks their own devices, plus the users whose master key they signed (Synapse's user signature stream).
 */
export class DeviceListChanges {
  /** observer → changed user → stream position of the last change. */
  private readonly changes = new Map<string, Map<string, number>>();

  constructor(private readonly stream: EventStream) {}

  markChanged(userId: string, observers: readonly string[] = [userId]): void {
    const position = this.stream.advance(observers);
    for (const observer of observers) {
      const seen = this.changes.get(observer) ?? new Map<string, number>();
      this.changes.set(observer, seen.set(userId, position));
    }
  }

  changedSince(observer: string, since: number): string[] {
    return [...(this.changes.get(observer) ?? [])]
      .filter(([, position]) => position > since)
      .map(([userId]) => userId);
  }
}

export interface LastSeen {
  readonly ip: string | null;
  readonly ts: number;
}

export interface CsApiContext {
  readonly accounts: AccountStore;
  readonly clock: Clock;
  /** The account management URL that refusals point users to (MAS's `account_management_uri`). */
  readonly accountManagementUrl: string;
  readonly stream: EventStream;
  readonly keys: KeyStore;
  readonly deviceLists: DeviceListChanges;
  readonly accountData: AccountDataStore;
  readonly toDevice: ToDeviceStore;
  lastSeen(userId: string, deviceId: string): LastSeen | undefined;
  /** The session behind the request's access token (401 otherwise); records the device as seen now. */
  authenticate(req: IncomingMessage, url: URL): Promise<AccessSession>;
}

export interface CsApiContextOptions {
  readonly accounts: AccountStore;
  readonly clock: Clock;
  readonly accountManagementUrl: string;
}

export function createCsApiContext({
  accounts,
  clock,
  accountManagementUrl,
}: CsApiContextOptions): CsApiContext {
  const stream = new EventStream();
  const seen = new Map<string, LastSeen>();
  const seenKey = (userId: string, deviceId: string): string => `${userId}\u0000${deviceId}`;
  return {
    accounts,
    clock,
    accountManagementUrl,
    stream,
    keys: new KeyStore(),
    deviceLists: new DeviceListChanges(stream),
    accountData: new AccountDataStore(stream),
    toDevice: new ToDeviceStore(stream),
    lastSeen: (userId, deviceId) => seen.get(seenKey(userId, deviceId)),
    authenticate: async (req, url) => {
      const session = await requireSession(accounts.authenticate, req, url);
      seen.set(seenKey(session.userId, session.deviceId), {
        ip: req.socket.remoteAddress ?? null,
        ts: clock.now(),
      });
      return session;
    },
  };
}
