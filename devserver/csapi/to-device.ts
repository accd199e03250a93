// Send-to-device messaging: `PUT /sendToDevice/{eventType}/{txnId}` and the per-device inboxes `/sync` empties.
// As on Synapse, a message stays in the inbox until a sync whose `since` is at or after it acknowledges it, and a
// repeated transaction ID from the same device is answered without sending again.
import { sendJson } from "../http";
import type { Route } from "../router";
import type { CsApiContext } from "./context";
import type { EventStream } from "./event-stream";
import { badJson, missingParam, readJsonObject } from "./request";
import { isJsonObject, type JsonObject } from "./signing";

export interface ToDeviceEvent {
  readonly type: string;
  readonly sender: string;
  readonly content: JsonObject;
}

interface Queued {
  readonly position: number;
  readonly event: ToDeviceEvent;
}

function inboxKey(userId: string, deviceId: string): string {
  return `${userId}\u0000${deviceId}`;
}

export class ToDeviceStore {
  private readonly inboxes = new Map<string, Queued[]>();
  /** Transactions already done, per sending device: "user\0device\0type\0txnId". */
  private readonly transactions = new Set<string>();

  constructor(private readonly stream: EventStream) {}

  /** Queues one message per `[userId, deviceId]` and wakes the recipients' syncs. */
  deliver(recipients: readonly (readonly [string, string])[], event: ToDeviceEvent): void {
    if (recipients.length === 0) return;
    const position = this.stream.advance(recipients.map(([userId]) => userId));
    for (const [userId, deviceId] of recipients) {
      const key = inboxKey(userId, deviceId);
      this.inboxes.set(key, [...(this.inboxes.get(key) ?? []), { position, event }]);
    }
  }

  /** Marks a transaction done; false when it was done already. */
  startTransaction(userId: string, deviceId: string, eventType: string, txnId: string): boolean {
    const key = [userId, deviceId, eventType, txnId].join("\u0000");
    if (this.transactions.has(key)) return false;
    this.transactions.add(key);
    return true;
  }

  /**
   * The device's messages after `since` (all of them on an initial sync), up to `until`. Messages at or before
   * `since` were delivered by the sync that handed out `since`, so they are dropped now.
   */
  take(userId: string, deviceId: string, since: number | undefined, until: number): ToDeviceEvent[] {
    const key = inboxKey(userId, deviceId);
    const queued = this.inboxes.get(key) ?? [];
    const kept = since === undefined ? queued : queued.filter((entry) => entry.position > since);
    if (kept.length === 0) this.inboxes.delete(key);
    else this.inboxes.set(key, kept);
    return kept.filter((entry) => entry.position <= until).map((entry) => entry.event);
  }

  hasPending(userId: string, deviceId: string, since: number): boolean {
    return (this.inboxes.get(inboxKey(userId, deviceId)) ?? []).some((entry) => entry.position > since);
  }

  removeDevice(userId: string, deviceId: string): void {
    this.inboxes.delete(inboxKey(userId, deviceId));
  }
}

export function toDeviceRoutes(ctx: CsApiContext, prefix: string): Route[] {
  return [
    {
      method: "PUT",
      path: `${prefix}/sendToDevice/{eventType}/{txnId}`,
      handle: async ({ req, res, url, params }) => {
        const session = await ctx.authenticate(req, url);
        const body = await readJsonObject(req);
        const eventType = params.eventType ?? "";
        if (!("messages" in body)) throw missingParam("Missing params: ['messages']");
        const { messages } = body;
        if (!isJsonObject(messages)) throw badJson("messages must be an object");
        // Validate everything before anything is queued, so that a bad request sends nothing.
        const perDevice: [string, string, JsonObject][] = [];
        for (const [userId, byDevice] of Object.entries(messages)) {
          if (!isJsonObject(byDevice)) throw badJson(`messages.${userId} must be an object`);
          for (const [deviceId, content] of Object.entries(byDevice)) {
            if (!isJsonObject(content)) throw badJson(`messages.${userId}.${deviceId} must be an object`);
            perDevice.push([userId, deviceId, content]);
          }
        }
        if (!ctx.toDevice.startTransaction(session.userId, session.deviceId, eventType, params.txnId ?? "")) {
          sendJson(res, 200, {});
          return;
        }
        for (const [userId, deviceId, content] of perDevice) {
          // Unknown users and devices are dropped silently, as on Synapse; "*" is every device of the user.
          const devices =
            deviceId === "*"
              ? ctx.accounts.listDevices(userId).map((device) => device.deviceId)
              : ctx.accounts.getDevice(userId, deviceId) === undefined
                ? []
                : [deviceId];
          ctx.toDevice.deliver(
            devices.map((id) => [userId, id] as const),
            { type: eventType, sender: session.userId, content },
          );
        }
        sendJson(res, 200, {});
      },
    },
  ];
}
